"""The default store needs nothing: redis-py and prometheus-client stay unloaded until asked for."""

from __future__ import annotations

import subprocess
import sys

from qovery_job_mcp.config.store_setting import parse_state_store
from qovery_job_mcp.store import factory
from qovery_job_mcp.store.base import StateStore
from qovery_job_mcp.store.degraded import DegradableStore
from qovery_job_mcp.store.memory import MemoryStore

PROBE = """
import asyncio, sys
from qovery_job_mcp.store.factory import open_store
from qovery_job_mcp.config.store_setting import parse_state_store
store = open_store(parse_state_store("memory"))
assert asyncio.run(store.consume("x", 1))
asyncio.run(store.acquire("job"))
print(sorted(name for name in ("redis", "prometheus_client") if name in sys.modules))
"""


def test_the_memory_store_loads_neither_redis_nor_prometheus() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


async def test_the_factory_builds_what_the_setting_names() -> None:
    memory = factory.open_store(parse_state_store("memory"))
    assert isinstance(memory, MemoryStore)
    shared = factory.open_store(parse_state_store("redis://:pw-secret@127.0.0.1:1/0"), command_timeout=0.2)
    try:
        assert isinstance(shared, DegradableStore)
        assert isinstance(shared, StateStore)
        assert shared.target == "redis://:***@127.0.0.1:1/0"
    finally:
        await shared.close()
