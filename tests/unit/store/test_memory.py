"""What only the in-process store has: time on an injected clock, a bounded table, and `hold`."""

from __future__ import annotations

import pytest

from qovery_job_mcp.store.base import BudgetSettings, UpstreamBudget
from qovery_job_mcp.store.errors import JobBusyError, LeaseLostError
from qovery_job_mcp.store.locks import hold
from qovery_job_mcp.store.memory import SWEEP_AT, MemoryStore, merge_upstream
from tests.support.clock import START, FakeTime


@pytest.fixture
def wall() -> FakeTime:
    return FakeTime(now=START)


@pytest.fixture
def store(wall: FakeTime) -> MemoryStore:
    return MemoryStore(BudgetSettings(limit=5, window_seconds=60), clock=wall.clock, sleep=wall.sleep)


async def test_the_wait_polls_on_the_injected_clock_and_stops_at_the_bound(
    store: MemoryStore, wall: FakeTime
) -> None:
    await store.acquire("job", lease_seconds=60)
    with pytest.raises(JobBusyError):
        await store.acquire("job", wait_seconds=1.0)
    assert sum(wall.sleeps) == pytest.approx(1.0, abs=1e-3)
    assert 0.0125 <= wall.sleeps[0] <= 0.025, "the first poll: 25 ms, shortened by up to half"
    assert max(wall.sleeps) <= 0.025, "polls are 25 ms at most"
    assert max(wall.sleeps[-10:]) <= 0.007, "near a second of waiting, a waiter polls about every 5 ms"


async def test_a_waiter_gets_the_lock_once_the_lease_lapses(store: MemoryStore, wall: FakeTime) -> None:
    first = await store.acquire("job", lease_seconds=2)
    second = await store.acquire("job", wait_seconds=5)
    assert second.token == first.token + 1
    assert second.waited == pytest.approx(2.0, abs=0.11)


async def test_hold_releases_when_the_write_fails(store: MemoryStore) -> None:
    async def failing_write() -> None:
        async with hold(store, "job") as held:
            await held.ensure()
            raise RuntimeError("the PUT failed")

    with pytest.raises(RuntimeError, match="the PUT failed"):
        await failing_write()
    assert (await store.acquire("job", wait_seconds=0)).token == 2


async def test_ensure_refuses_a_write_whose_lease_ran_out(store: MemoryStore, wall: FakeTime) -> None:
    async with hold(store, "job", lease_seconds=1) as held:
        await held.ensure(min_remaining=0.5)
        wall.advance(0.6)
        with pytest.raises(LeaseLostError, match="nothing was sent"):
            await held.ensure(min_remaining=0.5)
        wall.advance(1)
        with pytest.raises(LeaseLostError):
            await held.ensure()
        taken = await store.acquire("job", wait_seconds=0)
    assert await store.still_held(taken), "hold's release left the later holder's lock alone"


async def test_invalid_lock_arguments_are_refused(store: MemoryStore) -> None:
    with pytest.raises(ValueError, match="lease above 0"):
        await store.acquire("job", lease_seconds=0)
    with pytest.raises(ValueError, match="wait of 0 seconds or more"):
        await store.acquire("job", wait_seconds=-1)


async def test_the_window_starts_over_when_it_ends(store: MemoryStore, wall: FakeTime) -> None:
    spends = [await store.try_spend("cred:a") for _ in range(6)]
    assert [spend.allowed for spend in spends] == [True] * 5 + [False]
    assert spends[-1].retry_at == START + 60
    wall.advance(60)
    assert (await store.try_spend("cred:a")).remaining == 4


async def test_tables_keep_only_live_entries(store: MemoryStore, wall: FakeTime) -> None:
    for number in range(SWEEP_AT):
        assert await store.consume(f"old-{number}", ttl_seconds=10)
    wall.advance(11)
    for number in range(SWEEP_AT):
        assert await store.consume(f"fresh-{number}", ttl_seconds=10)
    assert len(store._used) <= SWEEP_AT, "the expired half was swept; the table stays bounded"
    assert not await store.consume("fresh-0", ttl_seconds=10), "live markers survive a sweep"


def test_hints_merge_as_answers_arrive() -> None:
    now = START
    first = merge_upstream(None, UpstreamBudget(remaining=5, reset_at=now + 60), now, 3600)
    assert (first.remaining, first.reset_at, first.expires_at) == (5, now + 60, now + 60)
    no_reset = merge_upstream(None, UpstreamBudget(remaining=5), now, 3600)
    assert no_reset.reset_at == now + 3600, "a remaining without a reset is kept one window"
    blocked = merge_upstream(first, UpstreamBudget(blocked_until=now + 600), now, 3600)
    assert (blocked.remaining, blocked.blocked_until, blocked.expires_at) == (5, now + 600, now + 600)
    shorter = merge_upstream(blocked, UpstreamBudget(blocked_until=now + 10), now, 3600)
    assert shorter.blocked_until == now + 600, "the longer wait stands"
    reset_only = merge_upstream(first, UpstreamBudget(reset_at=now + 90), now, 3600)
    assert (reset_only.remaining, reset_only.reset_at) == (5, now + 90)
    stale = merge_upstream(first, UpstreamBudget(remaining=9, reset_at=now + 200), now + 61, 3600)
    assert stale.remaining == 9, "what expired is forgotten"


async def test_health_and_close(store: MemoryStore) -> None:
    health = await store.health()
    assert health.as_dict() == {"kind": "memory", "status": "ok", "target": "memory"}
    await store.close()
