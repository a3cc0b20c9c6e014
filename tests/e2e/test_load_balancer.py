"""Three stateless replicas behind a real HAProxy, restarted one at a time while 32 MCP clients call.

What a platform team relies on when it runs one endpoint for many people: zero failed calls, zero
lost, zero duplicated writes (every successful edit is exactly one PUT at the simulated Qovery),
every replica served calls, and `/healthz` through the balancer answered 200 throughout. The
replicas share a real redis-server as their state store (issue 21): every edit takes the job's lock
there, and the request budget is counted there.

HAProxy retries a request only when it cannot have been processed: the connection failed, or a
draining replica answered 503 (the drain refuses new requests before reading them). A request a
replica accepted is finished by its drain, so nothing is retried after it may have run.

The clients keep calling until every restart is over and every restarted replica has answered
calls again, so each restart happens under load (a replica takes seconds to start on a busy 2-core
machine, longer than a fixed batch of calls lasts). CI runs a small size (32 clients, at least 320
calls, each replica restarted once); `QOVERY_LB_FULL=1` runs the full one (at least 1,024 calls,
every replica restarted twice). Figures: docs/load-balancer.md.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest

from tests.support.constants import API_KEY, CLEANUP, MIGRATIONS, NIGHTLY
from tests.support.helpers import PYTHON, installed_binary, subprocess_env
from tests.support.http_server import http_client
from tests.support.ports import free_port, wait_until_healthy
from tests.support.redis_server import RedisServer, running_redis
from tests.support.simulator import LiveQovery

# Restarts take longer when the other test worker shares the two cores; the load lasts until they end.
pytestmark = pytest.mark.timeout(200)

FULL = os.environ.get("QOVERY_LB_FULL") == "1"
CLIENTS = 32
CALLS_PER_CLIENT = 32 if FULL else 10
RESTART_ROUNDS = 2 if FULL else 1
WRITE_EVERY = 5  # one call in five is a real edit
#: The edits are spread over the three demo jobs: the shared lock serializes the edits of one job across
#: every replica, and 32 clients editing one job as fast as they can would queue behind it for seconds.
EDITED = (NIGHTLY, CLEANUP, MIGRATIONS)
LOAD_BUDGET = 1_000_000


def haproxy_binary() -> str:
    return installed_binary("haproxy", "install-haproxy.sh")


@dataclass
class Replica:
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="lb-replica-", suffix=".log")[1]))
    served: int = 0

    def start(self) -> None:
        command = [
            PYTHON,
            "-m",
            "qovery_job_mcp",
            "--transport",
            "http",
            "--stateless",
            "--port",
            str(self.port),
        ]
        self.process = subprocess.Popen(
            command,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )
        wait_until_healthy(
            f"http://127.0.0.1:{self.port}", self.process, 30, f"replica on {self.port}", self.log.read_text
        )

    def calls_counted(self) -> int:
        """Calls this process answered, from its own /metrics (open on loopback)."""
        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        return int(
            sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith("qovery_job_mcp_calls_total{")
            )
        )

    def restart(self) -> None:
        """SIGTERM (the replica drains and exits 0), then start it again on the same port."""
        assert self.process is not None
        self.served += self.calls_counted()
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=30) == 0, self.log.read_text()
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


HAPROXY_CONFIG = """
global
    maxconn 1024
    log stderr format raw local0 info
defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout queue 30s
    # Only what cannot have run is retried: no connection, or the drain's 503 before the request was read.
    retries 5
    retry-on conn-failure 503
    option redispatch 1
    option http-server-close
    option http-buffer-request
frontend mcp
    bind 127.0.0.1:{port}
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    timeout check 2s
    default-server inter 250ms fall 2 rise 1
{servers}
"""


@pytest.fixture
def shared_store() -> Iterator[RedisServer]:
    with running_redis() as redis:
        yield redis


@pytest.fixture
def unlimited(qovery: LiveQovery) -> Iterator[LiveQovery]:
    """The simulator without Qovery's 1,000 an hour: the full run sends more (the budget is tested elsewhere)."""
    limit = qovery.sim.rate_limit
    assert limit is not None
    documented, limit.limit = limit.limit, LOAD_BUDGET
    try:
        yield qovery
    finally:
        limit.limit = documented


@pytest.fixture
def balanced(unlimited: LiveQovery, shared_store: RedisServer) -> Iterator[tuple[str, list[Replica]]]:
    binary = haproxy_binary()
    env = subprocess_env(
        QOVERY_API_KEY=API_KEY,
        QOVERY_API_URL=unlimited.url,
        QOVERY_MCP_CONFIRM="off",
        QOVERY_MCP_STATE_STORE=shared_store.url,
        QOVERY_MCP_REQUEST_BUDGET=str(LOAD_BUDGET),
    )
    replicas = [Replica(free_port(), env) for _ in range(3)]
    front = free_port()
    servers = "\n".join(f"    server r{i} 127.0.0.1:{r.port} check" for i, r in enumerate(replicas))
    config = Path(tempfile.mkstemp(prefix="haproxy-", suffix=".cfg")[1])
    config.write_text(HAPROXY_CONFIG.format(port=front, servers=servers))
    proxy_log = Path(tempfile.mkstemp(prefix="haproxy-", suffix=".log")[1])
    proxy: subprocess.Popen[bytes] | None = None
    try:
        for replica in replicas:
            replica.start()
        proxy = subprocess.Popen(
            [binary, "-f", str(config), "-db"], stdout=subprocess.DEVNULL, stderr=proxy_log.open("wb")
        )
        wait_until_healthy(f"http://127.0.0.1:{front}", proxy, 15, "haproxy", proxy_log.read_text)
        yield f"http://127.0.0.1:{front}", replicas
    finally:
        logged = [
            line for line in proxy_log.read_text().splitlines() if "replicas/" in line and " is " not in line
        ]
        # With dontlog-normal HAProxy logs only requests that were retried or failed; show the failed ones.
        failed = [
            line for line in logged if (" 200 " not in line and " 202 " not in line) or " ---- " not in line
        ]
        print(
            f"\nHAProxy: {len(logged) - len(failed)} request(s) answered after a retry; failed:\n"
            + "\n".join(failed[-20:])
        )
        proxy_log.unlink(missing_ok=True)
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=10)
        for replica in replicas:
            replica.stop()
            replica.log.unlink(missing_ok=True)
        config.unlink(missing_ok=True)


