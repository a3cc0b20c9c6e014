"""This server's own CPU per call, without the MCP SDK, the network or a second process (issue 13).

    uv run python benchmarks/own_cost.py [--calls 5000]
    uv run python -m cProfile -s tottime benchmarks/own_cost.py | head -40    # where it goes

Runs `get-job-id` and `get-job-status` through the boundary, the operation and the Qovery client,
as both adapters do, with httpx's MockTransport answering a demo job in process: what is left is
our code plus httpx's request and response objects. benchmarks/README.md ("Second pass") keeps the
figures before and after this round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from qovery_job_mcp import metrics
from qovery_job_mcp.boundary import run_operation
from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.qovery.client import QoveryClient
from qovery_job_mcp.simulation.data import NIGHTLY_JOB_ID, demo_jobs, demo_statuses

KEY = "qov_benchmark_key_not_a_secret"


#: The answers, serialized once: the stand-in for Qovery should cost as little as possible.
BODIES = {
    "job": json.dumps(demo_jobs()[NIGHTLY_JOB_ID]).encode(),
    "status": json.dumps(demo_statuses()[NIGHTLY_JOB_ID]).encode(),
}
JSON_HEADERS = {"content-type": "application/json"}


def answer(request: httpx.Request) -> httpx.Response:
    body = BODIES["status"] if request.url.path.endswith("/status") else BODIES["job"]
    return httpx.Response(200, content=body, headers=JSON_HEADERS)


async def per_call_us(name: str, call: Callable[[], Awaitable[Any]], calls: int) -> float:
    for _ in range(calls // 10):  # warm-up: first-use imports and pydantic's lazy builds
        await run_operation(name, call, secrets=(KEY,))
    started = time.process_time()
    for _ in range(calls):
        await run_operation(name, call, secrets=(KEY,))
    return (time.process_time() - started) / calls * 1e6


async def main_async(calls: int) -> None:
    metrics.enable()  # as over HTTP, where the benchmarks' throughput runs
    client = QoveryClient("https://api.qovery.com", credential=KEY, transport=httpx.MockTransport(answer))
    operations = JobOperations(client)
    for name, call in (
        ("get-job-id", lambda: operations.get_job(NIGHTLY_JOB_ID)),
        ("get-job-status", lambda: operations.get_status(NIGHTLY_JOB_ID)),
    ):
        print(f"{name}: {await per_call_us(name, call, calls):.0f} µs of CPU per call")
    await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=5000)
    options = parser.parse_args()
    asyncio.run(main_async(options.calls))


if __name__ == "__main__":
    main()
