"""The simulated Qovery API in its own process, counting the TCP connections it accepts.

Run by benchmarks/run.py, never by hand. It serves `SimulatedQovery` on a free loopback port
(its own process, so the servers under test do not share its CPU or GIL), prints
`READY http://127.0.0.1:<port>` on stdout, and answers `GET /__bench__/stats` with the number of
connections accepted and open so far: that is how the suite measures connection reuse.
It exits when its stdin closes (the benchmark ended or died), so it never outlives the run.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
from typing import Any

import uvicorn

from qovery_job_mcp.simulation.api import SimulatedQovery

#: Connections accepted and open; `stats_requests` are the benchmark's own (one connection each).
STATS = {"accepted": 0, "open": 0, "peak_open": 0, "stats_requests": 0}


def counting_protocol(base: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    class Counting(base):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: Any) -> None:
            STATS["accepted"] += 1
            STATS["open"] += 1
            STATS["peak_open"] = max(STATS["peak_open"], STATS["open"])
            super().connection_made(transport)

        def connection_lost(self, exc: Exception | None) -> None:
            STATS["open"] -= 1
            super().connection_lost(exc)

    return Counting


def http_protocol() -> type[asyncio.Protocol]:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return counting_protocol(HttpToolsProtocol)
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return counting_protocol(H11Protocol)


def with_stats(app: Any) -> Any:
    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/__bench__/stats":
            STATS["stats_requests"] += 1
            body = json.dumps(STATS).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return wrapped


def main() -> None:
    # The simulation keeps nothing per request: a benchmark's hundreds of thousands cost no memory.
    # Unlimited: Qovery's 1,000 requests an hour per token would stop a benchmark in its first second.
    sim = SimulatedQovery(unlimited=True)
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it every answer (headers, then body) stalls 40 ms on Nagle and delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.listen(1024)
    config = uvicorn.Config(
        with_stats(sim.app),
        log_level="warning",
        access_log=False,
        lifespan="off",
        http=http_protocol(),
        backlog=1024,
    )
    server = uvicorn.Server(config)

    def watch_stdin() -> None:
        sys.stdin.read()
        server.should_exit = True

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"READY http://127.0.0.1:{port}", flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
