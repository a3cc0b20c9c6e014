"""Cold start: seconds from spawning a server to the answer of its first tools/list, over raw stdio."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


import procs
from plan import Plan, rotation, summary
from procs import Contender, Upstream


def cold_start_once(contender: Contender, upstream: Upstream) -> float:
    """Seconds from spawn to the answer of the first tools/list (legacy handshake, as hosts do today)."""
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    env = procs.server_env(upstream.url, contender.env)
    started = time.perf_counter()
    proc = procs.spawn(
        contender.stdio_command(),
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=str(procs.ROOT),
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        proc.stdin.write(json.dumps(messages[0]).encode() + b"\n")
        proc.stdin.flush()
        _read_answer(proc, 1)
        proc.stdin.write((json.dumps(messages[1]) + "\n" + json.dumps(messages[2]) + "\n").encode())
        proc.stdin.flush()
        answer = _read_answer(proc, 2)
        elapsed = time.perf_counter() - started
        names = {tool["name"] for tool in answer["result"]["tools"]}
        wanted = {name for name, _ in contender.tools.values()}
        if not wanted <= names:
            raise RuntimeError(f"{contender.name} lists {sorted(names)}, not {sorted(wanted)}")
        return elapsed
    finally:
        proc.stdin.close()
        procs.stop(proc)


def _read_answer(proc: subprocess.Popen[bytes], request_id: int) -> dict[str, Any]:
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"server closed stdout (exit {proc.poll()})")
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("id") == request_id:
            return message  # type: ignore[no-any-return]
    raise RuntimeError("no answer within 60 s")


def bench_cold_start(plan: Plan, contenders: list[Contender], upstream: Upstream) -> dict[str, Any]:
    samples: dict[str, list[float]] = {c.name: [] for c in contenders}
    for contender in contenders:
        cold_start_once(contender, upstream)  # bytecode written and page cache warm for everyone
    for run in range(plan.cold_runs):
        for contender in rotation(contenders, run):
            samples[contender.name].append(cold_start_once(contender, upstream) * 1000)
    return {
        name: {**summary(values), "samples": [round(v, 2) for v in values]}
        for name, values in samples.items()
    }
