"""One progress sequence per deploy or stop call: what the call says while it waits, always increasing.

Two things report progress during one `deploy-job`: the deploy's own wait (each state change, in seconds of the
wait) and the Qovery client (a retry it waits for, through `WAIT_REPORTER`, in attempts out of three). A retried
status read sent progress 1 after 2: MCP requires each notification's progress to be greater than the last. Here
both go through one reporter: the wait's seconds are kept, the client's waits step just past the last value, and
nothing ever repeats or goes back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from qovery_job_mcp.qovery.client import WAIT_REPORTER

#: Told (progress, total, message); the MCP adapter passes the call's `report_progress`.
Progress = Callable[[float, float, str], Awaitable[None]]
Clock = Callable[[], float]
#: How much a report that comes at the same instant as the last one adds, to stay strictly increasing.
STEP = 0.001


class SteadyProgress:
    """Reports (seconds of the wait, the wait, message), each greater than the one before."""

    def __init__(self, progress: Progress, total: float) -> None:
        self._progress = progress
        self._total = total
        self._last = 0.0

    async def __call__(self, value: float, _total: float, message: str) -> None:
        """The wait's own report: `value` is its elapsed seconds."""
        await self._send(max(round(value, 3), self._last + STEP), message)

    async def client_wait(self, _attempts: float, _of: float, message: str) -> None:
        """The client's report of a retry it waits for: counted in attempts, so it only steps past the last value."""
        await self._send(self._last + STEP, message)

    async def _send(self, value: float, message: str) -> None:
        self._last = value
        with contextlib.suppress(Exception):  # progress is a courtesy: it never fails the call
            await self._progress(value, self._total, message)


@contextlib.contextmanager
def steady_progress(progress: Progress | None, wait_seconds: Any) -> Iterator[Progress | None]:
    """The call's one reporter (None when the client asked for no progress), also the client's for its waits."""
    if progress is None:
        yield None
        return
    total = (
        float(wait_seconds) if isinstance(wait_seconds, int) and not isinstance(wait_seconds, bool) else 0.0
    )
    steady = SteadyProgress(progress, total)
    token = WAIT_REPORTER.set(steady.client_wait)
    try:
        yield steady
    finally:
        WAIT_REPORTER.reset(token)
