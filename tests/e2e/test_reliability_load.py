"""Load with faults: many MCP clients over HTTP, a flaky Qovery, and nothing lost, garbled or hung.

The server runs as a real process (`python -m qovery_job_mcp --transport http`) against the
simulated Qovery API, which faults 10 % of its answers with transient failures (429 with and
without Retry-After, 502/503/504, resets mid-answer, stalls past the attempt timeout, slow
trickles, extra fields). CI runs 400 calls from 32 clients; the full run is

    QOVERY_MCP_LOAD_CALLS=2000 uv run pytest tests/e2e/test_reliability_load.py -s

and prints the figures the README quotes.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from qovery_job_mcp.simulation import faults
from qovery_job_mcp.simulation.faults import ChaosPolicy
from qovery_job_mcp.simulation.rate_limit import RateLimit
from tests.support.constants import API_KEY, MIGRATIONS, MISSING, NIGHTLY, ROOT
from tests.support.helpers import PYTHON, subprocess_env
from tests.support.ports import free_port
from tests.support.reliability import wait_until
from tests.support.simulator import LiveQovery, simulated_qovery

CALLS = int(os.environ.get("QOVERY_MCP_LOAD_CALLS", "400"))
CLIENTS = int(os.environ.get("QOVERY_MCP_LOAD_CLIENTS", "32"))
FAULT_RATE = 0.10
TIMEOUT = 1.0  # one attempt; a stalled answer costs this much
DEADLINE = 6.0  # a whole call, retries and Retry-After waits included
#: What a call may take on top of the server's deadline: MCP over HTTP on a loaded 2-core machine.
SLACK = 6.0
CAUSES = re.compile(
    r"Qovery is rate-limiting requests|Qovery failed to answer|Qovery did not answer in time"
    r"|Qovery answered unexpectedly|Qovery failed with HTTP"
    # Qovery's 429s hold every call back (the shared budget); a call still held after its short waits is
    # refused with when to retry: as clear as the rate-limit sentence, and counted with the errors below.
    r"|request budget for this credential is spent"
)
MIX: list[tuple[str, dict[str, Any]]] = [
    ("get-job-id", {"job_id": NIGHTLY}),
    ("get-job-status", {"job_id": NIGHTLY}),
    ("list-last-job-commits", {"job_id": MIGRATIONS, "limit": 3}),
    ("edit-job", {"job_id": NIGHTLY, "body": {"description": "load"}, "dry_run": True}),
    ("delete-job", {"job_id": MISSING}),
    ("get-job-id", {"job_id": "../job/not-a-uuid"}),
]


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    base: str
    log: Path

    def rss_kib(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def sockets(self) -> int:
        fd_dir = f"/proc/{self.proc.pid}/fd"
        count = 0
        for name in os.listdir(fd_dir):
            with contextlib.suppress(OSError):
                count += os.readlink(f"{fd_dir}/{name}").startswith("socket:")
        return count


LOAD_BUDGET = 1_000_000


@pytest.fixture(scope="module")
def shared() -> Iterator[LiveQovery]:
    # A load test, not a budget test: Qovery's 1,000 requests an hour (simulated, and counted by the server) would
    # refuse most of these calls; tests/integration/store/ checks the budget itself.
    with simulated_qovery(rate_limit=RateLimit(limit=LOAD_BUDGET)) as live:
        yield live


@pytest.fixture
def server(shared: LiveQovery, tmp_path: Path) -> Iterator[ServerProcess]:
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [PYTHON, "-m", "qovery_job_mcp", "--transport", "http", "--port", str(port)],
            cwd=ROOT,
            stdout=sink,
            stderr=sink,
            env=subprocess_env(
                QOVERY_API_KEY=API_KEY,
                QOVERY_API_URL=shared.url,
                QOVERY_TIMEOUT=str(TIMEOUT),
                QOVERY_DEADLINE=str(DEADLINE),
                QOVERY_MCP_LOG_LEVEL="INFO",
                QOVERY_MCP_REQUEST_BUDGET=str(LOAD_BUDGET),
            ),
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return proc.poll() is not None

        wait_until(healthy, timeout=20)
        assert proc.poll() is None
        yield ServerProcess(proc, base, log)
    finally:
        proc.kill()
        proc.wait(timeout=10)


@dataclass
class Tally:
    correct: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)
    hung: int = 0
    slowest: float = 0.0
    latencies: list[float] = field(default_factory=list)


async def run_clients(base: str, calls: int, expected: dict[int, Any], tally: Tally) -> None:
    per_client = -(-calls // CLIENTS)
    counter = iter(range(calls))

    def without_chaos_field(content: Any) -> Any:
        """The result as if the extra-fields fault had not added its field (edits carry it losslessly)."""
        if not isinstance(content, dict):
            return content
        got = dict(content)
        got.pop(faults.EXTRA_FIELD, None)
        if isinstance(got.get("request"), dict):
            got["request"] = {k: v for k, v in got["request"].items() if k != faults.EXTRA_FIELD}
            got.pop("version", None)  # the version covers every setting, the added one included
            got.pop("message", None)
        return got

    async def one_client(number: int) -> None:
        mode = "legacy" if number % 2 else "auto"
        async with Client(f"{base}/mcp", mode=mode) as client:
            for _ in range(per_client):
                index = next(counter, None)
                if index is None:
                    return
                which = index % len(MIX)
                tool, arguments = MIX[which]
                started = time.monotonic()
                with anyio.move_on_after(DEADLINE + SLACK) as scope:
                    result = await client.call_tool(tool, arguments)
                elapsed = time.monotonic() - started
                tally.latencies.append(elapsed)
                tally.slowest = max(tally.slowest, elapsed)
                if scope.cancelled_caught:
                    tally.hung += 1
                    continue
                text = getattr(result.content[0], "text", "") if result.content else ""
                got = without_chaos_field(result.structured_content or {})
                if (not result.is_error and got == without_chaos_field(expected[which])) or (
                    result.is_error and expected[which] == "invalid" and "job_id must be a job's UUID" in text
                ):
                    tally.correct += 1
                elif result.is_error and (cause := CAUSES.search(text)):
                    tally.errors[cause.group(0)] += 1
                else:
                    tally.wrong.append(f"{tool}: {text[:200]}")

    async with anyio.create_task_group() as tg:
        for number in range(CLIENTS):
            tg.start_soon(one_client, number)


async def test_many_clients_through_a_flaky_qovery_lose_nothing_and_leak_nothing(
    shared: LiveQovery, server: ServerProcess
) -> None:
    # The expected answers, read once through the same server while Qovery is healthy.
    expected: dict[int, Any] = {}
    async with Client(f"{server.base}/mcp") as client:
        for which, (tool, arguments) in enumerate(MIX):
            result = await client.call_tool(tool, arguments)
            expected[which] = "invalid" if result.is_error else dict(result.structured_content or {})
    assert expected[len(MIX) - 1] == "invalid"
    assert all(value != "invalid" for which, value in expected.items() if which < len(MIX) - 1)

    # Warm up (pools, imports, sessions), then take the baseline.
    await run_clients(server.base, CLIENTS * 2, expected, Tally())
    time.sleep(1.0)
    baseline = (server.rss_kib(), server.open_fds(), server.sockets())

    shared.sim.chaos = ChaosPolicy(rate=FAULT_RATE, seed=2026, kinds=faults.TRANSIENT, stall_seconds=30)
    health: list[tuple[int, float]] = []
    stop_polling = threading.Event()

    def poll_health() -> None:
        while not stop_polling.is_set():
            started = time.monotonic()
            try:
                status = httpx.get(f"{server.base}/healthz", timeout=5).status_code
            except httpx.HTTPError:
                status = 0
            health.append((status, time.monotonic() - started))
            stop_polling.wait(0.2)

    poller = threading.Thread(target=poll_health, daemon=True)
    poller.start()
    tally = Tally()
    started = time.monotonic()
    try:
        await run_clients(server.base, CALLS, expected, tally)
    finally:
        stop_polling.set()
        poller.join(timeout=10)
    wall = time.monotonic() - started
    shared.sim.chaos, chaos = None, shared.sim.chaos
    assert chaos is not None

    # Back to baseline: idle upstream connections and finished sessions are released.
    def settled() -> bool:
        return server.open_fds() <= baseline[1] + 4 and server.sockets() <= baseline[2] + 4

    with contextlib.suppress(AssertionError):
        wait_until(settled, timeout=15)
    after = (server.rss_kib(), server.open_fds(), server.sockets())
    latencies = sorted(tally.latencies)
    print(
        f"\nLOAD calls={CALLS} clients={CLIENTS} wall={wall:.1f}s "
        f"faults_injected={chaos.total_injected} ({dict(chaos.injected)}) "
        f"correct={tally.correct} errors={dict(tally.errors)} wrong={len(tally.wrong)} hung={tally.hung} "
        f"p50={latencies[len(latencies) // 2]:.3f}s p99={latencies[int(len(latencies) * 0.99)]:.3f}s "
        f"max={tally.slowest:.2f}s healthz={len(health)} polls, max {max(t for _, t in health):.3f}s "
        f"rss_kib={baseline[0]}->{after[0]} fds={baseline[1]}->{after[1]} sockets={baseline[2]}->{after[2]}"
    )

    assert tally.wrong == []
    assert tally.hung == 0
    assert tally.slowest < DEADLINE + SLACK
    assert tally.correct + sum(tally.errors.values()) == CALLS
    assert chaos.total_injected >= CALLS * FAULT_RATE * 0.5  # the faults really happened
    # Transient faults are retried away: with three attempts, at most a handful of calls fail.
    assert sum(tally.errors.values()) <= max(3, CALLS // 100)
    assert health
    assert all(status == 200 for status, _ in health)
    assert after[1] <= baseline[1] + 4, (baseline, after)
    assert after[2] <= baseline[2] + 4, (baseline, after)
    assert after[0] - baseline[0] < 40 * 1024, (baseline, after)  # KiB: no growth with the call count
    assert server.proc.poll() is None
    log = server.log.read_text(errors="replace")
    assert "retrying in" in log  # the server did log its retries (INFO)...
    assert API_KEY not in log  # ...and never the key
