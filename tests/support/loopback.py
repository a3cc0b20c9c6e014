"""Serve an ASGI app on a real loopback port in a background thread: how tests reach the simulated API."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal


class _QuietSimulatedResets(logging.Filter):
    """Drops the server's traceback for a reset we injected on purpose; real errors still log."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, ConnectionResetError) and str(error).startswith("simulated"))


def quiet_simulated_resets(logger_name: str = "uvicorn.error") -> None:
    """Keep test output readable: uvicorn logs every injected reset as an ASGI crash."""
    target = logging.getLogger(logger_name)
    if not any(isinstance(f, _QuietSimulatedResets) for f in target.filters):
        target.addFilter(_QuietSimulatedResets())


@contextmanager
def serve_on_loopback(
    app: Any, *, start_timeout: float = 10.0, lifespan: Literal["auto", "on", "off"] = "off"
) -> Iterator[str]:
    """Serve an ASGI app on a free 127.0.0.1 port in a background thread; yield its base URL.

    Used by the tests and the benchmarks: the simulated API is reached over a real TCP socket,
    as Qovery would be. The server is stopped and joined on exit, whatever happened. Pass
    `lifespan="on"` to serve an app that needs its lifespan (our own MCP HTTP app).
    """
    import socket
    import time

    import uvicorn

    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it every answer (headers, then body) stalls 40 ms on Nagle and delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan=lifespan, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    quiet_simulated_resets()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the simulated Qovery API did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
