"""Sequential latency: one call at a time, MCP over stdio and HTTP against direct httpx, and the httpx transports."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


import httpx
import procs
from mcp import Client, StdioServerParameters
from plan import JOB_ID, OPS, UPSTREAM_PATHS, Plan, log, rotation, summary
from procs import Contender, Upstream

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
