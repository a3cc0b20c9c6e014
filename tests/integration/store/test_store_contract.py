"""The store's contract, run against the in-process store and a real Redis alike.

Each case takes two "replicas" of one store (for Redis, two clients of one redis-server) and
checks one guarantee of issue 21: the job lock excludes, its lease frees a dead holder, the
fencing check refuses a holder whose lease ran out, the wait is bounded and says so, a marker
is consumed once across replicas, and the request budget (with Qovery's own hints) is shared.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from qovery_job_mcp.store.errors import JobBusyError
from qovery_job_mcp.store.keys import upstream_from_headers
from tests.support.store_harness import Harness, memory_harness, redis_harness

pytestmark = [pytest.mark.timeout(30)]

JOB = "0b7e3c1a-6d2f-4f8e-9a41-5c3b8d2e7f60"
CRED = "cred:0123456789ab"


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    if request.param == "memory":
        async with memory_harness() as harness:
            yield harness
    else:
        url: str = request.getfixturevalue("redis_url")
        async with redis_harness(url) as harness:
            yield harness


async def test_the_lock_lets_one_of_16_concurrent_writers_in_at_a_time(store: Harness) -> None:
    inside = 0
    most_inside = 0
    tokens: list[int] = []

    async def write(number: int) -> None:
        nonlocal inside, most_inside
        replica = store.a if number % 2 else store.b
        lease = await replica.acquire(JOB, lease_seconds=600, wait_seconds=600)
        inside += 1
        most_inside = max(most_inside, inside)
        tokens.append(lease.token)
        # The critical section spans store round trips, as a read-check-PUT does.
        assert await replica.still_held(lease)
        await asyncio.sleep(0)
        assert await replica.still_held(lease)
        inside -= 1
        assert await replica.release(lease)

    await asyncio.gather(*(write(number) for number in range(16)))
    assert most_inside == 1
    assert len(set(tokens)) == 16
    assert tokens == sorted(tokens), "fencing tokens grow with each holder"


async def test_a_lease_frees_the_job_of_a_holder_that_died(store: Harness) -> None:
    dead = await store.a.acquire(JOB, lease_seconds=0.2, wait_seconds=0)
    with pytest.raises(JobBusyError):
        await store.b.acquire(JOB, lease_seconds=5, wait_seconds=0)
    await store.advance(0.3)  # the holder never releases: its replica was killed
    taken = await store.b.acquire(JOB, lease_seconds=5, wait_seconds=0)
    assert taken.token > dead.token


async def test_the_fencing_check_refuses_a_holder_whose_lease_ran_out(store: Harness) -> None:
    late = await store.a.acquire(JOB, lease_seconds=0.2, wait_seconds=0)
    assert await store.a.still_held(late)
    assert not await store.a.still_held(late, min_remaining=10), "less than 10 s left is not enough"
    await store.advance(0.3)
    assert not await store.a.still_held(late), "a write whose lease expired is not sent"
    assert not await store.a.renew(late)
    current = await store.b.acquire(JOB, lease_seconds=5, wait_seconds=0)
    assert not await store.a.still_held(late)
    assert not await store.a.release(late), "an expired holder cannot release a later holder's lock"
    assert await store.b.still_held(current)
    assert await store.b.renew(current, 10)
    assert await store.b.release(current)
    assert not await store.b.release(current), "released once"
    assert (await store.a.acquire(JOB, wait_seconds=0)).token > current.token


async def test_the_wait_for_a_busy_job_is_bounded_and_says_so(store: Harness) -> None:
    await store.a.acquire(JOB, lease_seconds=30, wait_seconds=0)
    started = store.now()
    with pytest.raises(JobBusyError) as refused:
        await store.b.acquire(JOB, lease_seconds=30, wait_seconds=0.2)
    waited = store.now() - started
    assert 0.2 <= waited < 2.0
    assert f"another change to job {JOB} is in progress" in refused.value.message
    assert "nothing was sent" in refused.value.message
    assert refused.value.http_status == 409
    other = await store.b.acquire("another-job", wait_seconds=0)
    assert other.token >= 1, "the lock is per job"


async def test_a_marker_is_consumed_once_across_replicas(store: Harness) -> None:
    assert await store.a.consume("sealed-state-1", ttl_seconds=300)
    assert not await store.b.consume("sealed-state-1", ttl_seconds=300), "the other replica refuses it"
    assert not await store.a.consume("sealed-state-1", ttl_seconds=300), "and so does the first"
    assert await store.b.consume("sealed-state-2", ttl_seconds=300)


async def test_a_marker_is_forgotten_when_it_expires(store: Harness) -> None:
    assert await store.a.consume("short-lived", ttl_seconds=0.2)
    await store.advance(0.3)
    assert await store.b.consume("short-lived", ttl_seconds=0.2)


async def test_a_budget_of_20_shared_by_two_replicas_allows_exactly_20_of_30(store: Harness) -> None:
    before = store.now()
    spends = await asyncio.gather(*(((store.a, store.b)[n % 2]).try_spend(CRED) for n in range(30)))
    allowed = [spend for spend in spends if spend.allowed]
    refused = [spend for spend in spends if not spend.allowed]
    assert len(allowed) == 20
    assert sorted(spend.remaining or 0 for spend in allowed) == list(range(20))
    assert len(refused) == 10
    for spend in refused:
        assert spend.retry_at is not None
        assert before < spend.retry_at <= store.now() + 3600
    assert (await store.a.try_spend("cred:another")).allowed, "each credential has its own budget"


async def test_qovery_rate_limit_headers_are_honoured_by_every_replica(store: Harness) -> None:
    now = store.now()
    reset_at = int(now) + 60
    hints = upstream_from_headers({"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": str(reset_at)}, now)
    await store.a.record_upstream(CRED, hints)
    first, second, third = [await store.b.try_spend(CRED) for _ in range(3)]
    assert first.allowed
    assert first.remaining == 1
    assert second.allowed
    assert second.remaining == 0
    assert not third.allowed
    assert third.retry_at == pytest.approx(reset_at, abs=0.01)

    relative = upstream_from_headers({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "30"}, store.now())
    await store.b.record_upstream("cred:relative", relative)
    refused = await store.a.try_spend("cred:relative")
    assert not refused.allowed
    assert refused.retry_at == pytest.approx(store.now() + 30, abs=1)


async def test_a_late_answer_cannot_give_back_spent_requests(store: Harness) -> None:
    now = store.now()
    reset = str(int(now) + 120)
    await store.a.record_upstream(
        CRED, upstream_from_headers({"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": reset}, now)
    )
    await store.b.record_upstream(
        CRED, upstream_from_headers({"X-RateLimit-Remaining": "8", "X-RateLimit-Reset": reset}, now)
    )
    assert (await store.a.try_spend(CRED)).remaining == 4
    later = str(int(now) + 3000)
    await store.b.record_upstream(
        CRED, upstream_from_headers({"X-RateLimit-Remaining": "900", "X-RateLimit-Reset": later}, now)
    )
    assert (await store.a.try_spend(CRED)).remaining == 18, "a new window starts over; ours is now smaller"


async def test_a_429_retry_after_stops_every_replica_until_it_passes(store: Harness) -> None:
    await store.a.record_upstream(CRED, upstream_from_headers({}, store.now(), retry_after_seconds=0.2))
    refused = await store.b.try_spend(CRED)
    assert not refused.allowed
    assert refused.retry_at == pytest.approx(store.now() + 0.2, abs=0.1)
    await store.advance(0.3)
    assert (await store.b.try_spend(CRED)).allowed
