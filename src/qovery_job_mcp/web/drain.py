"""Graceful shutdown for the HTTP servers: on SIGTERM, finish what is running, refuse what is new.

A container platform sends SIGTERM before it replaces a replica. uvicorn on its own closes the
listening socket at once (new clients get "connection refused", not an answer) and then exits by
re-raising the signal (exit status 143, which platforms report as a crash). Here instead:

- the first SIGTERM (or Ctrl-C) starts a drain: every new request, `/healthz` included, gets 503
  with `Connection: close`, so load balancers take the replica out and clients retry elsewhere;
- requests in flight carry on until none is left or the grace period (10 s) is over;
- the listening socket stays open until no request (health checks aside) has been refused for
  `QUIET_SECONDS`: a load balancer that still routes here gets a 503 it can safely retry
  elsewhere, not a connection closed under a request it already sent (HAProxy answers that with
  a 502 it must not retry, since it cannot know whether the request ran);
- then uvicorn shuts down normally and the process exits 0. A second signal exits at once.

Long-lived SSE streams (`GET` with `Accept: text/event-stream`: MCP's standalone notification
stream) are not calls in flight and do not hold the drain open.
"""

from __future__ import annotations

import errno
import logging
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import uvicorn

from qovery_job_mcp import metrics
from qovery_job_mcp.web.problems import send_problem

if TYPE_CHECKING:
    from types import FrameType

    from starlette.types import ASGIApp, Receive, Scope, Send

    from qovery_job_mcp.config import Settings

LoopName = Literal["auto", "asyncio", "uvloop"]
HttpName = Literal["auto", "h11", "httptools"]

logger = logging.getLogger(__name__)

#: After the drain, how long idle or streaming connections get before uvicorn cancels them.
CLOSE_TIMEOUT = 1.0
#: How long the drain must refuse nothing before the socket closes. A balancer that checks
#: /healthz every 250 ms and needs two failures takes a replica out within about half a second;
#: while it still sends requests, each refusal starts this wait again.
QUIET_SECONDS = 0.5


@dataclass
class Drain:
    """Shared state between the middleware (counts calls) and the server (decides when to exit)."""

    draining: bool = False
    in_flight: int = 0
    #: When the drain started or last refused a request other than a health check (monotonic clock).
    last_refused: float = 0.0
    #: Called once when the drain starts: a surface ends what only waits (MCP: a question nobody answers).
    on_drain: Sequence[Callable[[], None]] = field(default_factory=tuple)


