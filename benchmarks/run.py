"""The benchmark suite: this server against direct httpx, the bare SDK and FastMCP.from_openapi.

    uv run python benchmarks/run.py            # full run (8 to 12 minutes on 2 cores)
    uv run python benchmarks/run.py --quick    # a short run to check the suite (results/tmp/)

Everything runs on loopback against the simulated Qovery API in its own process. Contenders are
alternated within one run and the report gives medians and ratios, never absolute numbers alone.
Writes results/latest.json, results/latest.md and results/latency-vs-concurrency.png (the plot
is drawn with matplotlib from the benchmark's own environment, benchmarks/.venv-fastmcp, which
also holds fastmcp: neither is a dependency of the product).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import procs
import report
from mcp import Client, StdioServerParameters
from procs import Contender, Upstream

JOB_ID = "d4a2f9c6-1e8b-4c7d-b3a5-7f9e2c4a6b18"  # nightly-report, a CRON job with an image source
OPS = ("get_job", "get_status")
UPSTREAM_PATHS = {"get_job": f"/job/{JOB_ID}", "get_status": f"/job/{JOB_ID}/status"}
CONCURRENCY = (1, 8, 16, 32)


@dataclass(frozen=True)
class Plan:
    quick: bool
    cold_runs: int
    warmup: int
    rounds: int
    per_round: int
    tp_seconds: float
    tp_rounds: int
    rss_small: int
    rss_large: int

    @classmethod
    def make(cls, quick: bool) -> Plan:
        if quick:
            return cls(True, 3, 20, 2, 50, 1.0, 1, 100, 1_000)
        return cls(False, 12, 60, 6, 100, 2.5, 3, 100, 10_000)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {"n": 0}

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 4),
        "p90": round(pct(90), 4),
        "p99": round(pct(99), 4),
        "mean": round(statistics.fmean(ordered), 4),
        "min": round(ordered[0], 4),
    }


def rotation(items: list[Any], round_no: int) -> list[Any]:
    """Each round starts with a different contender, so none always runs first (or last)."""
    shift = round_no % len(items)
    return items[shift:] + items[:shift]


# -- cold start -----------------------------------------------------------------------------------


def cold_start_once(contender: Contender, upstream: Upstream) -> float:
    """Seconds from spawn to the answer of the first tools/list (legacy handshake, as hosts do today)."""
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    env = procs.server_env(upstream.url, contender.env)
    started = time.perf_counter()
    proc = procs.spawn(
        contender.stdio_command(),
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=str(procs.ROOT),
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        proc.stdin.write(json.dumps(messages[0]).encode() + b"\n")
        proc.stdin.flush()
        _read_answer(proc, 1)
        proc.stdin.write((json.dumps(messages[1]) + "\n" + json.dumps(messages[2]) + "\n").encode())
        proc.stdin.flush()
        answer = _read_answer(proc, 2)
        elapsed = time.perf_counter() - started
        names = {tool["name"] for tool in answer["result"]["tools"]}
        wanted = {name for name, _ in contender.tools.values()}
        if not wanted <= names:
            raise RuntimeError(f"{contender.name} lists {sorted(names)}, not {sorted(wanted)}")
        return elapsed
    finally:
        proc.stdin.close()
        procs.stop(proc)


def _read_answer(proc: subprocess.Popen[bytes], request_id: int) -> dict[str, Any]:
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"server closed stdout (exit {proc.poll()})")
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("id") == request_id:
            return message  # type: ignore[no-any-return]
    raise RuntimeError("no answer within 60 s")


def bench_cold_start(plan: Plan, contenders: list[Contender], upstream: Upstream) -> dict[str, Any]:
    samples: dict[str, list[float]] = {c.name: [] for c in contenders}
    for contender in contenders:
        cold_start_once(contender, upstream)  # bytecode written and page cache warm for everyone
    for run in range(plan.cold_runs):
        for contender in rotation(contenders, run):
            samples[contender.name].append(cold_start_once(contender, upstream) * 1000)
    return {
        name: {**summary(values), "samples": [round(v, 2) for v in values]}
        for name, values in samples.items()
    }


# -- import costs --------------------------------------------------------------------------------


#: label -> (python, statement). h2 is measured in the benchmark's own environment: it is not a
#: dependency of the product, and both environments run the same interpreter.
def import_cases() -> dict[str, tuple[str, str]]:
    py = sys.executable
    cases = {
        "python -c pass (baseline)": (py, "pass"),
        "httpx": (py, "import httpx"),
        "httpx + httpx_aiohttp (aiohttp)": (py, "import httpx, httpx_aiohttp"),
        "uvloop": (py, "import uvloop"),
        "httptools": (py, "import httptools"),
        "mcp.server (the SDK)": (py, "import mcp.server"),
        "qovery_job_mcp.mcp_server.server (stdio path)": (
            py,
            "import qovery_job_mcp.cli, qovery_job_mcp.mcp_server.server",
        ),
    }
    if procs.FASTMCP_PYTHON.exists():
        cases["h2 (what httpx[http2] adds)"] = (
            str(procs.FASTMCP_PYTHON),
            "import h2.config, h2.connection, h2.events, h2.exceptions, h2.settings",
        )
    return cases


def bench_imports(plan: Plan) -> dict[str, Any]:
    """Wall time of a fresh interpreter importing each module (bytecode cached), minus a bare start."""
    cases = import_cases()
    env = procs.server_env("http://127.0.0.1:9", {})
    samples: dict[str, list[float]] = {label: [] for label in cases}
    for py, statement in cases.values():  # bytecode written once
        subprocess.run([py, "-c", statement], env=env, check=True, cwd=str(procs.ROOT))
    for run in range(plan.cold_runs):
        for label in rotation(list(cases), run):
            py, statement = cases[label]
            started = time.perf_counter()
            subprocess.run([py, "-c", statement], env=env, check=True, cwd=str(procs.ROOT))
            samples[label].append((time.perf_counter() - started) * 1000)
    base = statistics.median(samples["python -c pass (baseline)"])
    return {
        label: {
            "p50_ms": round(statistics.median(values), 1),
            "import_ms": round(statistics.median(values) - base, 1),
        }
        for label, values in samples.items()
    }


# -- sequential latency ---------------------------------------------------------------------------

Call = Callable[[], Awaitable[None]]


def mcp_call(client: Client, contender: Contender, op: str) -> Call:
    name, arguments = contender.tools[op]

    async def call() -> None:
        result = await client.call_tool(name, arguments)
        if result.is_error:
            raise RuntimeError(f"{contender.name} {name} failed: {result.content}")

    return call


def httpx_call(http: httpx.AsyncClient, op: str) -> Call:
    path = UPSTREAM_PATHS[op]

    async def call() -> None:
        response = await http.get(path)
        response.raise_for_status()
        response.json()

    return call


def direct_client(url: str, *, aiohttp: bool = False) -> httpx.AsyncClient:
    transport: Any = None
    if aiohttp:
        from httpx_aiohttp import AiohttpTransport

        transport = AiohttpTransport()
    return httpx.AsyncClient(
        base_url=url, transport=transport, headers={"Authorization": f"Token {procs.DEMO_KEY}"}
    )


async def timed(call: Call, count: int, into: list[float]) -> None:
    for _ in range(count):
        started = time.perf_counter()
        await call()
        into.append((time.perf_counter() - started) * 1000)


async def check_answer(client: Client, contender: Contender) -> None:
    """The contender really reads the job through the upstream (not an error, not a stub)."""
    name, arguments = contender.tools["get_job"]
    result = await client.call_tool(name, arguments)
    if result.is_error:
        raise RuntimeError(f"{contender.name}: {result.content}")
    if contender.name != "sdk_floor":
        text = json.dumps(result.structured_content) if result.structured_content else str(result.content)
        if JOB_ID not in text or "nightly-report" not in text:
            raise RuntimeError(f"{contender.name} did not return the job: {text[:200]}")


async def bench_latency_config(
    plan: Plan,
    contenders: list[Contender],
    upstream: Upstream,
    targets: dict[str, str | StdioServerParameters],
    mode: str,
    floors: dict[str, httpx.AsyncClient],
) -> dict[str, Any]:
    """Sequential calls of get-job-id and get-job-status, contenders alternated in rounds."""
    samples: dict[str, dict[str, list[float]]] = {}
    conns: dict[str, list[int]] = {}
    async with AsyncExitStack() as stack:
        calls: dict[str, dict[str, Call]] = {}
        for name, http in floors.items():
            calls[name] = {op: httpx_call(http, op) for op in OPS}
        for contender in contenders:
            before = upstream.stats()["accepted"]
            client = await stack.enter_async_context(Client(targets[contender.name], mode=mode))  # type: ignore[arg-type]
            await check_answer(client, contender)
            calls[contender.name] = {op: mcp_call(client, contender, op) for op in OPS}
            for op in OPS:
                await timed(calls[contender.name][op], plan.warmup, [])
            conns[contender.name] = [upstream.stats()["accepted"] - before, plan.warmup * 2 + 1]
        for name in calls:
            samples[name] = {op: [] for op in OPS}
            if name in floors:
                for op in OPS:
                    await timed(calls[name][op], plan.warmup, [])
        names = list(calls)
        for round_no in range(plan.rounds):
            for name in rotation(names, round_no):
                before = upstream.stats()["accepted"]
                for op in OPS:
                    await timed(calls[name][op], plan.per_round, samples[name][op])
                if name in conns:
                    conns[name][0] += upstream.stats()["accepted"] - before
                    conns[name][1] += plan.per_round * len(OPS)
        rss: dict[str, dict[str, int]] = {}
        stdio = isinstance(next(iter(targets.values())), StdioServerParameters)
        for contender in contenders if stdio else []:
            pids = procs.child_pids(contender.marker)
            if len(pids) == 1:
                rss[contender.name] = procs.memory_kib(pids[0])
            else:
                log(
                    f"{contender.name}: {len(pids)} stdio processes match {contender.marker!r}; memory not read"
                )
    return {
        "calls": {
            name: {op: summary(values) for op, values in by_op.items()} for name, by_op in samples.items()
        },
        "upstream_connections": {
            name: {"accepted": accepted, "calls": count, "per_1000_calls": round(1000 * accepted / count, 2)}
            for name, (accepted, count) in conns.items()
        },
        "stdio_server_kib": rss,
    }


async def bench_latency(
    plan: Plan, contenders: list[Contender], upstream: Upstream, http_urls: dict[tuple[str, bool], str]
) -> dict[str, Any]:
    floors = {
        "httpx": direct_client(upstream.url),
    }
    results: dict[str, Any] = {}
    try:
        for mode in ("legacy", "auto"):
            stdio = {
                c.name: StdioServerParameters(
                    command=c.stdio_command()[0],
                    args=c.stdio_command()[1:],
                    env=procs.server_env(upstream.url, c.env),
                    cwd=str(procs.ROOT),
                )
                for c in contenders
            }
            key = f"stdio/{mode}"
            log(f"latency {key}")
            results[key] = await bench_latency_config(plan, contenders, upstream, stdio, mode, floors)  # type: ignore[arg-type]
        for stateless in (False, True):
            for mode in ("legacy", "auto"):
                key = f"http-{'stateless' if stateless else 'stateful'}/{mode}"
                log(f"latency {key}")
                urls = {c.name: http_urls[(c.name, stateless)] for c in contenders}
                results[key] = await bench_latency_config(plan, contenders, upstream, urls, mode, floors)  # type: ignore[arg-type]
    finally:
        for http in floors.values():
            await http.aclose()
    return results


async def bench_transports(plan: Plan, upstream: Upstream) -> dict[str, Any]:
    """Where the time goes: httpx's default transport against the aiohttp one, same httpx API."""
    clients = {"httpx default transport": direct_client(upstream.url)}
    with suppress(ImportError):
        clients["httpx + aiohttp transport"] = direct_client(upstream.url, aiohttp=True)
    samples: dict[str, list[float]] = {name: [] for name in clients}
    try:
        for http in clients.values():
            await timed(httpx_call(http, "get_job"), plan.warmup, [])
        for round_no in range(plan.rounds * 2):
            for name in rotation(list(clients), round_no):
                await timed(httpx_call(clients[name], "get_job"), plan.per_round, samples[name])
    finally:
        for http in clients.values():
            await http.aclose()
    return {name: summary(values) for name, values in samples.items()}


