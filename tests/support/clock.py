"""A fake wall clock for the store: time moves only when a test (or a store's wait) moves it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

#: A plausible Unix time, above the 10^9 that separates a reset time from a number of seconds.
START = 1_800_000_000.0


@dataclass
class FakeWallClock:
    now: float = START
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Advance by `seconds`, and yield to the event loop as a real sleep would."""
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += seconds
