"""Why a call costs more in the 2025-11-25 era than in 2026-07-28, and whether that is ours (issue 13).

    uv run python benchmarks/era_cost.py [--calls 400]

Starts the SDK floor's no-op server (servers/noop_server.py) twice over stateful streamable HTTP:
once answering "ok", and once answering a Qovery job the way this server does (the job's JSON as
text content and again as structured content, about 3 KB on the wire). Then it times sequential
`tools/call` through `mcp.Client` in both protocol eras. Nothing of this project runs in the
server: if the legacy era's extra cost grows with the answer's size on the bare SDK too, the
extra cost this server shows in that era is the SDK's per-byte work on a larger answer, not ours.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))

import procs

NOOP = Path(__file__).resolve().parent / "servers" / "noop_server.py"


async def p50_ms(url: str, mode: str, calls: int) -> float:
    async with Client(url, mode=mode) as client:  # type: ignore[arg-type]
        for _ in range(calls // 5):  # warm-up
            await client.call_tool("noop", {"job_id": "x"})
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            await client.call_tool("noop", {"job_id": "x"})
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=400)
    options = parser.parse_args()
    rows = []
    for answer in ("ok", "job"):
        port = procs.free_port()
        server = procs.spawn(
            [sys.executable, str(NOOP), "http", str(port)], env=procs.server_env("", {"NOOP_ANSWER": answer})
        )
        try:
            procs.wait_for_port(port, server)
            url = f"http://127.0.0.1:{port}/mcp"
            legacy = asyncio.run(p50_ms(url, "legacy", options.calls))
            modern = asyncio.run(p50_ms(url, "auto", options.calls))
            rows.append((answer, legacy, modern))
        finally:
            procs.stop(server)
    print("| SDK floor answering | 2025-11-25 p50 ms | 2026-07-28 p50 ms | legacy - modern |")
    print("|---|---:|---:|---:|")
    for answer, legacy, modern in rows:
        label = '"ok"' if answer == "ok" else "a job, as this server answers it"
        print(f"| {label} | {legacy:.2f} | {modern:.2f} | {legacy - modern:+.2f} |")


if __name__ == "__main__":
    main()
