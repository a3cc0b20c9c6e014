"""Two "replicas" of one store kind, and a way to let time pass, for the store's contract tests.

The memory store runs on a fake clock (time passes when the test says so, instantly); both of its
"replicas" are the one instance, as two requests in one process share it. The Redis store runs on
real time, against a real redis-server, with two `RedisStore` instances as two replicas would
have: letting time pass there is a real (short) wait, which only the lease and expiry cases need.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from qovery_job_mcp.store.base import BudgetSettings, StateStore
from qovery_job_mcp.store.memory import MemoryStore
from tests.support.clock import START, FakeTime

CONTRACT_BUDGET = BudgetSettings(limit=20, window_seconds=3600.0)


@dataclass
class Harness:
    kind: str
    a: StateStore
    b: StateStore
    now: Callable[[], float]
    advance: Callable[[float], Awaitable[None]]


@asynccontextmanager
async def memory_harness(budget: BudgetSettings = CONTRACT_BUDGET) -> AsyncIterator[Harness]:
    fake = FakeTime(now=START)
    store = MemoryStore(budget, clock=fake.clock, sleep=fake.sleep)

    async def advance(seconds: float) -> None:
        fake.advance(seconds)

    yield Harness("memory", store, store, fake.clock, advance)


@asynccontextmanager
async def redis_harness(url: str, budget: BudgetSettings = CONTRACT_BUDGET) -> AsyncIterator[Harness]:
    from qovery_job_mcp.store.redis_store import RedisStore

    a = RedisStore(url, budget, command_timeout=2.0)
    b = RedisStore(url, budget, command_timeout=2.0)
    try:
        yield Harness("redis", a, b, time.time, asyncio.sleep)
    finally:
        await a.close()
        await b.close()