# -- throughput -----------------------------------------------------------------------------------


async def run_workers(calls: list[Call], seconds: float) -> tuple[int, int, list[float], float]:
    done = 0
    errors = 0
    latencies: list[float] = []
    started = time.perf_counter()
    stop_at = started + seconds

    async def worker(call: Call) -> None:
        nonlocal done, errors
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            try:
                await asyncio.wait_for(call(), timeout=30)
            except Exception:
                errors += 1
                continue
            latencies.append((time.perf_counter() - t0) * 1000)
            done += 1

    await asyncio.gather(*(worker(call) for call in calls))
    return done, errors, latencies, time.perf_counter() - started


#: What mcp.Client sends on a 2026-07-28 connection (captured from it): no session, the version
#: and capabilities in `_meta` and in headers.
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "0"},
    "io.modelcontextprotocol/clientCapabilities": {},
}


def lean_mcp_call(session: Any, url: str, contender: Contender, op: str) -> Call:
    """One client of the throughput test: tools/call as plain JSON-RPC over aiohttp.

    The load generator shares the two cores with the servers; mcp.Client costs more CPU per call
    than the servers measured, so with it every contender would be capped at the client's speed.
    """
    name, arguments = contender.tools[op]
    headers = {
        "accept": "application/json, text/event-stream",
        "content-type": "application/json",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": name,
    }
    counter = [0]

    async def call() -> None:
        counter[0] += 1
        body = {
            "jsonrpc": "2.0",
            "id": counter[0],
            "method": "tools/call",
            "params": {"name": name, "arguments": arguments, "_meta": MODERN_META},
        }
        async with session.post(url, data=json.dumps(body), headers=headers) as response:
            payload = await response.read()
            kind = response.headers.get("content-type", "")
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {payload[:200]!r}")
        if kind.startswith("text/event-stream"):
            data = [line[5:] for line in payload.splitlines() if line.startswith(b"data:")]
            payload = data[-1]
        message = json.loads(payload)
        if "error" in message or message["result"].get("isError"):
            raise RuntimeError(f"{contender.name} {name}: {str(message)[:200]}")

    return call


