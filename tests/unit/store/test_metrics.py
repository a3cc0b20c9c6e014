"""The store's Prometheus series move with what the store does, and stay off until enabled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from qovery_job_mcp.store import metrics
from qovery_job_mcp.store.base import BudgetSettings
from qovery_job_mcp.store.errors import JobBusyError, LeaseLostError
from qovery_job_mcp.store.locks import hold
from qovery_job_mcp.store.memory import MemoryStore
from tests.support.clock import START, FakeTime


@pytest.fixture
def registry() -> Iterator[CollectorRegistry]:
    registry = CollectorRegistry()
    metrics.enable(registry)
    yield registry
    metrics.disable()


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    found = registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


async def test_each_guarantee_has_its_series(registry: CollectorRegistry) -> None:
    wall = FakeTime(now=START)
    store = MemoryStore(BudgetSettings(limit=2), clock=wall.clock, sleep=wall.sleep)

    await store.acquire("job", lease_seconds=1)
    with pytest.raises(JobBusyError):
        await store.acquire("job", wait_seconds=0.5)
    assert value(registry, "qovery_job_mcp_store_lock_wait_seconds_count") == 1
    assert value(registry, "qovery_job_mcp_store_lock_timeouts_total") == 1
    await store.acquire("job", wait_seconds=5)
    assert value(registry, "qovery_job_mcp_store_lock_wait_seconds_count") == 2
    assert value(registry, "qovery_job_mcp_store_lock_wait_seconds_sum") == pytest.approx(0.5, abs=0.11)

    async with hold(store, "other", lease_seconds=1) as held:
        wall.advance(2)
        with pytest.raises(LeaseLostError):
            await held.ensure()
    assert value(registry, "qovery_job_mcp_store_lease_lost_total") == 1

    assert await store.consume("state", 60)
    assert not await store.consume("state", 60)
    assert value(registry, "qovery_job_mcp_store_consumed_state_refusals_total") == 1

    await store.try_spend("cred:0123456789ab")
    remaining = "qovery_job_mcp_store_budget_remaining"
    assert value(registry, remaining, credential="cred:0123456789ab") == 1
    await store.try_spend("cred:0123456789ab")
    await store.try_spend("cred:0123456789ab")
    assert value(registry, remaining, credential="cred:0123456789ab") == 0
    assert value(registry, "qovery_job_mcp_store_budget_refusals_total") == 1

    metrics.store_error("spend")
    metrics.degraded(True)
    assert value(registry, "qovery_job_mcp_store_errors_total", operation="spend") == 1
    assert value(registry, "qovery_job_mcp_store_degraded") == 1


def test_credential_series_are_bounded(registry: CollectorRegistry) -> None:
    for number in range(metrics.MAX_CREDENTIAL_LABELS + 20):
        metrics.budget_remaining(f"cred:{number:012x}", 5)
    series = [
        sample
        for family in registry.collect()
        if family.name == "qovery_job_mcp_store_budget_remaining"
        for sample in family.samples
    ]
    assert len(series) == metrics.MAX_CREDENTIAL_LABELS


async def test_off_until_enabled() -> None:
    metrics.disable()
    store = MemoryStore()
    assert await store.consume("state", 60)
    assert not await store.consume("state", 60)
    metrics.lock_timed_out()
    metrics.store_error("x")
    metrics.budget_remaining("cred:x", 1)
