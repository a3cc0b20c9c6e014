"""Issue 21, faults: Redis killed during a burst of writes through two replicas, then restarted.

While Redis is down, writes are refused with the store's sentence and nothing is sent, reads keep
working on a per-process budget, and /healthz says the store is degraded; once it is back, writes
resume. No write is lost or doubled: every edit that answered "applied" reached Qovery exactly once,
and none that was refused reached it at all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from tests.support.constants import NIGHTLY
from tests.support.redis_server import RedisServer, running_redis
from tests.support.replicas import replica, text_of
from tests.support.simulator import LiveQovery, simulated_qovery

pytestmark = [pytest.mark.timeout(60)]

BURST = 12
DOWN = "is unreachable; nothing was sent"


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own: it gets killed."""
    with running_redis() as server:
        yield server


def edit(client: Client, cpu: int) -> Any:
    return client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": cpu}})


async def kill_after_first_puts(qovery: LiveQovery, redis: RedisServer) -> None:
    """Kill Redis (SIGKILL) once some of the burst has reached Qovery: mid-burst, writes in flight."""
    deadline = time.monotonic() + 10
    while len(qovery.sim.requests_to("PUT")) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    redis.kill()


def sent_cpus(qovery: LiveQovery) -> list[int]:
    return [request.body["cpu"] for request in qovery.sim.requests_to("PUT")]


async def test_redis_killed_during_a_burst_of_writes_then_restarted(own_redis: RedisServer) -> None:
    with simulated_qovery() as qovery:
        async with (
            replica(qovery.url, own_redis.url, retry_interval=0.2, command_timeout=0.5) as a,
            replica(qovery.url, own_redis.url, retry_interval=0.2, command_timeout=0.5) as b,
        ):
            burst = [edit(a if n % 2 else b, 300 + n) for n in range(BURST)]
            answers, _ = await asyncio.gather(
                asyncio.gather(*burst), kill_after_first_puts(qovery, own_redis)
            )
            applied = [300 + n for n, answer in enumerate(answers) if not answer.is_error]
            refused = [text_of(answer) for answer in answers if answer.is_error]
            assert applied, "the burst started before Redis was killed"
            assert refused, "Redis was killed during the burst"

            # Down: every write refused with the store's sentence, nothing sent; reads go on.
            before = len(qovery.sim.requests_to("PUT"))
            for client, cpu in ((a, 900), (b, 901)):
                down = await edit(client, cpu)
                assert down.is_error
                assert DOWN in text_of(down)
                read = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
                assert not read.is_error, text_of(read)
            assert len(qovery.sim.requests_to("PUT")) == before

            # Back: writes resume once the store answers again (retried every 0.2 s here).
            own_redis.start()
            resumed: list[int] = []
            deadline = time.monotonic() + 10
            cpu = 1000
            while len(resumed) < 2 and time.monotonic() < deadline:
                answer = await edit(a if cpu % 2 else b, cpu)
                if not answer.is_error:
                    resumed.append(cpu)
                else:
                    assert DOWN in text_of(answer), text_of(answer)
                    await asyncio.sleep(0.05)
                cpu += 1
            assert len(resumed) == 2, "writes did not resume after Redis came back"

    # None lost, none doubled: exactly the writes that answered "applied" reached Qovery, once each.
    assert sorted(sent_cpus(qovery)) == sorted(applied + resumed)
    for sentence in refused:
        assert DOWN in sentence or "another change to job" in sentence or "lock on job" in sentence, sentence
