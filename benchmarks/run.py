"""The benchmark suite: this server against direct httpx, the bare SDK and FastMCP.from_openapi.

    uv run python benchmarks/run.py            # full run (8 to 12 minutes on 2 cores)
    uv run python benchmarks/run.py --quick    # a short run to check the suite (results/tmp/)

Everything runs on loopback against the simulated Qovery API in its own process. Contenders are
alternated within one run and the report gives medians and ratios, never absolute numbers alone.
Writes results/latest.json, results/latest.md and results/latency-vs-concurrency.png (the plot
is drawn with matplotlib from the benchmark's own environment, benchmarks/.venv-fastmcp, which
also holds fastmcp: neither is a dependency of the product).

This module is the entry point and the order of the phases; each phase lives in its own module
beside it (cold_start, import_cost, latency, throughput, memory), with plan.py (the plan and the
statistics) and environment.py (the machine and the versions).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import procs
import report
from cold_start import bench_cold_start
from environment import machine, versions
from import_cost import bench_imports
from latency import bench_latency, bench_transports
from memory import bench_memory
from plan import JOB_ID, Plan, log
from throughput import bench_throughput


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
