"""Per-job write locks shared by replicas: the core's `JobLocks` (operations/locks.py) over the store.

`SharedJobLocks.hold(job)` takes the job's lock in the store (a lease and a fencing token) for the
write flow, from the read that checks `expected_version` to the end of the write, and marks it held
in this task's context. The Qovery client's gate (store/gate.py) then renews that lease right
before each attempt of a write request (PUT, DELETE, POST): an attempt whose lease lapsed (a pause longer than the
lease, a Redis that lost the lock) is not sent (`LeaseLostError`), and a write that goes on keeps
the job for as long as it sends. A second write waits a bounded time, then hears "another change to
job … is in progress" with nothing sent (`JobBusyError`).

The in-process store does not need this: one process queues its own writes (InProcessJobLocks).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from qovery_job_mcp.store import metrics
from qovery_job_mcp.store.base import DEFAULT_LEASE_SECONDS, DEFAULT_LOCK_WAIT_SECONDS, StateStore
from qovery_job_mcp.store.errors import LeaseLostError
from qovery_job_mcp.store.locks import HeldLock, hold

#: The lock the current write holds, if any: what the client's gate renews before an attempt.
HELD: ContextVar[HeldLock | None] = ContextVar("qovery_job_mcp_held_lock", default=None)


class SharedJobLocks:
    """One lock per job in the shared store; satisfies operations.locks.JobLocks."""

    def __init__(
        self,
        store: StateStore,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    ) -> None:
        self.store = store
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds

    @asynccontextmanager
    async def hold(self, job_id: str) -> AsyncIterator[None]:
        async with hold(
            self.store, job_id, lease_seconds=self.lease_seconds, wait_seconds=self.wait_seconds
        ) as held:
            token = HELD.set(held)
            try:
                yield
            finally:
                HELD.reset(token)


async def renew_held() -> None:
    """Before an attempt under a held lock: restart its lease, or raise `LeaseLostError` (send nothing)."""
    held = HELD.get()
    if held is None:
        return
    if not await held.store.renew(held.lease):
        metrics.lease_lost()
        raise LeaseLostError(held.lease.job)
