"""What the run ran on: the machine and the versions of the libraries measured, written into the results."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


import procs


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = 0.0
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            mem_gib = round(int(handle.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def versions() -> dict[str, str]:
    found = {}
    for name in ("mcp", "httpx", "httpx-aiohttp", "aiohttp", "uvicorn", "uvloop", "httptools", "starlette"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    if procs.FASTMCP_PYTHON.exists():
        out = subprocess.run(
            [
                str(procs.FASTMCP_PYTHON),
                "-c",
                "import fastmcp, mcp; from importlib.metadata import version as v; "
                "print(v('fastmcp'), v('mcp'))",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        if len(out) == 2:
            found["fastmcp"], found["mcp (fastmcp env)"] = out
    return found