def lean_direct_call(session: Any, url: str, op: str) -> Call:
    target = url + UPSTREAM_PATHS[op]
    headers = {"Authorization": f"Token {procs.DEMO_KEY}"}

    async def call() -> None:
        async with session.get(target, headers=headers) as response:
            await response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")

    return call


async def bench_throughput(
    plan: Plan,
    contenders: list[Contender],
    upstream: Upstream,
    http_urls: dict[tuple[str, bool], str],
    pids: dict[str, int],
) -> dict[str, Any]:
    """N concurrent clients (one connection each) calling get-job-status for a fixed time, in turns."""
    import aiohttp

    results: dict[str, Any] = {}
    for concurrency in CONCURRENCY:
        log(f"throughput with {concurrency} concurrent clients")
        totals: dict[str, dict[str, Any]] = {}
        async with AsyncExitStack() as stack:
            sessions = [
                await stack.enter_async_context(
                    aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
                )
                for _ in range(concurrency)
            ]
            calls: dict[str, list[Call]] = {
                "httpx": [lean_direct_call(s, upstream.url, "get_status") for s in sessions]
            }
            for contender in contenders:
                url = http_urls[(contender.name, False)]
                calls[contender.name] = [lean_mcp_call(s, url, contender, "get_status") for s in sessions]
            for name, group in calls.items():
                warm_before = upstream.stats()["accepted"]
                await asyncio.gather(*(timed(call, 5, []) for call in group))
                warm_opened = upstream.stats()["accepted"] - warm_before
                totals[name] = {
                    "done": 0,
                    "errors": 0,
                    "seconds": 0.0,
                    "latencies": [],
                    "accepted": warm_opened,
                    "open": 0,
                    "cpu": 0.0,
                    "upstream_cpu": 0.0,
                    "max_opened_in_a_turn": warm_opened,
                }
            for round_no in range(plan.tp_rounds):
                for name in rotation(list(calls), round_no):
                    before = upstream.stats()
                    # The direct GETs have no server: their "server" CPU is this load generator's own,
                    # the client's CPU for one direct GET (issue 13's CPU bar adds it to the floor's).
                    cpu_before = procs.cpu_seconds(pids[name]) if name in pids else time.process_time()
                    upstream_cpu_before = procs.cpu_seconds(upstream.proc.pid)
                    done, errors, latencies, seconds = await run_workers(calls[name], plan.tp_seconds)
                    upstream_cpu = procs.cpu_seconds(upstream.proc.pid) - upstream_cpu_before
                    cpu = (
                        procs.cpu_seconds(pids[name]) if name in pids else time.process_time()
                    ) - cpu_before
                    after = upstream.stats()
                    total = totals[name]
                    total["cpu"] += cpu
                    total["upstream_cpu"] += upstream_cpu
                    total["done"] += done
                    total["errors"] += errors
                    total["seconds"] += seconds
                    total["latencies"].extend(latencies)
                    opened = after["accepted"] - before["accepted"]
                    total["accepted"] += opened
                    total["max_opened_in_a_turn"] = max(total["max_opened_in_a_turn"], opened)
                    total["open"] = max(total["open"], after["open"])
        results[str(concurrency)] = {
            name: {
                "calls_per_s": round(t["done"] / t["seconds"], 1),
                "calls": t["done"],
                "errors": t["errors"],
                **{k: v for k, v in summary(t["latencies"]).items() if k in ("p50", "p99")},
                # Connections idle longer than the keep-alive expiry (5 s) close while the other
                # contenders take their turns, so each turn opens its own: the bound is per turn.
                "upstream_connections_opened": t["accepted"],
                "upstream_connections_max_opened_in_a_turn": t["max_opened_in_a_turn"],
                "upstream_connections_open_after": t["open"],
                "server_cpu_ms_per_call": round(1000 * t["cpu"] / max(1, t["done"]), 3),
                "upstream_cpu_ms_per_call": round(1000 * t["upstream_cpu"] / max(1, t["done"]), 3),
            }
            for name, t in totals.items()
        }
    return results


