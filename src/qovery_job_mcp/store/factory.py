"""Build the store a setting names: the in-process one, or Redis wrapped for degraded mode.

redis-py is imported here, and only for a redis:// or rediss:// setting.
"""

from __future__ import annotations

import asyncio
import time

from qovery_job_mcp.config.store_setting import StoreSetting
from qovery_job_mcp.store.base import BudgetSettings, StateStore
from qovery_job_mcp.store.locks import Clock, Sleep
from qovery_job_mcp.store.memory import MemoryStore


def open_store(
    setting: StoreSetting,
    budget: BudgetSettings | None = None,
    *,
    command_timeout: float | None = None,
    clock: Clock = time.time,
    sleep: Sleep = asyncio.sleep,
    retry_interval: float | None = None,
) -> StateStore:
    """`MemoryStore` for `memory`; for a Redis URL, `RedisStore` with a per-process budget fallback."""
    local = MemoryStore(budget, clock=clock, sleep=sleep)
    if setting.url is None:
        return local
    from qovery_job_mcp.store.degraded import DEFAULT_RETRY_INTERVAL, DegradableStore
    from qovery_job_mcp.store.redis_store import DEFAULT_COMMAND_TIMEOUT, RedisStore

    shared = RedisStore(
        setting.url,
        budget,
        command_timeout=command_timeout or DEFAULT_COMMAND_TIMEOUT,
        clock=clock,
        sleep=sleep,
    )
    return DegradableStore(shared, local, retry_interval=retry_interval or DEFAULT_RETRY_INTERVAL)
