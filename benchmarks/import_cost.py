"""Import costs: the wall time of a fresh interpreter importing each module, minus a bare start."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


import procs
from plan import Plan, rotation


#: label -> (python, statement). h2 is measured in the benchmark's own environment: it is not a
#: dependency of the product, and both environments run the same interpreter.
def import_cases() -> dict[str, tuple[str, str]]:
    py = sys.executable
    cases = {
        "python -c pass (baseline)": (py, "pass"),
        "httpx": (py, "import httpx"),
        "httpx + httpx_aiohttp (aiohttp)": (py, "import httpx, httpx_aiohttp"),
        "uvloop": (py, "import uvloop"),
        "httptools": (py, "import httptools"),
        "mcp.server (the SDK)": (py, "import mcp.server"),
        "qovery_job_mcp.mcp_server.server (stdio path)": (
            py,
            "import qovery_job_mcp.cli, qovery_job_mcp.mcp_server.server",
        ),
    }
    if procs.FASTMCP_PYTHON.exists():
        cases["h2 (what httpx[http2] adds)"] = (
            str(procs.FASTMCP_PYTHON),
            "import h2.config, h2.connection, h2.events, h2.exceptions, h2.settings",
        )
    return cases


def bench_imports(plan: Plan) -> dict[str, Any]:
    """Wall time of a fresh interpreter importing each module (bytecode cached), minus a bare start."""
    cases = import_cases()
    env = procs.server_env("http://127.0.0.1:9", {})
    samples: dict[str, list[float]] = {label: [] for label in cases}
    for py, statement in cases.values():  # bytecode written once
        subprocess.run([py, "-c", statement], env=env, check=True, cwd=str(procs.ROOT))
    for run in range(plan.cold_runs):
        for label in rotation(list(cases), run):
            py, statement = cases[label]
            started = time.perf_counter()
            subprocess.run([py, "-c", statement], env=env, check=True, cwd=str(procs.ROOT))
            samples[label].append((time.perf_counter() - started) * 1000)
    base = statistics.median(samples["python -c pass (baseline)"])
    return {
        label: {
            "p50_ms": round(statistics.median(values), 1),
            "import_ms": round(statistics.median(values) - base, 1),
        }
        for label, values in samples.items()
    }
