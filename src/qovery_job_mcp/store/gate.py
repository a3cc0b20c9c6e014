"""The Qovery client's gate over the shared store: the request budget, and fencing for writes.

Before each attempt (qovery/gate.py): before a write (anything but GET) under a held job lock
(store/job_locks.py), the lease is renewed first, so a write whose lease lapsed is not sent (a read
under the lock needs no fencing: its answer is checked again by the write's own renewal); then one request is spent from the
credential's budget, shared by every replica, or the attempt is refused with the time to retry
(`BudgetSpentError`, nothing sent). After each answer, a 429's `Retry-After` is shared with every
replica, and so are Qovery's `X-RateLimit-Remaining` / `X-RateLimit-Reset` once they matter (a
tenth of the limit or less remains): before that our own shared count is the tighter bound, and a
store write per answer would only lengthen every write's hold on its job's lock.

Credentials are named by their hash (keys.credential_hash), never kept or sent to the store.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import anyio

from qovery_job_mcp.qovery.retry_policy import parse_retry_after
from qovery_job_mcp.store.base import DEFAULT_REQUEST_BUDGET, StateStore
from qovery_job_mcp.store.errors import BudgetSpentError, StoreUnavailableError
from qovery_job_mcp.store.job_locks import renew_held
from qovery_job_mcp.store.keys import credential_hash, upstream_from_headers
from qovery_job_mcp.store.locks import Clock

if TYPE_CHECKING:
    import httpx

#: A 429's block ends this much before its Retry-After runs out, so the replica that got the 429
#: and waited exactly that long is not refused its own retry by clock rounding.
RETRY_SLACK_SECONDS = 0.05
#: A block this short (a 429 whose Retry-After is a second or two) is waited out before the attempt, as the
#: client waits out a Retry-After of its own, rather than failing every call made meanwhile; a longer one
#: (the budget spent for the hour, Qovery asking for minutes) refuses the attempt at once, with when to retry.
SHORT_BLOCK_SECONDS = 3.0
#: How many short blocks one attempt waits out before it is refused all the same.
SHORT_BLOCK_WAITS = 3


class StoreGate:
    """Spends and shares the request budget in `store`; renews the held lock's lease before a request."""

    def __init__(
        self,
        store: StateStore,
        *,
        clock: Clock = time.time,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.store = store
        self._clock = clock
        self._sleep = sleep

    async def before_attempt(self, method: str, credential: str) -> None:
        if method != "GET":
            await renew_held()
        waits = 0
        while True:
            spend = await self.store.try_spend(credential_hash(credential))
            if spend.allowed:
                return
            now = self._clock()
            retry_at = spend.retry_at if spend.retry_at is not None else now
            if waits == SHORT_BLOCK_WAITS or retry_at - now > SHORT_BLOCK_SECONDS:
                raise BudgetSpentError(retry_at, now)
            waits += 1
            await self._sleep(max(0.0, retry_at - now))

    async def after_answer(self, credential: str, response: httpx.Response) -> None:
        retry_after = None
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None:
                retry_after = max(0.0, retry_after - RETRY_SLACK_SECONDS)
        upstream = upstream_from_headers(response.headers, self._clock(), retry_after)
        if upstream.blocked_until is None and not _low(upstream.remaining, response.headers):
            return
        try:
            await self.store.record_upstream(credential_hash(credential), upstream)
        except StoreUnavailableError:
            return  # a hint lost: our own count and Qovery's 429 still hold the line


def _low(remaining: int | None, headers: Mapping[str, str]) -> bool:
    """Qovery's remaining count is worth sharing: at most a tenth of its limit (or of 1,000) is left."""
    if remaining is None:
        return False
    try:
        limit = int(headers.get("X-RateLimit-Limit") or DEFAULT_REQUEST_BUDGET)
    except ValueError:
        limit = DEFAULT_REQUEST_BUDGET
    return remaining <= max(1, limit // 10)
