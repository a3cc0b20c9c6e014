"""Degraded mode: when the shared store is unreachable, reads go on and writes are refused.

`DegradableStore` wraps the shared store (Redis) with an in-process one. Locks and single-use
markers only ever come from the shared store: if it cannot answer, `StoreUnavailableError` reaches
the write, which sends nothing. The request budget falls back to the in-process count, so reads keep
working, each replica then spending its own share blind (said once in the log, and in /healthz
and the `store_degraded` metric). After a failure the shared store is tried again every
`retry_interval` seconds, so a store that hangs costs one timeout per interval, not one per read;
meanwhile a new write (a lock, a marker) is refused at once.
"""

from __future__ import annotations

import logging
import time

from qovery_job_mcp.store import metrics
from qovery_job_mcp.store.base import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_LOCK_WAIT_SECONDS,
    Lease,
    Spend,
    StateStore,
    StoreHealth,
    UpstreamBudget,
)
from qovery_job_mcp.store.errors import StoreUnavailableError
from qovery_job_mcp.store.locks import Clock

logger = logging.getLogger("qovery_job_mcp.store")

DEFAULT_RETRY_INTERVAL = 5.0


class DegradableStore:
    """The shared store, with the budget counted in-process while it is unreachable."""

    def __init__(
        self,
        shared: StateStore,
        local: StateStore,
        *,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        clock: Clock = time.monotonic,
    ) -> None:
        self.target = shared.target
        self.shared = shared
        self.local = local
        self._retry_interval = retry_interval
        self._clock = clock
        self._degraded = False
        self._skip_until = 0.0

    @property
    def degraded(self) -> bool:
        return self._degraded

    def _failed(self, error: StoreUnavailableError) -> None:
        self._skip_until = self._clock() + self._retry_interval
        if not self._degraded:
            self._degraded = True
            metrics.degraded(True)
            logger.warning(
                "%s (%s): writes are refused and the request budget is counted per process until it answers",
                error.message.removesuffix(" nothing was sent.").rstrip(";"),
                error.reason,
            )

    def _answered(self) -> None:
        if self._degraded:
            self._degraded = False
            metrics.degraded(False)
            logger.warning("the shared state store at %s answers again: writes resume", self.target)

    def _refuse_while_down(self) -> None:
        """A write while the store was just found down is refused at once, not after another timeout."""
        if self._degraded and self._clock() < self._skip_until:
            raise StoreUnavailableError(self.target, "degraded")

    # -- locks and markers: the shared store or nothing ---------------------------------------

    async def acquire(
        self,
        job: str,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    ) -> Lease:
        self._refuse_while_down()
        try:
            lease = await self.shared.acquire(job, lease_seconds=lease_seconds, wait_seconds=wait_seconds)
        except StoreUnavailableError as error:
            self._failed(error)
            raise
        self._answered()
        return lease

    async def still_held(self, lease: Lease, *, min_remaining: float = 0.0) -> bool:
        try:
            return await self.shared.still_held(lease, min_remaining=min_remaining)
        except StoreUnavailableError as error:
            self._failed(error)
            raise

    async def renew(self, lease: Lease, lease_seconds: float | None = None) -> bool:
        try:
            return await self.shared.renew(lease, lease_seconds)
        except StoreUnavailableError as error:
            self._failed(error)
            raise

    async def release(self, lease: Lease) -> bool:
        try:
            return await self.shared.release(lease)
        except StoreUnavailableError as error:
            self._failed(error)
            raise

    async def consume(self, key: str, ttl_seconds: float) -> bool:
        self._refuse_while_down()
        try:
            first = await self.shared.consume(key, ttl_seconds)
        except StoreUnavailableError as error:
            self._failed(error)
            raise
        self._answered()
        return first

    # -- the budget: shared when it can be, per process when it cannot ------------------------

    async def try_spend(self, credential_hash: str) -> Spend:
        if self._clock() >= self._skip_until:
            try:
                spend = await self.shared.try_spend(credential_hash)
            except StoreUnavailableError as error:
                self._failed(error)
            else:
                self._answered()
                return spend
        return await self.local.try_spend(credential_hash)

    async def record_upstream(self, credential_hash: str, upstream: UpstreamBudget) -> None:
        # The local count learns Qovery's hints too, so a fallback starts from what was known.
        await self.local.record_upstream(credential_hash, upstream)
        if self._clock() < self._skip_until:
            return
        try:
            await self.shared.record_upstream(credential_hash, upstream)
        except StoreUnavailableError as error:
            self._failed(error)
        else:
            self._answered()

    async def health(self) -> StoreHealth:
        shared = await self.shared.health()
        if shared.status == "ok":
            self._answered()
            return shared
        self._skip_until = self._clock() + self._retry_interval
        if not self._degraded:
            self._degraded = True
            metrics.degraded(True)
            logger.warning("%s: writes are refused, reads go on with a per-process budget", shared.detail)
        return StoreHealth(
            kind=shared.kind,
            status="degraded",
            target=shared.target,
            detail=f"{shared.detail} Writes are refused; reads go on with a per-process request budget.",
        )

    async def close(self) -> None:
        await self.shared.close()
        await self.local.close()
