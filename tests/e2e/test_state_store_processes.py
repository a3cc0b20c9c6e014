"""Issue 21 through the command as operators run it: two HTTP processes sharing a Redis that has a password.

What only spawned processes show: the setting read from the environment, the start-up log line and /healthz
naming the store without its password, one request budget counted across both processes, and a Redis that
dies: liveness stays 200 and says degraded, writes are refused with one sentence, reads go on.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.constants import API_KEY, NIGHTLY
from tests.support.http_server import RunningServer, http_client, http_server
from tests.support.redis_server import RedisServer, running_redis
from tests.support.replicas import text_of
from tests.support.simulator import LiveQovery

PASSWORD = "redis-pw-0f3c9a7e51"
BUDGET = 3


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with running_redis(password=PASSWORD) as server:
        yield server


@pytest.fixture
def pair(qovery: LiveQovery, redis: RedisServer) -> Iterator[tuple[RunningServer, RunningServer]]:
    env = {
        "QOVERY_API_KEY": API_KEY,
        "QOVERY_API_URL": qovery.url,
        "QOVERY_MCP_CONFIRM": "off",
        "QOVERY_MCP_STATE_STORE": redis.url,
        "QOVERY_MCP_REQUEST_BUDGET": str(BUDGET),
        "QOVERY_MCP_LOG_LEVEL": "INFO",
    }
    with http_server("--stateless", env=env) as first, http_server("--stateless", env=env) as second:
        yield first, second


async def test_two_processes_share_one_budget_and_never_show_the_password(
    pair: tuple[RunningServer, RunningServer], qovery: LiveQovery, redis: RedisServer
) -> None:
    first, second = pair
    masked = f"redis://:***@127.0.0.1:{redis.port}/0"  # the log names the store, its password masked
    for server in pair:
        store = httpx.get(f"{server.base}/healthz", timeout=10).json()["store"]
        assert store == {"kind": "redis", "status": "ok"}
    answers = []
    for server in (first, second, first, second):
        async with http_client(server.url) as client:
            answers.append(await client.call_tool("get-job-id", {"job_id": NIGHTLY}))
    assert [answer.is_error for answer in answers] == [False] * BUDGET + [True]
    assert "request budget for this credential is spent; nothing was sent. Retry after" in text_of(
        answers[-1]
    )
    assert len(qovery.sim.requests_to("GET")) == BUDGET
    for server in pair:
        assert f"shared state store: {masked}" in server.stderr()
        assert PASSWORD not in server.stderr()


async def test_a_dead_redis_keeps_liveness_refuses_writes_and_serves_reads(
    pair: tuple[RunningServer, RunningServer], qovery: LiveQovery, redis: RedisServer
) -> None:
    first, _ = pair
    redis.kill()
    health = httpx.get(f"{first.base}/healthz", timeout=10)
    assert health.status_code == 200
    assert health.json()["store"]["status"] == "degraded"
    async with http_client(first.url) as client:
        write = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 700}})
        read = await client.call_tool("get-job-status", {"job_id": NIGHTLY})
    assert write.is_error
    assert (
        f"the shared state store at redis://:***@127.0.0.1:{redis.port}/0 is unreachable; nothing was sent"
        in (text_of(write))
    )
    assert not read.is_error, text_of(read)
    assert qovery.sim.requests_to("PUT") == []
    assert "writes are refused" in first.stderr()
    assert PASSWORD not in first.stderr()
