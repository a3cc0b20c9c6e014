"""Memory over many calls: each server's resident set after a small and a large number of calls."""

from __future__ import annotations

import asyncio
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


import procs
from latency import Call, mcp_call, timed
from mcp import Client
from plan import Plan, rotation
from procs import Contender, Upstream


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
