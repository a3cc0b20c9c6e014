"""The store in Redis, for replicas: every guarantee is one atomic command or Lua script.

Every command runs under a timeout (socket timeouts, and `asyncio.wait_for` around the whole call,
redis-py's own retries off), so a Redis that is down, slow or partitioned costs a caller at most
`command_timeout` seconds and never hangs the server. Any failure becomes `StoreUnavailableError`,
whose sentence names the store by its URL without the password. Imported only when a redis:// or
rediss:// URL is configured (store/factory.py), so the default start-up never loads redis-py.

Keys (prefix `qovery-job-mcp:`): `lock:<job>` (owner:token, PX lease), `fence:<job>` (the
fencing counter), `used:<sha256>` (single-use markers, PX ttl), `budget:<cred hash>` (the
window's count, PX window), `upstream:<cred hash>` (Qovery's hints, expiring with them).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from qovery_job_mcp.config.store_setting import safe_url
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
from qovery_job_mcp.store.errors import StoreUnavailableError
from qovery_job_mcp.store.keys import marker_digest
from qovery_job_mcp.store.locks import Clock, Sleep, new_owner, wait_for_lock

T = TypeVar("T")

DEFAULT_COMMAND_TIMEOUT = 1.0
PREFIX = "qovery-job-mcp:"
#: Fencing counters outlive any lease by far; they expire so that jobs long gone leave nothing.
FENCE_TTL_MS = 7 * 24 * 3600 * 1000

ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token
"""
STILL_HELD = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then return 0 end
return 1
"""
RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""
RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""
# Answers {allowed, retry_at_ms, remaining}; mirrors MemoryStore.try_spend.
SPEND = """
local now = tonumber(ARGV[1])
local up = redis.call('HMGET', KEYS[2], 'remaining', 'reset_at', 'blocked_until')
local blocked = tonumber(up[3])
if blocked and blocked > now then return {0, blocked, 0} end
local up_left = nil
local reset = tonumber(up[2])
if tonumber(up[1]) and reset and reset > now then
  up_left = tonumber(up[1])
  if up_left <= 0 then return {0, reset, 0} end
end
local limit = tonumber(ARGV[2])
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
if count > limit then
  redis.call('DECR', KEYS[1])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]); ttl = tonumber(ARGV[3]) end
  return {0, now + ttl, 0}
end
local left = limit - count
if up_left then
  redis.call('HINCRBY', KEYS[2], 'remaining', -1)
  if up_left - 1 < left then left = up_left - 1 end
end
return {1, 0, left}
"""
# Mirrors memory.merge_upstream: within one reset window the smaller remaining wins.
RECORD = """
local now = tonumber(ARGV[1])
local old = redis.call('HMGET', KEYS[1], 'remaining', 'reset_at', 'blocked_until')
local remaining, reset, blocked = tonumber(old[1]), tonumber(old[2]), tonumber(old[3])
if math.max(reset or 0, blocked or 0) <= now then remaining, reset, blocked = nil, nil, nil end
local new_rem, new_reset, new_blocked = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if new_rem then
  local r = new_reset or reset or (now + tonumber(ARGV[5]))
  if reset and remaining and math.abs(r - reset) < 1000 then
    remaining = math.min(remaining, new_rem)
  else
    remaining = new_rem
  end
  reset = r
elseif new_reset then
  reset = new_reset