# -- memory over many calls -----------------------------------------------------------------------


async def bench_memory(plan: Plan, contenders: list[Contender], upstream: Upstream) -> dict[str, Any]:
    """RSS after `rss_small` and after `rss_large` calls (8 concurrent clients), on fresh servers."""
    results: dict[str, Any] = {}
    started = {c.name: procs.start_http(c, upstream.url, stateless=False) for c in contenders}
    try:
        async with AsyncExitStack() as stack:
            groups: dict[str, list[Call]] = {}
            for contender in contenders:
                url = started[contender.name][1]
                clients = [await stack.enter_async_context(Client(url, mode="auto")) for _ in range(8)]
                groups[contender.name] = [mcp_call(c, contender, "get_status") for c in clients]
            counts = {name: 0 for name in groups}
            small: dict[str, dict[str, int]] = {}

            async def drive(name: str, total: int) -> None:
                group = groups[name]
                share = [
                    total // len(group) + (1 if i < total % len(group) else 0) for i in range(len(group))
                ]
                await asyncio.gather(*(timed(call, n, []) for call, n in zip(group, share, strict=False)))
                counts[name] += total

            for name in groups:
                await drive(name, plan.rss_small)
                small[name] = procs.memory_kib(started[name][0].pid)
            chunk = 1_000
            remaining = plan.rss_large - plan.rss_small
            round_no = 0
            while remaining > 0:
                step = min(chunk, remaining)
                for name in rotation(list(groups), round_no):
                    await drive(name, step)
                remaining -= step
                round_no += 1
            for name in groups:
                large = procs.memory_kib(started[name][0].pid)
                results[name] = {
                    f"rss_kib_after_{plan.rss_small}": small[name]["VmRSS"],
                    f"rss_kib_after_{plan.rss_large}": large["VmRSS"],
                    "peak_rss_kib": large["VmHWM"],
                    "growth_pct": round(
                        100 * (large["VmRSS"] - small[name]["VmRSS"]) / small[name]["VmRSS"], 1
                    ),
                    "calls": counts[name],
                }
    finally:
        for proc, _ in started.values():
            procs.stop(proc)
    return results