@dataclass
class Tally:
    attempted: int = 0
    ok: int = 0
    failed: list[str] = field(default_factory=list)
    edits_applied: int = 0
    health: Counter[int] = field(default_factory=Counter)
    #: What HTTP said when a call failed (status and headers, or the transport error).
    refused: list[str] = field(default_factory=list)


async def one_client(base: str, number: int, tally: Tally, restarts_over: anyio.Event) -> None:
    mode = "legacy" if number % 2 else "auto"
    try:
        await _calls(base, number, mode, tally, restarts_over)
    except Exception as exc:  # a transport-level failure is a failed call, reported with the others
        inner: BaseException = exc
        while len(getattr(inner, "exceptions", ())) == 1:  # an exception group of one: its cause
            inner = inner.exceptions[0]  # type: ignore[attr-defined]
        exc = inner  # type: ignore[assignment]
        tally.failed.append(
            f"client {number} ({mode}): {type(exc).__name__}: {exc} {getattr(exc, 'data', '')}"[:300]
        )


class RecordingTransport(httpx2.AsyncHTTPTransport):
    """Keeps the status and headers of every refused HTTP exchange, to say why a call failed."""

    def __init__(self, refused: list[str]) -> None:
        super().__init__()
        self.refused = refused

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = await super().handle_async_request(request)
        except Exception as exc:
            self.refused.append(f"{request.method} {request.url.path}: {type(exc).__name__}: {exc}")
            raise
        if response.status_code >= 400:
            self.refused.append(
                f"{request.method} {request.url.path}: HTTP {response.status_code} {dict(response.headers)}"
            )
        return response


async def _calls(base: str, number: int, mode: str, tally: Tally, restarts_over: anyio.Event) -> None:
    async with http_client(f"{base}/mcp", mode=mode, transport=RecordingTransport(tally.refused)) as client:
        call = 0
        while call < CALLS_PER_CLIENT or not restarts_over.is_set():
            tally.attempted += 1
            if call % WRITE_EVERY == WRITE_EVERY - 1:
                arguments: dict[str, Any] = {
                    "job_id": EDITED[number % len(EDITED)],
                    "body": {"description": f"client {number} call {call}"},
                }
                result = await client.call_tool("edit-job", arguments)
                if not result.is_error:
                    tally.edits_applied += 1
            else:
                result = await client.call_tool("get-job-status", {"job_id": NIGHTLY})
            if result.is_error:
                tally.failed.append(str(result.content)[:200])
            else:
                tally.ok += 1
            call += 1


async def test_rolling_restart_behind_haproxy_loses_nothing(
    balanced: tuple[str, list[Replica]], qovery: LiveQovery
) -> None:
    base, replicas = balanced
    tally = Tally()
    restarts_over = anyio.Event()
    done = anyio.Event()

    async def restarts() -> None:
        for _ in range(RESTART_ROUNDS):
            for replica in replicas:
                await anyio.sleep(0.5)
                await anyio.to_thread.run_sync(replica.restart)
        # The load stops only once every restarted process has answered calls through the balancer.
        while not await anyio.to_thread.run_sync(lambda: all(r.calls_counted() > 0 for r in replicas)):
            await anyio.sleep(0.1)
        restarts_over.set()

    async def watch_health() -> None:
        async with httpx.AsyncClient(timeout=5) as http:
            while not done.is_set():
                tally.health[(await http.get(f"{base}/healthz")).status_code] += 1
                await anyio.sleep(0.05)

    started = time.monotonic()
    with anyio.fail_after(180):
        async with anyio.create_task_group() as group:
            group.start_soon(watch_health)
            async with anyio.create_task_group() as load:
                load.start_soon(restarts)
                for number in range(CLIENTS):
                    load.start_soon(one_client, base, number, tally, restarts_over)
            done.set()
    elapsed = time.monotonic() - started
    served_after_restart = [replica.calls_counted() for replica in replicas]
    for replica, count in zip(replicas, served_after_restart, strict=True):
        replica.served += count
    print(
        f"\nLB calls={tally.attempted} ok={tally.ok} failed={len(tally.failed)} edits={tally.edits_applied} "
        f"puts={len(qovery.sim.requests_to('PUT'))} served={[r.served for r in replicas]} "
        f"after_last_restart={served_after_restart} restarts={RESTART_ROUNDS * len(replicas)} "
        f"healthz={dict(tally.health)} wall={elapsed:.1f}s"
    )
    assert tally.failed == [], "\n".join(tally.failed + tally.refused)
    assert tally.attempted >= CLIENTS * CALLS_PER_CLIENT
    assert tally.ok == tally.attempted  # none lost
    assert len(qovery.sim.requests_to("PUT")) == tally.edits_applied  # none duplicated
    assert all(count > 0 for count in served_after_restart)  # every replica came back and served
    assert set(tally.health) == {200}
    assert sum(tally.health.values()) > 10
