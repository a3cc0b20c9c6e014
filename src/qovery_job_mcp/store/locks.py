"""The bounded wait for a job's lock (shared by both stores) and `hold`, the write flow's use of it.

A store only knows how to try once (`try_once`: a fencing token, or None while another holds the
job). The waiting is here, once: on an injectable clock and sleep, never past the deadline, then
a `JobBusyError`. Polls are short (25 ms), because a lock released between two polls lies idle
until the next one: with many writes to one job (the rolling-restart test sends one edit of one job
in five calls, from 32 clients), 100 ms polls left the job idle for a third of the time and waits
ran past 5 s. The longer a write has waited, the more often it polls (down to 5 ms after a
second), and each pause is shortened by a random share: a write that just arrived does not keep
winning over one that has waited for seconds, and waiters do not poll in step.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from qovery_job_mcp.store import metrics
from qovery_job_mcp.store.base import DEFAULT_LEASE_SECONDS, DEFAULT_LOCK_WAIT_SECONDS, Lease, StateStore
from qovery_job_mcp.store.errors import JobBusyError, LeaseLostError, StoreUnavailableError

logger = logging.getLogger("qovery_job_mcp.store")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

FIRST_POLL_SECONDS = 0.025
MIN_POLL_SECONDS = 0.005
#: After this long, a waiter polls at MIN_POLL_SECONDS.
EAGER_AFTER_SECONDS = 1.0


def new_owner() -> str:
    """A random name for one acquisition: what release and the fencing check compare."""
    return secrets.token_hex(8)


async def wait_for_lock(
    job: str,
    owner: str,
    try_once: Callable[[], Awaitable[int | None]],
    *,
    lease_seconds: float,
    wait_seconds: float,
    clock: Clock,
    sleep: Sleep,
) -> Lease:
    """Try until the lock is ours or `wait_seconds` have passed on `clock` (then `JobBusyError`)."""
    if lease_seconds <= 0 or wait_seconds < 0:
        raise ValueError("a lock needs a lease above 0 seconds and a wait of 0 seconds or more")
    started = clock()
    deadline = started + wait_seconds
    while True:
        token = await try_once()
        now = clock()
        if token is not None:
            waited = max(0.0, now - started)
            metrics.lock_acquired(waited)
            return Lease(job=job, token=token, owner=owner, lease_seconds=lease_seconds, waited=waited)
        if now >= deadline:
            metrics.lock_timed_out()
            raise JobBusyError(job, now - started)
        eagerness = min(1.0, (now - started) / EAGER_AFTER_SECONDS)
        pause = FIRST_POLL_SECONDS - (FIRST_POLL_SECONDS - MIN_POLL_SECONDS) * eagerness
        await sleep(min(pause * (0.5 + random.random() / 2), deadline - now))


@dataclass(frozen=True)
class HeldLock:
    """A lock held for one write: `ensure()` right before the request is the fencing check."""

    store: StateStore
    lease: Lease

    async def ensure(self, min_remaining: float = 0.0) -> None:
        """Raise `LeaseLostError` (send nothing) unless the lock is still ours with `min_remaining` s left."""
        if not await self.store.still_held(self.lease, min_remaining=min_remaining):
            metrics.lease_lost()
            raise LeaseLostError(self.lease.job)


@asynccontextmanager
async def hold(
    store: StateStore,
    job: str,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> AsyncIterator[HeldLock]:
    """Hold the job's lock for the body; let go at the end even when the body failed.

    A release the store cannot answer is logged, not raised: the write's own outcome is the answer,
    and the lease lets go of the job by itself when it runs out.
    """
    lease = await store.acquire(job, lease_seconds=lease_seconds, wait_seconds=wait_seconds)
    try:
        yield HeldLock(store, lease)
    finally:
        try:
            await store.release(lease)
        except StoreUnavailableError as error:
            logger.warning("could not release the lock on job %s (%s); its lease frees it", job, error.reason)
