"""Why a call costs more in the 2025-11-25 era than in 2026-07-28, and whether that is ours (issue 13).

    uv run python benchmarks/era_cost.py [--calls 400]

Starts the SDK floor's no-op server (servers/noop_server.py) twice over stateful streamable HTTP:
once answering "ok", and once answering a Qovery job the way this server does (the job's JSON as
text content and again as structured content, about 3 KB on the wire). Then it times sequential
`tools/call` through `mcp.Client` in both protocol eras, reading the server's CPU time (less noisy
than latency on a shared machine). Nothing of this project runs in the
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


async def measure(url: str, mode: str, calls: int, pid: int) -> tuple[float, float]:
    """p50 latency (ms) and the server's CPU time per call (ms) over `calls` sequential calls."""
    async with Client(url, mode=mode) as client:  # type: ignore[arg-type]
        for _ in range(calls // 5):  # warm-up
            await client.call_tool("noop", {"job_id": "x"})
        samples = []
        cpu_before = procs.cpu_seconds(pid)
        for _ in range(calls):
            started = time.perf_counter()
            await client.call_tool("noop", {"job_id": "x"})
            samples.append((time.perf_counter() - started) * 1000)
        cpu = procs.cpu_seconds(pid) - cpu_before
    return statistics.median(samples), 1000 * cpu / calls


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
            eras = {
                mode: asyncio.run(measure(url, mode, options.calls, server.pid))
                for mode in ("legacy", "auto")
            }
            rows.append((answer, eras["legacy"], eras["auto"]))
        finally:
            procs.stop(server)
    print(
        "| SDK floor answering | p50 ms 2025-11-25 / 2026-07-28 | server CPU ms per call 2025-11-25 / 2026-07-28 | CPU legacy - modern |"
    )
    print("|---|---:|---:|---:|")
    for answer, (legacy_p50, legacy_cpu), (modern_p50, modern_cpu) in rows:
        label = '"ok"' if answer == "ok" else "a job, as this server answers it"
        print(
            f"| {label} | {legacy_p50:.2f} / {modern_p50:.2f} | {legacy_cpu:.3f} / {modern_cpu:.3f} "
            f"| {legacy_cpu - modern_cpu:+.3f} |"
        )


if __name__ == "__main__":
    main()
