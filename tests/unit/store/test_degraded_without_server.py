"""Degraded mode where no Redis answers at all (a port nothing listens on): no redis-server needed."""

from __future__ import annotations

import logging

import pytest

from qovery_job_mcp.store.base import BudgetSettings
from qovery_job_mcp.store.degraded import DegradableStore
from qovery_job_mcp.store.errors import StoreUnavailableError
from qovery_job_mcp.store.keys import upstream_from_headers
from qovery_job_mcp.store.locks import hold
from qovery_job_mcp.store.memory import MemoryStore
from qovery_job_mcp.store.redis_store import RedisStore
from tests.support.clock import START, FakeTime
from tests.support.ports import free_port


async def test_reads_go_on_per_process_and_writes_are_refused(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="qovery_job_mcp.store")
    wall = FakeTime(now=START)
    url = f"redis://:pw-secret@127.0.0.1:{free_port()}/0"
    store = DegradableStore(
        RedisStore(url, command_timeout=0.5), MemoryStore(BudgetSettings(limit=2)), clock=wall.clock
    )
    try:
        health = await store.health()
        assert health.status == "degraded"
        assert health.detail is not None
        assert health.detail.startswith("the shared state store at redis://:***@127.0.0.1:")
        await store.record_upstream(
            "cred:a",
            upstream_from_headers({"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "60"}, wall.now),
        )
        assert (await store.try_spend("cred:a")).allowed
        refused = await store.try_spend("cred:a")
        assert not refused.allowed, "Qovery's hint, recorded while degraded, holds locally"
        with pytest.raises(StoreUnavailableError):
            await store.consume("state", 60)
        with pytest.raises(StoreUnavailableError, match="nothing was sent"):
            async with hold(store, "job"):
                pass
        wall.advance(10)
        assert (await store.try_spend("cred:b")).allowed
    finally:
        await store.close()
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "pw-secret" not in caplog.text
