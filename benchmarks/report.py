"""Turns a benchmark result into ratios, a target checklist, a Markdown report and a plot."""

from __future__ import annotations

import statistics
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import procs

HTTP_CONFIGS = ("http-stateful/legacy", "http-stateful/auto", "http-stateless/legacy", "http-stateless/auto")
OP_NAMES = {"get_job": "get-job-id", "get_status": "get-job-status"}


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return round(a / b, 3)


def _p50(result: dict[str, Any], config: str, name: str, op: str) -> float | None:
    try:
        return float(result["latency_ms"][config]["calls"][name][op]["p50"])
    except KeyError:
        return None


def median_cpu(result: dict[str, Any], name: str) -> float | None:
    """CPU ms per get-job-status call of one contender, median over the concurrency levels.

    For "httpx" (direct GETs, no server) it is the load generator's own CPU: the client's cost of one GET.
    """
    rows = [row[name] for row in result.get("throughput", {}).values() if name in row]
    if not rows or "server_cpu_ms_per_call" not in rows[0]:
        return None
    return float(statistics.median(r["server_cpu_ms_per_call"] for r in rows))


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issue 13 as measured in this run: value, bar, held or not."""
    checks: list[dict[str, Any]] = []

    def check(name: str, value: float | None, bar: float, higher_is_better: bool = False) -> None:
        if value is None:
            checks.append({"target": name, "value": None, "bar": bar, "ok": None})
            return
        ok = value >= bar if higher_is_better else value <= bar
        checks.append({"target": name, "value": round(value, 3), "bar": bar, "ok": ok})

    cold = result.get("cold_start_ms", {})
    if cold:
        this = cold.get("this", {}).get("p50")
        check("cold start / fastmcp", _ratio(this, cold.get("fastmcp", {}).get("p50")), 0.5)
        check("cold start / SDK floor", _ratio(this, cold.get("sdk_floor", {}).get("p50")), 1.0)
    if "latency_ms" in result:
        for config in HTTP_CONFIGS:
            for op in ("get_job", "get_status"):
                this = _p50(result, config, "this", op)
                fast = _p50(result, config, "fastmcp", op)
                floor_sdk = _p50(result, config, "sdk_floor", op)
                floor_http = _p50(result, config, "httpx", op)
                label = f"{OP_NAMES[op]} p50 {config}"
                check(f"{label} / fastmcp", _ratio(this, fast), 0.65)
                floor = floor_sdk + floor_http if floor_sdk is not None and floor_http is not None else None
                check(f"{label} / (SDK floor + httpx)", _ratio(this, floor), 1.0)
    for level in ("16", "32"):
        row = result.get("throughput", {}).get(level)
        if not row:
            continue
        this = row.get("this", {}).get("calls_per_s")
        check(
            f"throughput x{level} / fastmcp",
            _ratio(this, row.get("fastmcp", {}).get("calls_per_s")),
            1.35,
            True,
        )
        check(
            f"throughput x{level} / SDK floor",
            _ratio(this, row.get("sdk_floor", {}).get("calls_per_s")),
            0.85,
            True,
        )
        checks.append(
            {
                "target": f"throughput x{level}: errors",
                "value": row.get("this", {}).get("errors"),
                "bar": 0,
                "ok": row.get("this", {}).get("errors") == 0,
            }
        )
        opened = row.get("this", {}).get("upstream_connections_max_opened_in_a_turn")
        checks.append(
            {
                "target": f"throughput x{level}: upstream connections opened in one turn <= callers ({level})",
                "value": opened,
                "bar": int(level),
                "ok": opened is not None and opened <= int(level),
            }
        )
    this_cpu, floor_cpu, get_cpu = (median_cpu(result, name) for name in ("this", "sdk_floor", "httpx"))
    if this_cpu is not None:
        check("server CPU per call (ms)", this_cpu, 0.85)
        if floor_cpu is not None and get_cpu is not None:
            check(
                "server CPU per call / (floor CPU + client CPU of one direct GET)",
                _ratio(this_cpu, floor_cpu + get_cpu),
                1.2,
            )
    memory = result.get("memory", {})
    if memory.get("this") and memory.get("sdk_floor"):
        check(
            "peak RSS / SDK floor",
            _ratio(memory["this"]["peak_rss_kib"], memory["sdk_floor"]["peak_rss_kib"]),
            1.15,
        )
        check("RSS growth, this server (%)", memory["this"]["growth_pct"], 10.0)
    return checks


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown(result: dict[str, Any]) -> str:
    lines: list[str] = []
    m = result["machine"]
    v = result["versions"]
    lines.append(f"### Benchmark results, {result['date']} ({result['mode']} run)")
    lines.append("")
    lines.append(
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, Python {m['python']} "
        f"(load average at start {m['load_avg_at_start']}, at end {m.get('load_avg_at_end', '?')}). "
        + ", ".join(f"{k} {val}" for k, val in v.items())
        + "."
    )
    order = ("httpx", "sdk_floor", "this", "fastmcp")
    names = [n for n in order if n in result["contenders"]] + [
        n for n in result["contenders"] if n not in order
    ]
    labels = {
        "httpx": "direct GET",
        "sdk_floor": "SDK floor",
        "this": "this server",
        "fastmcp": "fastmcp",
        "this_httpcore": "this, httpcore transport",
        "this_plain_uvicorn": "this, plain uvicorn",
    }
    labels.update({n: n for n in names if n not in labels})
    cold = result.get("cold_start_ms")
    if cold:
        lines += ["", "**Cold start over stdio** (spawn to the first `tools/list` answer, ms)", ""]
        lines += ["| contender | p50 | min | p90 | runs |", "|---|---:|---:|---:|---:|"]
        for name in names:
            if name in cold:
                c = cold[name]
                lines.append(
                    f"| {labels[name]} | {_fmt(c['p50'], 0)} | {_fmt(c['min'], 0)} | {_fmt(c['p90'], 0)} | {c['n']} |"
                )
    latency = result.get("latency_ms")
    if latency:
        lines += [
            "",
            "**Sequential latency** (ms per call, p50 / p99; the SDK floor's no-op tool stands for both tools)",
            "",
        ]
        header = (
            "| transport / era | tool | "
            + " | ".join(labels[n] for n in names)
            + " | this / fastmcp | this / (SDK floor + httpx) |"
        )
        lines += [header, "|---|---|" + "---:|" * (len(names) + 2)]
        for config, data in latency.items():
            for op in ("get_job", "get_status"):
                cells = []
                for name in names:
                    s = data["calls"].get(name, {}).get(op)
                    cells.append(f"{_fmt(s['p50'])} / {_fmt(s['p99'])}" if s else "-")
                this = data["calls"].get("this", {}).get(op, {}).get("p50")
                fast = data["calls"].get("fastmcp", {}).get(op, {}).get("p50")
                sdk = data["calls"].get("sdk_floor", {}).get(op, {}).get("p50")
                direct = data["calls"].get("httpx", {}).get(op, {}).get("p50")
                floor = sdk + direct if sdk is not None and direct is not None else None
                lines.append(
                    f"| {config} | {OP_NAMES[op]} | "
                    + " | ".join(cells)
                    + f" | {_fmt(_ratio(this, fast))} | {_fmt(_ratio(this, floor))} |"
                )
        lines += [
            "",
            "**Upstream TCP connections opened per 1,000 calls** (sequential runs, warm-up included)",
            "",
        ]
        mcp_names = [n for n in names if n not in ("httpx", "sdk_floor")]
        lines += [
            "| transport / era | " + " | ".join(labels[n] for n in mcp_names) + " |",
            "|---|" + "---:|" * len(mcp_names),
        ]
        for config, data in latency.items():
            conns = data["upstream_connections"]
            lines.append(
                f"| {config} | "
                + " | ".join(_fmt(conns.get(n, {}).get("per_1000_calls")) for n in mcp_names)
                + " |"
            )
    imports = result.get("imports_ms")
    if imports:
        lines += ["", "**Import cost in a fresh interpreter** (ms, median; bytecode cached)", ""]
        lines += ["| import | wall p50 | over a bare start |", "|---|---:|---:|"]
        for label, row in imports.items():
            lines.append(f"| {label} | {_fmt(row['p50_ms'], 0)} | {_fmt(row['import_ms'], 0)} |")
    transports = result.get("httpx_transports_ms")
    if transports:
        lines += [
            "",
            "**httpx transports, direct GET of a job** (ms, sequential)",
            "",
            "| transport | p50 | p99 |",
            "|---|---:|---:|",
        ]
        for name, s in transports.items():
            lines.append(f"| {name} | {_fmt(s['p50'], 3)} | {_fmt(s['p99'], 3)} |")
    throughput = result.get("throughput")
    if throughput:
        lines += [
            "",
            "**Throughput over HTTP** (get-job-status, 2026-07-28 era, stateful server; calls/s, p50 ms, errors, "
            "most upstream connections opened in one turn)",
            "",
        ]
        lines += [
            "| clients | " + " | ".join(labels[n] for n in names) + " | this / fastmcp | this / SDK floor |",
            "|---:|" + "---|" * len(names) + "---:|---:|",
        ]
        for level, row in throughput.items():
            cells = []
            for name in names:
                t = row.get(name)
                cells.append(
                    f"{_fmt(t['calls_per_s'], 0)}/s, {_fmt(t.get('p50'))} ms, {t['errors']} err, {t.get('upstream_connections_max_opened_in_a_turn', '-')} conn"
                    if t
                    else "-"
                )
            this = row.get("this", {}).get("calls_per_s")
            lines.append(
                f"| {level} | "
                + " | ".join(cells)
                + f" | {_fmt(_ratio(this, row.get('fastmcp', {}).get('calls_per_s')))}"
                + f" | {_fmt(_ratio(this, row.get('sdk_floor', {}).get('calls_per_s')))} |"
            )
        lines += [
            "",
            "**CPU per call over HTTP** (ms of CPU time per get-job-status call, server process and simulated API, "
            "median over the concurrency levels; noise from elsewhere does not count here)",
            "",
            "| contender | server CPU / call | simulated API CPU / call |",
            "|---|---:|---:|",
        ]
        for name in names:
            rows = [row[name] for row in throughput.values() if name in row]
            server_cpu = median_cpu(result, name)
            if server_cpu is None:
                continue
            api = statistics.median(r["upstream_cpu_ms_per_call"] for r in rows)
            label = (
                "direct GET (no server: the load generator's CPU as the client)"
                if name == "httpx"
                else labels[name]
            )
            lines.append(f"| {label} | {server_cpu:.3f} | {api:.3f} |")
    memory = result.get("memory")
    if memory:
        small = result["plan"]["rss_small"]
        large = result["plan"]["rss_large"]
        lines += ["", "**Server memory over HTTP** (8 clients; MiB)", ""]
        lines += [
            f"| contender | RSS after {small} calls | RSS after {large} calls | growth | peak RSS |",
            "|---|---:|---:|---:|---:|",
        ]
        for name in names:
            if name in memory:
                r = memory[name]
                lines.append(
                    f"| {labels[name]} | {r[f'rss_kib_after_{small}'] / 1024:.1f} | {r[f'rss_kib_after_{large}'] / 1024:.1f} "
                    f"| {r['growth_pct']:+.1f} % | {r['peak_rss_kib'] / 1024:.1f} |"
                )
    stdio_memory = (result.get("latency_ms") or {}).get("stdio/auto", {}).get("stdio_server_kib")
    if stdio_memory:
        floor_peak = stdio_memory.get("sdk_floor", {}).get("VmHWM")
        lines += ["", "**Server memory over stdio** (after the stdio latency runs; MiB)", ""]
        lines += ["| contender | RSS | peak RSS | peak / SDK floor |", "|---|---:|---:|---:|"]
        for name in names:
            if name in stdio_memory:
                r = stdio_memory[name]
                lines.append(
                    f"| {labels[name]} | {r['VmRSS'] / 1024:.1f} | {r['VmHWM'] / 1024:.1f} "
                    f"| {_fmt(_ratio(r['VmHWM'], floor_peak))} |"
                )
    checks = result.get("targets", [])
    if checks:
        lines += [
            "",
            "**Targets** (ratios from this run)",
            "",
            "| target | measured | bar | held |",
            "|---|---:|---:|:---:|",
        ]
        for c in checks:
            held = "n/a" if c["ok"] is None else ("yes" if c["ok"] else "**no**")
            lines.append(f"| {c['target']} | {_fmt(c['value'], 3)} | {c['bar']} | {held} |")
    lines.append("")
    return "\n".join(lines)


def plot(json_path: Path, png_path: Path, log: Callable[[str], None]) -> None:
    """Draw latency against concurrency with matplotlib from the benchmark's own environment."""
    if '"throughput"' not in json_path.read_text(encoding="utf-8"):
        return
    if not procs.FASTMCP_PYTHON.exists():
        log("no plot: benchmarks/.venv-fastmcp (which holds matplotlib) is missing")
        return
    done = subprocess.run(
        [str(procs.FASTMCP_PYTHON), str(procs.BENCH / "plot.py"), str(json_path), str(png_path)],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        log(f"plot failed: {done.stderr.strip()[-500:]}")


BEGIN = "<!-- benchmark results: begin (written by benchmarks/run.py --docs) -->"
END = "<!-- benchmark results: end -->"


def update_docs(page: Path, table: str) -> None:
    """Replace what lies between the two markers of the documentation's Performance page."""
    text = page.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    body = table.replace("### Benchmark results", "### Latest run", 1)
    page.write_text(text[:start] + "\n\n" + body.strip() + "\n\n" + text[end:], encoding="utf-8")
