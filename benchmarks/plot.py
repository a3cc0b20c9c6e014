"""Latency (p50, p99) and throughput against the number of concurrent HTTP clients, as a PNG.

Run by run.py with the benchmark environment's Python (it holds matplotlib), or by hand:
    uv run --with matplotlib python benchmarks/plot.py benchmarks/results/latest.json docs/performance.png
The PNG records the SHA-256 of the JSON it was drawn from (tests/e2e/test_docs_site.py checks it).
"""

from __future__ import annotations

import hashlib
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
    with open(source, "rb") as handle:
        raw = handle.read()
    result = json.loads(raw)
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
    # The JSON's digest rides in the PNG's text chunks, so a test can tell a plot from stale figures.
    fig.savefig(target, dpi=110, metadata={"Source": f"sha256:{hashlib.sha256(raw).hexdigest()}"})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