class DrainMiddleware:
    """Counts requests in flight and answers 503 once a drain has started."""

    def __init__(self, app: ASGIApp, drain: Drain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.drain.draining:
            if scope["path"] != "/healthz":
                self.drain.last_refused = time.monotonic()
            await send_problem(
                send,
                503,
                "draining",
                "Shutting down",
                "This server is shutting down and takes no new requests; retry on another replica or in a moment.",
                {"Connection": "close", "Retry-After": "1"},
            )
            return
        accept = dict(scope["headers"]).get(b"accept", b"")
        if scope["method"] == "GET" and b"text/event-stream" in accept:
            await self.app(scope, receive, send)
            return
        self.drain.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.drain.in_flight -= 1


class DrainingServer(uvicorn.Server):
    """uvicorn.Server whose first SIGTERM/SIGINT drains instead of stopping, and which exits 0."""

    def __init__(self, config: uvicorn.Config, drain: Drain, grace: float, ready: str | None = None) -> None:
        super().__init__(config)
        self.drain = drain
        self.grace = grace
        self.ready = ready
        self._drain_deadline = 0.0

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.ready:
            # stderr, like every other line of ours: the listening socket is bound, calls can come.
            print(self.ready, file=sys.stderr, flush=True)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.drain.draining:
            # A second signal: stop now. Not recorded in _captured_signals, so the exit stays clean,
            # and the lifespan task's cancellation (which Starlette reports as a traceback) is not news.
            self.should_exit = True
            self.force_exit = True
            _quiet_forced_exit(logging.getLogger("uvicorn.error"))
            return
        logger.warning(
            "Received %s: draining (%d call(s) in flight, up to %.0f s), new requests get 503.",
            signal.Signals(sig).name,
            self.drain.in_flight,
            self.grace,
        )
        self.drain.draining = True
        metrics.draining()
        for hook in self.drain.on_drain:
            try:
                hook()
            except Exception:  # a hook never stops the drain
                logger.exception("A drain hook failed")
        self.drain.last_refused = time.monotonic()
        self._drain_deadline = self.drain.last_refused + self.grace

    async def on_tick(self, counter: int) -> bool:
        if self.drain.draining and not self.should_exit:
            quiet = time.monotonic() - self.drain.last_refused >= min(QUIET_SECONDS, self.grace)
            if self.drain.in_flight == 0 and quiet:
                self.should_exit = True
            elif time.monotonic() >= self._drain_deadline:
                logger.warning(
                    "Grace period over: stopping with %d call(s) in flight%s.",
                    self.drain.in_flight,
                    ""
                    if quiet
                    else " while requests still arrive (is the balancer's health check on /healthz?)",
                )
                self.should_exit = True
        return await super().on_tick(counter)


class _CancelledOnForcedExit(logging.Filter):
    """Drops the traceback of the lifespan task cancelled by a second Ctrl-C or SIGTERM (no error: asked for)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        return not (text.startswith("Traceback") and text.rstrip().endswith("CancelledError"))


def _quiet_forced_exit(target: logging.Logger) -> None:
    if not any(isinstance(f, _CancelledOnForcedExit) for f in target.filters):
        target.addFilter(_CancelledOnForcedExit())


def listening_line(host: str, port: int, path: str) -> str:
    """The one line an HTTP surface prints once its socket is bound, with the real host and port."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"qovery-job-mcp: listening on http://{shown}:{port}{path}"


def serve(
    app: ASGIApp,
    settings: Settings,
    *,
    path: str,
    loop: LoopName = "auto",
    http: HttpName = "auto",
    on_drain: Sequence[Callable[[], None]] = (),
) -> None:
    """Serve an ASGI app with uvicorn and the drain above; returns after a clean shutdown.

    Both HTTP surfaces (MCP on /mcp, REST on /v1) start here, so they drain, log and announce
    themselves the same way. `loop` and `http` choose uvicorn's event loop and HTTP parser:
    "auto" takes uvloop and httptools when installed (the product's choice, README Performance);
    the benchmarks pass "asyncio" and "h11" to measure that choice.
    """
    drain = Drain(on_drain=tuple(on_drain))
    listening = _bind(settings.host, settings.effective_port)
    config = uvicorn.Config(
        DrainMiddleware(app, drain),
        host=settings.host,
        port=settings.effective_port,
        loop=loop,
        http=http,
        log_level=settings.log_level.lower(),
        access_log=settings.log_level == "DEBUG",
        timeout_graceful_shutdown=int(CLOSE_TIMEOUT),
        server_header=False,
    )
    DrainingServer(
        config, drain, settings.shutdown_grace, ready=listening_line(config.host, config.port, path)
    ).run(sockets=[listening])


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a port in use is one sentence (uvicorn logs it and exits 3).

    Raises ConfigError, which the command prints as its one line (exit status 2).
    """
    from qovery_job_mcp.config import ConfigError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly, as uvicorn does: asyncio sets TCP_NODELAY only on sockets whose proto
    # says TCP, and without it answers stall 40 ms on Nagle and delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
        sock.set_inheritable(True)
        return sock
    except OSError as exc:
        sock.close()
        reason = "it is already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise ConfigError(
            f"cannot listen on {listening_line(host, port, '').removeprefix('qovery-job-mcp: listening on ')}: "
            f"{reason}. Stop what holds it, or choose another port with --port / QOVERY_MCP_PORT."
        ) from exc
