"""The per-job write lock, as a small protocol: one process by default, a shared store later.

A write holds its job's lock from the read it re-checks to the request it sends, so two writes to one job never
interleave. `InProcessJobLocks` serializes the writes of one process; a store shared by replicas (a lease with a
fencing token) implements the same `hold` and is passed to `JobOperations(locks=...)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import anyio


class JobLocks(Protocol):
    """One lock per job id."""

    def hold(self, job_id: str) -> AbstractAsyncContextManager[None]: ...


class InProcessJobLocks:
    """One anyio lock per job id, dropped when nobody holds or waits for it (the table stays as small as the
    number of jobs being written right now)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[anyio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, job_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(job_id) or (anyio.Lock(), 0)
        self._locks[job_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[job_id]
            if users <= 1:
                del self._locks[job_id]
            else:
                self._locks[job_id] = (lock, users - 1)
