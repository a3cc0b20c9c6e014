"""Redis failing under the store: killed, hung, restarted, or reached with a password.

Every failure is one `StoreUnavailableError` within the command timeout (the server never hangs),
its sentence names the store without a password, and the store works again once Redis is back.
The degraded wrapper keeps the budget (reads) going per process, refuses locks (writes), logs once
and reports it in `health()`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest

from qovery_job_mcp.store.base import BudgetSettings, StateStore
from qovery_job_mcp.store.degraded import DegradableStore
from qovery_job_mcp.store.errors import StoreUnavailableError
from qovery_job_mcp.store.locks import hold
from qovery_job_mcp.store.memory import MemoryStore
from qovery_job_mcp.store.redis_store import RedisStore
from tests.support.clock import START, FakeTime
from tests.support.redis_server import RedisServer, running_redis

pytestmark = [pytest.mark.timeout(30)]

TIMEOUT = 0.3
CRED = "cred:0123456789ab"


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own: it gets killed."""
    with running_redis() as server:
        yield server


async def unavailable_within(store: StateStore, seconds: float) -> list[StoreUnavailableError]:
    """Call every kind of operation; each must fail as StoreUnavailableError in under `seconds`."""
    errors: list[StoreUnavailableError] = []
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: store.acquire("job", wait_seconds=0),
        lambda: store.consume("state", 60),
        lambda: store.try_spend(CRED),
    ]
    for call in calls:
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError) as failed:
            await call()
        assert time.monotonic() - started < seconds
        errors.append(failed.value)
    return errors


async def test_a_killed_redis_fails_fast_and_a_restarted_one_works_again(own_redis: RedisServer) -> None:
    store = RedisStore(own_redis.url, command_timeout=TIMEOUT)
    try:
        assert (await store.try_spend(CRED)).allowed
        held = await store.acquire("job", wait_seconds=0)
        own_redis.kill()
        for error in await unavailable_within(store, 1.0):
            assert error.message == (
                f"the shared state store at redis://127.0.0.1:{own_redis.port}/0 is unreachable; nothing was sent."
            )
            assert error.http_status == 503
        with pytest.raises(StoreUnavailableError):
            await store.still_held(held)
        assert (await store.health()).status == "unreachable"

        own_redis.start()  # no persistence: it comes back empty
        assert not await store.still_held(held), "the lock was lost with Redis: its holder must not write"
        assert (await store.acquire("job", wait_seconds=0)).token >= 1
        assert await store.consume("state", 60)
        assert (await store.try_spend(CRED)).allowed
        assert (await store.health()).status == "ok"
    finally:
        await store.close()


async def test_a_write_holding_the_lock_when_redis_dies_sends_nothing(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisStore(own_redis.url, command_timeout=TIMEOUT)
    sent: list[str] = []

    async def write() -> None:
        async with hold(store, "job", lease_seconds=30) as held:
            await held.ensure()
            own_redis.kill()
            await held.ensure()  # the fencing check right before the PUT
            sent.append("PUT")

    try:
        with pytest.raises(StoreUnavailableError):
            await write()
    finally:
        await store.close()
    assert sent == []
    assert "could not release the lock on job job (ConnectionError); its lease frees it" in caplog.text


async def test_a_hung_redis_costs_one_timeout_not_a_hang(own_redis: RedisServer) -> None:
    store = RedisStore(own_redis.url, command_timeout=TIMEOUT)
    try:
        assert await store.consume("warm-up", 60)
        own_redis.pause()
        try:
            started = time.monotonic()
            with pytest.raises(StoreUnavailableError):
                await store.try_spend(CRED)
            assert TIMEOUT * 0.9 <= time.monotonic() - started < TIMEOUT + 0.7
            health = await store.health()
            assert health.status == "unreachable"
        finally:
            own_redis.resume()
        assert (await store.try_spend(CRED)).allowed
    finally:
        await store.close()


async def test_degraded_mode_keeps_reads_and_refuses_writes(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    budget = BudgetSettings(limit=3)
    wall = FakeTime(now=START)
    shared = RedisStore(own_redis.url, budget, command_timeout=TIMEOUT)
    store = DegradableStore(shared, MemoryStore(budget), retry_interval=5.0, clock=wall.clock)
    caplog.set_level(logging.INFO, logger="qovery_job_mcp.store")
    try:
        assert (await store.try_spend(CRED)).remaining == 2, "counted in Redis"
        own_redis.kill()

        spends = [await store.try_spend(CRED) for _ in range(4)]
        assert [spend.allowed for spend in spends] == [True, True, True, False], "per process, from zero"
        assert store.degraded
        with pytest.raises(StoreUnavailableError):
            await store.acquire("job", wait_seconds=0)
        with pytest.raises(StoreUnavailableError):
            await store.consume("state", 60)
        health = await store.health()
        assert health.status == "degraded"
        assert health.as_dict()["target"] == f"redis://127.0.0.1:{own_redis.port}/0"
        assert "Writes are refused" in (health.detail or "")
        degraded_lines = [r for r in caplog.records if "counted per process" in r.getMessage()]
        assert len(degraded_lines) == 1, "said once, not once per read"

        own_redis.start()
        assert not (await store.try_spend(CRED)).allowed, "Redis is not tried again before the interval"
        with pytest.raises(StoreUnavailableError) as refused:
            await store.acquire("job", wait_seconds=0)
        assert refused.value.reason == "degraded", "refused at once until the interval has passed"
        wall.advance(5.0)
        assert (await store.try_spend(CRED)).allowed, "back on the shared count (Redis restarted empty)"
        assert not store.degraded
        assert (await store.health()).status == "ok"
        assert any("answers again" in r.getMessage() for r in caplog.records)
        lease = await store.acquire("job", wait_seconds=0)
        assert await store.release(lease)
    finally:
        await store.close()


async def test_a_password_is_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with running_redis(password="s3cret-Pw-0042") as server:
        wrong = server.url.replace("s3cret-Pw-0042", "wr0ng-Pw-0042")
        refused = DegradableStore(RedisStore(wrong, command_timeout=TIMEOUT), MemoryStore())
        right = RedisStore(server.url, command_timeout=TIMEOUT)
        try:
            with pytest.raises(StoreUnavailableError) as failed:
                await refused.acquire("job", wait_seconds=0)
            health = await refused.health()
            assert (await refused.try_spend(CRED)).allowed, "reads go on"
            assert await right.consume("state", 60), "the right password works"
        finally:
            await refused.close()
            await right.close()
    shown = [failed.value.message, str(failed.value), repr(failed.value), str(health.as_dict()), caplog.text]
    shown += [refused.target, right.target]
    for text in shown:
        assert "wr0ng-Pw-0042" not in text
        assert "s3cret-Pw-0042" not in text
    assert f"redis://:***@127.0.0.1:{server.port}/0" in failed.value.message
