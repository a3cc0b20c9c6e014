"""Scaling out: stateless replicas answer any request of one conversation; SIGTERM drains gracefully."""

from __future__ import annotations

import contextlib
import json
import signal
import time
from collections import Counter
from collections.abc import Iterator

import anyio
import httpx
import httpx2
import pytest

from qovery_job_mcp.web.drain import QUIET_SECONDS
from tests.support.constants import API_KEY, MIGRATIONS, NIGHTLY
from tests.support.http_server import RunningServer, http_client, http_server
from tests.support.simulator import Fault, LiveQovery, simulated_qovery


class Alternating(httpx2.AsyncBaseTransport):
    """Sends each HTTP request of one client to the next replica in turn, as a load balancer may."""

    def __init__(self, ports: list[int]) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.ports = ports
        self.served: Counter[int] = Counter()
        self.sent = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = self.ports[self.sent % len(self.ports)]
        self.sent += 1
        self.served[port] += 1
        request.url = request.url.copy_with(port=port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def sim() -> Iterator[LiveQovery]:
    with simulated_qovery() as qovery:
        yield qovery


def replicas(sim: LiveQovery, *flags: str) -> Iterator[list[RunningServer]]:
    env = {"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": sim.url}
    with http_server(*flags, env=env) as first, http_server(*flags, env=env) as second:
        yield [first, second]


@pytest.fixture(scope="module")
def stateless_pair(sim: LiveQovery) -> Iterator[list[RunningServer]]:
    yield from replicas(sim, "--stateless", "--json-response")


async def converse(first: RunningServer, transport: Alternating, mode: str) -> None:
    async with http_client(first.url, mode=mode, transport=transport) as client:
        assert len((await client.list_tools()).tools) == 5
        job = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
        assert not job.is_error
        assert job.structured_content
        status = await client.call_tool("get-job-status", {"job_id": NIGHTLY})
        assert not status.is_error
        commits = await client.call_tool("list-last-job-commits", {"job_id": MIGRATIONS})
        assert not commits.is_error
        preview = await client.call_tool(
            "edit-job", {"job_id": NIGHTLY, "body": {"cpu": 1000}, "dry_run": True}
        )
        assert not preview.is_error, preview.content


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_one_conversation_across_two_stateless_replicas(
    stateless_pair: list[RunningServer], mode: str
) -> None:
    transport = Alternating([server.port for server in stateless_pair])
    with anyio.fail_after(60):
        await converse(stateless_pair[0], transport, mode)
    assert all(transport.served[server.port] >= 3 for server in stateless_pair), transport.served


async def test_stateful_replicas_cannot_share_a_legacy_conversation(sim: LiveQovery) -> None:
    """The control: without --stateless, the second replica does not know the first one's session."""
    for pair in replicas(sim):
        transport = Alternating([server.port for server in pair])
        with anyio.fail_after(60), pytest.raises(Exception) as failure:  # noqa: PT011
            await converse(pair[0], transport, "legacy")
        assert "Session not found" in repr(failure.value) or "404" in repr(failure.value), failure.value


async def test_sigterm_lets_calls_finish_refuses_new_ones_and_exits_0(sim: LiveQovery) -> None:
    sim.sim.requests.clear()
    slow_answer = json.dumps(sim.sim.statuses[NIGHTLY])
    sim.sim.fail_next("status", Fault(status=200, body=slow_answer, delay=2.5))
    outcome: dict[str, object] = {}
    with http_server(env={"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": sim.url}) as server:
        async with http_client(server.url, mode="legacy") as client:
            await client.list_tools()  # the client validates results against these; it must not ask mid-drain

            async def slow_call() -> None:
                result = await client.call_tool("get-job-status", {"job_id": NIGHTLY})
                outcome["result"] = result

            with anyio.fail_after(30):
                async with anyio.create_task_group() as group:
                    group.start_soon(slow_call)
                    while not sim.sim.requests:  # the call has reached the (stalled) upstream
                        await anyio.sleep(0.02)
                    server.process.send_signal(signal.SIGTERM)
                    signalled = time.monotonic()
                    async with httpx.AsyncClient(timeout=10) as raw:
                        # Give the signal a moment to land; the call is still stalled upstream for ~2 s.
                        for _ in range(50):
                            probe = await raw.get(f"{server.base}/healthz")
                            if probe.status_code == 503:
                                break
                            await anyio.sleep(0.02)
                        assert probe.status_code == 503
                        assert probe.json()["type"].endswith(":draining")
                        refused = await raw.post(
                            server.url,
                            json={"jsonrpc": "2.0", "id": 9, "method": "ping"},
                            headers={"Accept": "application/json, text/event-stream"},
                        )
                        assert refused.status_code == 503
                        assert refused.headers["connection"] == "close"
                    assert server.process.poll() is None, "exited with a call in flight"
        result = outcome["result"]
        assert not result.is_error, result  # type: ignore[attr-defined]
        assert result.structured_content == sim.sim.statuses[NIGHTLY]  # type: ignore[attr-defined]
        assert server.process.wait(timeout=15) == 0
        assert time.monotonic() - signalled < 10
        assert "Traceback" not in server.stderr()


async def test_a_draining_replica_refuses_until_the_balancer_stops_sending(sim: LiveQovery) -> None:
    """While requests keep coming after SIGTERM, each gets a 503 (retryable), never a closed socket.

    A balancer takes a replica out only after its health checks fail; until then it keeps sending.
    Closing the socket under such a request gives the balancer an empty answer it may not retry.
    The socket closes once nothing but health checks has come for QUIET_SECONDS: long after the
    signal here, since requests keep coming for 8 x QUIET_SECONDS, and well before the grace period.
    """
    with http_server(env={"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": sim.url}) as server:
        server.process.send_signal(signal.SIGTERM)
        statuses: Counter[int] = Counter()
        async with httpx.AsyncClient(timeout=5) as raw:
            for _ in range(100):  # the signal has landed once /healthz says so
                if (await raw.get(f"{server.base}/healthz")).status_code == 503:
                    break
                await anyio.sleep(0.02)
            keep_sending_until = time.monotonic() + 8 * QUIET_SECONDS
            while time.monotonic() < keep_sending_until:
                ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
                # A new connection per request, as HAProxy's http-server-close opens them.
                answer = await raw.post(server.url, json=ping, headers={"Connection": "close"})
                statuses[answer.status_code] += 1
                await anyio.sleep(QUIET_SECONDS / 5)
            assert server.process.poll() is None, "closed while requests were still coming"
            stopped_sending = time.monotonic()
            for _ in range(int(6 * QUIET_SECONDS / 0.05)):  # health checks do not hold it open
                with contextlib.suppress(httpx.TransportError):
                    await raw.get(f"{server.base}/healthz")
                if server.process.poll() is not None:
                    break
                await anyio.sleep(0.05)
        assert server.process.wait(timeout=10) == 0
        # The grace period (10 s from the signal) would end it 6 s after the last request; quiet ends it sooner.
        assert time.monotonic() - stopped_sending < 3.0
        assert set(statuses) == {503}, statuses
