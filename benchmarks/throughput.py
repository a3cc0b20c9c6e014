"""Throughput: calls per second under concurrency, with lean clients so the client is not what is measured."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


import procs
from latency import Call, timed
from plan import CONCURRENCY, UPSTREAM_PATHS, Plan, log, rotation, summary
from procs import Contender, Upstream


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
