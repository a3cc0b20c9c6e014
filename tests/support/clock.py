"""The one fake clock of the tests: time moves only when a test, a backoff or a wait moves it.

The Qovery client, the stores, the sealer and the simulator all take a `clock` (and, where they
wait, a `sleep`) by injection; every test hands them the bound methods of one `FakeTime`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

#: A plausible Unix time, above the 10^9 that separates a reset time from a number of seconds.
START = 1_800_000_000.0


@dataclass
class FakeTime:
    """An injectable clock and sleep: backoff and Retry-After advance time without waiting."""

    now: float = 1000.0
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
