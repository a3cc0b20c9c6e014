"""The in-process store, the default: the same contract as Redis, for one process.

Every method's work is synchronous between awaits, so on one event loop each is atomic, as a Lua
script is in Redis. Entries carry their own expiry on the injectable clock and are dropped when
read past it, or in a sweep once a table grows, so a long-lived process keeps only live state.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from qovery_job_mcp.config.store_setting import MEMORY
from qovery_job_mcp.store import metrics
from qovery_job_mcp.store.base import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_LOCK_WAIT_SECONDS,
    BudgetSettings,
    Lease,
    Spend,
    StoreHealth,
    UpstreamBudget,
)
from qovery_job_mcp.store.keys import marker_digest
from qovery_job_mcp.store.locks import Clock, Sleep, new_owner, wait_for_lock

#: A table is swept of expired entries when it reaches this size (and its size doubles after).
SWEEP_AT = 1024


@dataclass
class _Held:
    owner: str
    token: int
    expires_at: float


@dataclass
class _Window:
    count: int
    ends_at: float


@dataclass
class _Upstream:
    remaining: int | None
    reset_at: float | None
    blocked_until: float | None
    expires_at: float


def merge_upstream(old: _Upstream | None, new: UpstreamBudget, now: float, window: float) -> _Upstream:
    """Fold one answer's hints into what is known: answers can arrive out of order across replicas.

    Within one reset window the smaller remaining wins (a late answer cannot give back spent
    requests); a new reset time starts over. A remaining without a reset is kept for one window.
    """
    if old is not None and old.expires_at <= now:
        old = None
    remaining, reset_at = (old.remaining, old.reset_at) if old else (None, None)
    if new.remaining is not None:
        new_reset = new.reset_at if new.reset_at is not None else (reset_at or now + window)
        same_window = reset_at is not None and abs(new_reset - reset_at) < 1.0 and remaining is not None
        remaining = min(remaining, new.remaining) if same_window and remaining is not None else new.remaining
        reset_at = new_reset
    elif new.reset_at is not None:
        reset_at = new.reset_at
    blocked = max(filter(None, (old.blocked_until if old else None, new.blocked_until)), default=None)
    expires_at = max(filter(None, (reset_at, blocked)), default=now)
    return _Upstream(remaining, reset_at, blocked, expires_at)


class MemoryStore:
    """Locks, used markers and budgets in this process; `clock` and `sleep` are injectable for tests."""

    def __init__(
        self,
        budget: BudgetSettings | None = None,
        *,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.target = MEMORY
        self.budget = budget or BudgetSettings()
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[str, _Held] = {}
        self._fences: dict[str, int] = {}
        self._used: dict[str, float] = {}
        self._windows: dict[str, _Window] = {}
        self._upstream: dict[str, _Upstream] = {}
        self._sweep_at = SWEEP_AT

    # -- locks ---------------------------------------------------------------------------------

    def _holder(self, job: str, now: float) -> _Held | None:
        held = self._locks.get(job)
        if held is not None and held.expires_at <= now:
            del self._locks[job]
            held = None
        return held

    async def acquire(
        self,
        job: str,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    ) -> Lease:
        owner = new_owner()

        async def try_once() -> int | None:
            now = self._clock()
            if self._holder(job, now) is not None:
                return None
            token = self._fences.get(job, 0) + 1
            self._fences[job] = token
            self._locks[job] = _Held(owner, token, now + lease_seconds)
            return token

        return await wait_for_lock(
            job,
            owner,
            try_once,
            lease_seconds=lease_seconds,
            wait_seconds=wait_seconds,
            clock=self._clock,
            sleep=self._sleep,
        )

    def _mine(self, lease: Lease) -> _Held | None:
        held = self._holder(lease.job, self._clock())
        return held if held is not None and (held.owner, held.token) == (lease.owner, lease.token) else None

    async def still_held(self, lease: Lease, *, min_remaining: float = 0.0) -> bool:
        held = self._mine(lease)
        return held is not None and held.expires_at - self._clock() >= min_remaining

    async def renew(self, lease: Lease, lease_seconds: float | None = None) -> bool:
        held = self._mine(lease)
        if held is None:
            return False
        held.expires_at = self._clock() + (lease_seconds or lease.lease_seconds)
        return True

    async def release(self, lease: Lease) -> bool:
        if self._mine(lease) is None:
            return False
        del self._locks[lease.job]
        return True

    # -- single-use markers -------------------------------------------------------------------

    async def consume(self, key: str, ttl_seconds: float) -> bool:
        now = self._clock()
        digest = marker_digest(key)
        expires_at = self._used.get(digest)
        if expires_at is not None and expires_at > now:
            metrics.consumed_refused()
            return False
        self._used[digest] = now + ttl_seconds
        self._sweep(now)
        return True

    # -- request budget -----------------------------------------------------------------------

    async def try_spend(self, credential_hash: str) -> Spend:
        now = self._clock()
        upstream = self._upstream.get(credential_hash)
        if upstream is not None and upstream.expires_at <= now:
            del self._upstream[credential_hash]
            upstream = None
        if upstream is not None and upstream.blocked_until is not None and upstream.blocked_until > now:
            return self._refused(credential_hash, upstream.blocked_until)
        upstream_left = None
        if upstream is not None and upstream.remaining is not None and (upstream.reset_at or 0) > now:
            upstream_left = upstream.remaining
            if upstream_left <= 0:
                return self._refused(credential_hash, upstream.reset_at or now)
        window = self._windows.get(credential_hash)
        if window is None or window.ends_at <= now:
            window = self._windows[credential_hash] = _Window(0, now + self.budget.window_seconds)
            self._sweep(now)
        if window.count >= self.budget.limit:
            return self._refused(credential_hash, window.ends_at)
        window.count += 1
        remaining = self.budget.limit - window.count
        if upstream is not None and upstream_left is not None:
            upstream.remaining = upstream_left - 1
            remaining = min(remaining, upstream_left - 1)
        metrics.budget_remaining(credential_hash, remaining)
        return Spend(True, remaining=remaining)

    def _refused(self, credential_hash: str, retry_at: float) -> Spend:
        metrics.budget_refused()
        metrics.budget_remaining(credential_hash, 0)
        return Spend(False, retry_at=retry_at, remaining=0)

    async def record_upstream(self, credential_hash: str, upstream: UpstreamBudget) -> None:
        if upstream.is_empty():
            return
        now = self._clock()
        merged = merge_upstream(
            self._upstream.get(credential_hash), upstream, now, self.budget.window_seconds
        )
        self._upstream[credential_hash] = merged

    # -- the rest -----------------------------------------------------------------------------

    def _sweep(self, now: float) -> None:
        """Drop expired markers and windows once the tables grow, so memory follows live state only."""
        if len(self._used) + len(self._windows) < self._sweep_at:
            return
        self._used = {key: at for key, at in self._used.items() if at > now}
        self._windows = {key: w for key, w in self._windows.items() if w.ends_at > now}
        self._upstream = {key: u for key, u in self._upstream.items() if u.expires_at > now}
        self._sweep_at = max(SWEEP_AT, 2 * (len(self._used) + len(self._windows)))

    async def health(self) -> StoreHealth:
        return StoreHealth(kind="memory", status="ok", target=MEMORY)

    async def close(self) -> None:
        return None