# -- the run --------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = 0.0
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            mem_gib = round(int(handle.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def versions() -> dict[str, str]:
    found = {}
    for name in ("mcp", "httpx", "httpx-aiohttp", "aiohttp", "uvicorn", "uvloop", "httptools", "starlette"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    if procs.FASTMCP_PYTHON.exists():
        out = subprocess.run(
            [
                str(procs.FASTMCP_PYTHON),
                "-c",
                "import fastmcp, mcp; from importlib.metadata import version as v; "
                "print(v('fastmcp'), v('mcp'))",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        if len(out) == 2:
            found["fastmcp"], found["mcp (fastmcp env)"] = out
    return found


async def main_async(plan: Plan, only: set[str], variants: bool) -> dict[str, Any]:
    spec = procs.find_spec()
    if spec is None:
        log("Qovery's OpenAPI document was not found (set QOVERY_OPENAPI_SPEC); fastmcp is left out")
    elif not procs.ensure_fastmcp_env(log):
        spec = None
    contenders = procs.contenders(JOB_ID, spec, variants)
    upstream = procs.start_upstream()
    log(f"simulated Qovery API at {upstream.url}; contenders: {', '.join(c.name for c in contenders)}")
    result: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "quick" if plan.quick else "full",
        "plan": plan.__dict__,
        "machine": machine(),
        "versions": versions(),
        "contenders": {c.name: c.label for c in contenders}
        | {"httpx": "direct GET to the API (floor): httpx for latency, aiohttp for throughput"},
        "spec": str(spec) if spec else None,
    }
    try:
        if "cold" in only:
            log("cold start")
            result["cold_start_ms"] = bench_cold_start(plan, contenders, upstream)
        if "imports" in only:
            log("import costs")
            result["imports_ms"] = bench_imports(plan)
        if "transport" in only:
            log("httpx transports")
            result["httpx_transports_ms"] = await bench_transports(plan, upstream)
        if only & {"latency", "throughput"}:
            http_procs = {}
            http_urls = {}
            try:
                for contender in contenders:
                    for stateless in (False, True):
                        proc, url = procs.start_http(contender, upstream.url, stateless)
                        http_procs[(contender.name, stateless)] = proc
                        http_urls[(contender.name, stateless)] = url
                if "latency" in only:
                    result["latency_ms"] = await bench_latency(plan, contenders, upstream, http_urls)
                if "throughput" in only:
                    pids = {name: proc.pid for (name, stateless), proc in http_procs.items() if not stateless}
                    result["throughput"] = await bench_throughput(plan, contenders, upstream, http_urls, pids)
                result["http_server_kib"] = {
                    f"{name}/{'stateless' if stateless else 'stateful'}": procs.memory_kib(proc.pid)
                    for (name, stateless), proc in http_procs.items()
                }
            finally:
                for proc in http_procs.values():
                    procs.stop(proc)
        if "memory" in only:
            log(f"memory over {plan.rss_large} calls")
            main_three = [c for c in contenders if c.name in ("sdk_floor", "this", "fastmcp")]
            result["memory"] = await bench_memory(plan, main_three, upstream)
    finally:
        assert upstream.proc.stdin is not None
        upstream.proc.stdin.close()
        procs.stop(upstream.proc)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short run to check the suite (results/tmp/)")
    parser.add_argument(
        "--out", type=Path, help="output folder (default results/, or results/tmp/ with --quick)"
    )
    parser.add_argument(
        "--only",
        default="cold,imports,transport,latency,throughput,memory",
        help="comma-separated phases: cold, imports, transport, latency, throughput, memory",
    )
    parser.add_argument(
        "--no-variants",
        action="store_true",
        help="leave out this server's variants (httpx default transport; uvicorn without uvloop/httptools)",
    )
    parser.add_argument(
        "--docs",
        "--readme",
        dest="docs",
        action="store_true",
        help="also put the Markdown report and the plot into the documentation (docs/performance.md)",
    )
    args = parser.parse_args()
    plan = Plan.make(args.quick)
    out_dir: Path = args.out or (procs.BENCH / "results" / ("tmp" if args.quick else ""))
    out_dir.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(main_async(plan, set(args.only.split(",")), not args.no_variants))
    result["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["targets"] = report.targets(result)
    (out_dir / "latest.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    (out_dir / "latest.md").write_text(report.markdown(result), encoding="utf-8")
    report.plot(out_dir / "latest.json", out_dir / "latency-vs-concurrency.png", log)
    if args.docs:
        report.update_docs(procs.ROOT / "docs" / "performance.md", report.markdown(result))
        report.plot(out_dir / "latest.json", procs.ROOT / "docs" / "performance.png", log)
        log("docs/performance.md and docs/performance.png: the results were replaced")
    log(f"wrote {out_dir / 'latest.md'}")
    print(report.markdown(result))


if __name__ == "__main__":
    main()