end
if new_blocked and ((not blocked) or new_blocked > blocked) then blocked = new_blocked end
redis.call('DEL', KEYS[1])
local expires = math.max(reset or 0, blocked or 0)
if expires <= now then return 0 end
if remaining then redis.call('HSET', KEYS[1], 'remaining', remaining) end
if reset then redis.call('HSET', KEYS[1], 'reset_at', reset) end
if blocked then redis.call('HSET', KEYS[1], 'blocked_until', blocked) end
redis.call('PEXPIRE', KEYS[1], expires - now)
return 1
"""


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _optional_ms(seconds: float | None) -> str:
    return "" if seconds is None else str(round(seconds * 1000))


class RedisStore:
    """The shared store on one Redis (redis:// or rediss://; a managed one or the manifests' own)."""

    def __init__(
        self,
        url: str,
        budget: BudgetSettings | None = None,
        *,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        prefix: str = PREFIX,
    ) -> None:
        self.target = safe_url(url)
        self.budget = budget or BudgetSettings()
        self._timeout = command_timeout
        self._clock = clock
        self._sleep = sleep
        self._prefix = prefix
        self._redis: Redis = Redis.from_url(
            url,
            socket_timeout=command_timeout,
            socket_connect_timeout=command_timeout,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
            decode_responses=True,
        )
        self._scripts = {
            name: self._redis.register_script(source)
            for name, source in (
                ("acquire", ACQUIRE),
                ("still_held", STILL_HELD),
                ("renew", RENEW),
                ("release", RELEASE),
                ("spend", SPEND),
                ("record", RECORD),
            )
        }

    async def _run(self, operation: str, call: Awaitable[T]) -> T:
        """One command under the timeout; every failure is the one `StoreUnavailableError`."""
        try:
            return await asyncio.wait_for(call, self._timeout)
        except (RedisError, OSError, asyncio.TimeoutError) as error:
            metrics.store_error(operation)
            raise StoreUnavailableError(self.target, type(error).__name__) from None

    async def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self._run(name, self._scripts[name](keys=keys, args=args))

    # -- locks ---------------------------------------------------------------------------------

    async def acquire(
        self,
        job: str,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    ) -> Lease:
        owner = new_owner()
        keys = [f"{self._prefix}lock:{job}", f"{self._prefix}fence:{job}"]

        async def try_once() -> int | None:
            token = int(await self._script("acquire", keys, [owner, _ms(lease_seconds), FENCE_TTL_MS]))
            return token or None

        return await wait_for_lock(
            job,
            owner,
            try_once,
            lease_seconds=lease_seconds,
            wait_seconds=wait_seconds,
            clock=self._clock,
            sleep=self._sleep,
        )

    def _lock(self, lease: Lease) -> tuple[list[str], str]:
        return [f"{self._prefix}lock:{lease.job}"], f"{lease.owner}:{lease.token}"

    async def still_held(self, lease: Lease, *, min_remaining: float = 0.0) -> bool:
        keys, value = self._lock(lease)
        return bool(await self._script("still_held", keys, [value, round(min_remaining * 1000)]))

    async def renew(self, lease: Lease, lease_seconds: float | None = None) -> bool:
        keys, value = self._lock(lease)
        return bool(await self._script("renew", keys, [value, _ms(lease_seconds or lease.lease_seconds)]))

    async def release(self, lease: Lease) -> bool:
        keys, value = self._lock(lease)
        return bool(await self._script("release", keys, [value]))

    # -- single-use markers -------------------------------------------------------------------

    async def consume(self, key: str, ttl_seconds: float) -> bool:
        name = f"{self._prefix}used:{marker_digest(key)}"
        first = bool(await self._run("consume", self._redis.set(name, "1", nx=True, px=_ms(ttl_seconds))))
        if not first:
            metrics.consumed_refused()
        return first

    # -- request budget -----------------------------------------------------------------------

    async def try_spend(self, credential_hash: str) -> Spend:
        now_ms = round(self._clock() * 1000)
        keys = [f"{self._prefix}budget:{credential_hash}", f"{self._prefix}upstream:{credential_hash}"]
        args = [now_ms, self.budget.limit, _ms(self.budget.window_seconds)]
        allowed, retry_at_ms, remaining = (int(v) for v in await self._script("spend", keys, args))
        metrics.budget_remaining(credential_hash, remaining)
        if allowed:
            return Spend(True, remaining=remaining)
        metrics.budget_refused()
        return Spend(False, retry_at=retry_at_ms / 1000, remaining=0)

    async def record_upstream(self, credential_hash: str, upstream: UpstreamBudget) -> None:
        if upstream.is_empty():
            return
        args = [
            round(self._clock() * 1000),
            "" if upstream.remaining is None else str(upstream.remaining),
            _optional_ms(upstream.reset_at),
            _optional_ms(upstream.blocked_until),
            _ms(self.budget.window_seconds),
        ]
        await self._script("record", [f"{self._prefix}upstream:{credential_hash}"], args)

    # -- the rest -----------------------------------------------------------------------------

    async def health(self) -> StoreHealth:
        try:
            await self._run("ping", self._redis.ping())
        except StoreUnavailableError as error:
            return StoreHealth(kind="redis", status="unreachable", target=self.target, detail=error.message)
        return StoreHealth(kind="redis", status="ok", target=self.target)

    async def close(self) -> None:
        # `aclose` from redis-py 5.0.1; 5.0.0 only has the older name.
        closing = getattr(self._redis, "aclose", None) or self._redis.close
        await closing()
