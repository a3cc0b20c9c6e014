"""The shared state store as the core sees it: one Protocol, its value types, no Redis.

Three guarantees need state every replica sees (issue 21): a per-job write lock with a lease and
a fencing token (no lost update across replicas), single-use markers (a confirmation answered
once is refused the second time), and a request budget per Qovery credential (replicas spend one
budget, not one each). `MemoryStore` keeps that state in the process (the default: one process,
nothing to install); `RedisStore` keeps it in Redis. Both honour the same contract
(tests/integration/store/test_store_contract.py), so the write flow, the confirmation flow and the
Qovery client depend on this module alone.

Times are seconds on the store's clock (`time.time` unless injected): Unix times, because a reset
time Qovery sends and a retry time one replica records must mean the same instant on every replica.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

#: How long a write may hold a job's lock before the lease lapses by itself (a killed replica
#: frees the job after this), and how long a second write waits for it before being refused.
DEFAULT_LEASE_SECONDS = 30.0
DEFAULT_LOCK_WAIT_SECONDS = 5.0
#: Qovery documents 1,000 requests per hour per API token.
DEFAULT_REQUEST_BUDGET = 1000
DEFAULT_BUDGET_WINDOW_SECONDS = 3600.0


@dataclass(frozen=True)
class Lease:
    """A held job lock. `token` is the fencing token: it grows with every acquisition of the job."""

    job: str
    token: int
    #: Random per acquisition: release and the fencing check compare it, so an expired holder
    #: can never release or write under the lock a later holder took.
    owner: str
    lease_seconds: float
    #: Seconds the acquisition waited for another holder (0 when the job was free).
    waited: float = 0.0


@dataclass(frozen=True)
class Spend:
    """The answer to `try_spend`: allowed, or refused with the Unix time to retry at."""

    allowed: bool
    retry_at: float | None = None
    #: Requests left in the window after this one (the smaller of ours and Qovery's), when known.
    remaining: int | None = None


@dataclass(frozen=True)
class UpstreamBudget:
    """What Qovery said about the budget on one answer, with times made absolute (Unix seconds)."""

    remaining: int | None = None
    reset_at: float | None = None
    #: From a 429's Retry-After: no request for this credential before this time, on any replica.
    blocked_until: float | None = None

    def is_empty(self) -> bool:
        return self.remaining is None and self.reset_at is None and self.blocked_until is None


HealthStatus = Literal["ok", "degraded", "unreachable"]


@dataclass(frozen=True)
class StoreHealth:
    """The store's state for /healthz; reported, never a reason to fail liveness."""

    kind: Literal["memory", "redis"]
    status: HealthStatus
    #: Where the store is, rendered without a password (`memory` for the in-process store).
    target: str
    detail: str | None = None

    def as_dict(self) -> dict[str, str]:
        entry = {"kind": self.kind, "status": self.status, "target": self.target}
        if self.detail:
            entry["detail"] = self.detail
        return entry


@dataclass(frozen=True)
class BudgetSettings:
    """The shared request budget: `limit` requests per credential per `window_seconds`."""

    limit: int = DEFAULT_REQUEST_BUDGET
    window_seconds: float = DEFAULT_BUDGET_WINDOW_SECONDS

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_seconds <= 0:
            raise ValueError("the request budget needs a limit of at least 1 and a window above 0 seconds")


@runtime_checkable
class StateStore(Protocol):
    """Where replicas share locks, used markers and the request budget.

    Every method may raise `StoreUnavailableError` (store/errors.py) when the store cannot answer in
    time; the caller then sends nothing. `acquire` raises `JobBusyError` when the wait runs out.
    """

    #: `memory` or the Redis URL without its password: safe in logs and sentences.
    target: str

    async def acquire(
        self,
        job: str,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    ) -> Lease:
        """Take the job's write lock, waiting at most `wait_seconds` for the holder to let go."""
        ...

    async def still_held(self, lease: Lease, *, min_remaining: float = 0.0) -> bool:
        """The fencing check before a write is sent: still ours, with at least `min_remaining` s left."""
        ...

    async def renew(self, lease: Lease, lease_seconds: float | None = None) -> bool:
        """Restart the lease's clock if the lock is still ours (False: lost, send nothing)."""
        ...

    async def release(self, lease: Lease) -> bool:
        """Let go of the lock if it is still ours (False: it had lapsed; a later holder keeps it)."""
        ...

    async def consume(self, key: str, ttl_seconds: float) -> bool:
        """Mark `key` used for `ttl_seconds`: True the first time on any replica, False after."""
        ...

    async def try_spend(self, credential_hash: str) -> Spend:
        """Count one upstream request for this credential, or refuse it (nothing sent) with a retry time."""
        ...

    async def record_upstream(self, credential_hash: str, upstream: UpstreamBudget) -> None:
        """Share what Qovery said about this credential's budget with every replica."""
        ...

    async def health(self) -> StoreHealth:
        """The store's state now, for /healthz."""
        ...

    async def close(self) -> None:
        """Release connections (the memory store has none)."""
        ...
