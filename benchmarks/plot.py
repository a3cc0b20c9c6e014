"""Latency (p50, p99) and throughput against the number of concurrent HTTP clients, as a PNG.

Run by run.py with the benchmark environment's Python (it holds matplotlib):
    benchmarks/.venv-fastmcp/bin/python benchmarks/plot.py results/latest.json results/latency-vs-concurrency.png
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

LABELS = {
    "httpx": "direct GET to the API (floor)",
    "sdk_floor": "bare MCPServer no-op (SDK floor)",
    "this": "qovery-job-mcp",
    "fastmcp": "FastMCP.from_openapi",
}
STYLES = {"httpx": ":", "sdk_floor": "--", "this": "-", "fastmcp": "-."}
COLORS = {"httpx": "tab:gray", "sdk_floor": "tab:blue", "this": "tab:green", "fastmcp": "tab:red"}


def main(source: str, target: str) -> None:
    with open(source, encoding="utf-8") as handle:
        result = json.load(handle)
    throughput = result["throughput"]
    levels = sorted(int(k) for k in throughput)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for name, label in LABELS.items():
        if name not in throughput[str(levels[0])]:
            continue
        rows = [throughput[str(level)][name] for level in levels]
        color = COLORS[name]
        left.plot(
            levels, [r["p50"] for r in rows], STYLES[name], color=color, marker="o", label=f"{label} p50"
        )
        left.plot(
            levels,
            [r["p99"] for r in rows],
            STYLES[name],
            color=color,
            marker="x",
            alpha=0.4,
            label=f"{label} p99",
        )
        right.plot(
            levels, [r["calls_per_s"] for r in rows], STYLES[name], color=color, marker="o", label=label
        )
    left.set(
        xlabel="concurrent clients", ylabel="latency per call (ms)", title="get-job-status latency over HTTP"
    )
    left.set_yscale("log")
    right.set(xlabel="concurrent clients", ylabel="calls per second", title="Throughput over HTTP")
    right.set_yscale("log")
    for axis in (left, right):
        axis.set_xticks(levels)
        axis.grid(True, alpha=0.3)
    left.legend(fontsize=7)
    right.legend(fontsize=8)
    machine = result["machine"]
    fig.suptitle(
        f"{result['date']} - {machine['cpu']}, {machine['cores']} cores ({result['mode']} run)", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(target, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
