"""The pooled transport under the Qovery client (aiohttp's, through httpx-aiohttp), over real sockets.

What the switch from httpx's default transport must keep: one kept-alive connection for a run of
calls, never more connections than the pool, and transport failures still retried and explained.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from qovery_job_mcp.qovery.client import QoveryClient
from qovery_job_mcp.qovery.errors import UpstreamTimeoutError, UpstreamUnavailableError
from qovery_job_mcp.qovery.transport import POOL_SIZE
from qovery_job_mcp.simulation.data import DEMO_API_KEY, NIGHTLY_JOB_ID
from tests.support.clients import FakeTime
from tests.support.ports import free_port
from tests.support.simulator import simulated_qovery


class PortRecorder:
    """An ASGI wrapper that notes the client port of every request: one port per TCP connection."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.ports: list[int] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("client"):
            self.ports.append(scope["client"][1])
        await self.app(scope, receive, send)


@pytest.fixture
def recorded() -> Iterator[tuple[PortRecorder, str]]:
    with simulated_qovery((DEMO_API_KEY,), (), wrap=PortRecorder) as qovery:
        assert isinstance(qovery.served, PortRecorder)
        yield qovery.served, qovery.url


async def test_sequential_calls_share_one_kept_alive_connection(recorded: tuple[PortRecorder, str]) -> None:
    recorder, url = recorded
    client = QoveryClient(url, credential=DEMO_API_KEY)
    try:
        for _ in range(20):
            response = await client.request("GET", f"/job/{NIGHTLY_JOB_ID}")
            assert response.json()["name"] == "nightly-report"
    finally:
        await client.aclose()
    assert len(recorder.ports) == 20
    assert len(set(recorder.ports)) == 1


async def test_concurrent_calls_never_open_more_connections_than_the_pool(
    recorded: tuple[PortRecorder, str],
) -> None:
    recorder, url = recorded
    client = QoveryClient(url, credential=DEMO_API_KEY)
    calls = POOL_SIZE * 2 + 5
    statuses: list[int] = []

    async def one() -> None:
        statuses.append((await client.request("GET", f"/job/{NIGHTLY_JOB_ID}/status")).status_code)

    try:
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for _ in range(calls):
                    tg.start_soon(one)
    finally:
        await client.aclose()
    assert statuses == [200] * calls
    assert 1 <= len(set(recorder.ports)) <= POOL_SIZE


async def test_refused_connection_is_retried_then_explained(fake_time: FakeTime) -> None:
    port = free_port()
    # The port is closed now: every attempt is refused at once.
    client = QoveryClient(
        f"http://127.0.0.1:{port}",
        credential=DEMO_API_KEY,
        max_attempts=3,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    try:
        with pytest.raises(UpstreamUnavailableError) as raised:
            await client.request("GET", f"/job/{NIGHTLY_JOB_ID}")
    finally:
        await client.aclose()
    assert "was refused" in raised.value.message
    assert "after 3 attempts" in raised.value.message
    assert len(fake_time.sleeps) == 2
    assert DEMO_API_KEY not in raised.value.message


async def test_silent_upstream_times_out_per_attempt_and_is_explained(fake_time: FakeTime) -> None:
    # A listening socket nobody accepts from: the connection opens, no answer ever comes.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        client = QoveryClient(
            f"http://127.0.0.1:{port}",
            credential=DEMO_API_KEY,
            timeout=0.3,
            max_attempts=2,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
        )
        try:
            with anyio.fail_after(10), pytest.raises(UpstreamTimeoutError) as raised:
                await client.request("GET", f"/job/{NIGHTLY_JOB_ID}")
        finally:
            await client.aclose()
    message = raised.value.message
    assert isinstance(raised.value, UpstreamTimeoutError)
    assert "did not answer in time" in message
    assert "2 attempts" in message
    assert len(fake_time.sleeps) == 1
