"""Where this server's time per call goes: pyinstrument on the HTTP server under the throughput load.

    uv run --with pyinstrument python benchmarks/profile.py [--seconds 8] [--clients 16] [--legacy]

Starts the simulated Qovery API in its own process, then this server (stateless HTTP; stateful with
`--legacy`) under
`pyinstrument`, drives it with the throughput test's lean JSON-RPC clients (`get-job-status` and
`get-job-id` alternately), stops it with SIGTERM so the profile is written, and prints the call
tree: benchmarks/README.md keeps its top entries. pyinstrument is not a dependency of anything; it
is brought in for this run only (`--with`). Its overhead inflates every figure alike, so read the
tree as shares of the time per call, not as absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

import procs
from plan import JOB_ID
from throughput import MODERN_META

LEGACY_VERSION = "2025-11-25"
PROFILE_RENDER: list[str] = []


async def drive(url: str, seconds: float, clients: int, legacy: bool) -> int:
    """Calls in a loop from `clients` workers for `seconds`; the count of calls answered."""
    tools = itertools.cycle(["get-job-status", "get-job-id"])
    done = 0
    async with aiohttp.ClientSession() as session:
        headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
        if legacy:
            headers["mcp-protocol-version"] = LEGACY_VERSION
        else:
            headers["mcp-protocol-version"] = "2026-07-28"
        if legacy:  # the 2025-11-25 era on a stateful server: one session, as mcp.Client opens it
            init = {
                "jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": {"protocolVersion": LEGACY_VERSION, "capabilities": {}, "clientInfo": {"name": "profile", "version": "0"}},
            }  # fmt: skip
            async with session.post(url, json=init, headers=headers) as response:
                await response.read()
                headers["mcp-session-id"] = response.headers["mcp-session-id"]
            note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
            async with session.post(url, json=note, headers=headers) as response:
                await response.read()
        deadline = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                tool = next(tools)
                params: dict[str, Any] = {"name": tool, "arguments": {"job_id": JOB_ID}}
                call_headers = dict(headers)
                if not legacy:
                    params["_meta"] = MODERN_META
                    call_headers.update({"mcp-method": "tools/call", "mcp-name": tool})
                body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
                async with session.post(url, json=body, headers=call_headers) as response:
                    payload = await response.read()
                if response.status != 200 or b'"isError":true' in payload:
                    raise RuntimeError(f"HTTP {response.status}: {payload[:300]!r}")
                done += 1

        await asyncio.gather(*(worker() for _ in range(clients)))
    return done


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--legacy", action="store_true", help="the 2025-11-25 era: a stateful server, one initialized session"
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the text profile here")
    parser.add_argument("--flat", action="store_true", help="functions by their own time, not the call tree")
    options = parser.parse_args()
    if options.flat:
        PROFILE_RENDER.extend(["-p", "flat=true"])
    upstream = procs.start_upstream()
    port = procs.free_port()
    output = options.out or Path(tempfile.mkstemp(prefix="profile-", suffix=".txt")[1])
    command = [
        sys.executable, "-m", "pyinstrument", "--interval", "0.0005", "-o", str(output), *PROFILE_RENDER,
        "-m", "qovery_job_mcp", "--transport", "http", "--port", str(port),
        *([] if options.legacy else ["--stateless"]),
    ]  # fmt: skip
    server = procs.spawn(
        command,
        env=procs.server_env(upstream.url, {}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        cwd=str(procs.ROOT),
    )
    try:
        procs.wait_for_port(port, server)
        calls = asyncio.run(
            drive(f"http://127.0.0.1:{port}/mcp", options.seconds, options.clients, options.legacy)
        )
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        print(f"{calls} calls in {options.seconds:.0f} s from {options.clients} clients", file=sys.stderr)
        print(output.read_text())
    finally:
        if server.poll() is None:
            server.kill()
        procs.stop(upstream.proc)


if __name__ == "__main__":
    main()
