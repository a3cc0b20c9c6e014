"""Chaos for the simulated Qovery API: seeded, per-route faults of every kind a real network shows.

A `ChaosPolicy` decides, for each request a route receives, whether to answer it with a fault and
which one. The decision depends only on the seed, the route and how many requests that route has
seen, so a run can be replayed: the n-th request to `/job/{id}/status` always gets the same fault.
(Under concurrency *which call* is the n-th depends on arrival order; the sequence does not.)

Faults come in two families:

- *before* faults replace the answer without touching the simulated state (HTTP 429 with or
  without Retry-After, 500/502/503/504, an HTML error page, a stall until the client gives up);
- *after* faults mangle the real answer once it has been computed (a connection reset half way
  through the body, a truncated body, a slow trickle, a 200 with missing or extra fields or an
  unknown `job_type`), as when a change is applied but its answer is lost.

`TRANSIENT` are the faults a well-behaved client recovers from by retrying (or that are harmless);
`PERMANENT` are answers no retry fixes and that must become a clear error.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

RATE_LIMITED = "429"
RATE_LIMITED_SECONDS = "429-retry-after-seconds"
RATE_LIMITED_DATE = "429-retry-after-date"
SERVER_ERROR = "500"
BAD_GATEWAY = "502"
UNAVAILABLE = "503"
GATEWAY_TIMEOUT = "504"
HTML_PAGE = "html"
STALL = "stall"
RESET = "reset"
TRUNCATED = "truncated"
TRICKLE = "trickle"
MISSING_FIELDS = "missing-fields"
EXTRA_FIELDS = "extra-fields"
UNKNOWN_JOB_TYPE = "unknown-job-type"

BEFORE_FAULTS = frozenset(
    {
        RATE_LIMITED,
        RATE_LIMITED_SECONDS,
        RATE_LIMITED_DATE,
        SERVER_ERROR,
        BAD_GATEWAY,
        UNAVAILABLE,
        GATEWAY_TIMEOUT,
        HTML_PAGE,
        STALL,
    }
)
AFTER_FAULTS = frozenset({RESET, TRUNCATED, TRICKLE, MISSING_FIELDS, EXTRA_FIELDS, UNKNOWN_JOB_TYPE})
ALL_FAULTS = tuple(sorted(BEFORE_FAULTS | AFTER_FAULTS))
#: Recovered by a client that retries 429/502/503/504, resets and timeouts; trickle and extra
#: fields are not failures at all.
TRANSIENT = (
    RATE_LIMITED,
    RATE_LIMITED_SECONDS,
    RATE_LIMITED_DATE,
    BAD_GATEWAY,
    UNAVAILABLE,
    GATEWAY_TIMEOUT,
    STALL,
    RESET,
    TRICKLE,
    EXTRA_FIELDS,
)
#: No retry fixes these: 500 (not retried), not JSON, a cut body, a body in the wrong shape.
PERMANENT = (SERVER_ERROR, HTML_PAGE, TRUNCATED, MISSING_FIELDS, UNKNOWN_JOB_TYPE)
ROUTES = ("job", "commit", "status")
EXTRA_FIELD = "x_chaos_added_field"
UNKNOWN_JOB_TYPE_VALUE = "SERVERLESS"


class ChaosError(ValueError):
    """A chaos setting is wrong (bad rate, unknown fault kind or route)."""


@dataclass
class ChaosPolicy:
    """Which requests get which fault: `rate` of them, drawn from `kinds`, on `routes`.

    `retry_after_seconds` is what 429 answers ask for; `stall_seconds` caps how long a stalled
    answer waits for the client to give up; `trickle_seconds` is how long a trickled body takes.
    """

    rate: float = 0.1
    seed: int = 0
    kinds: tuple[str, ...] = TRANSIENT
    routes: tuple[str, ...] = ROUTES
    retry_after_seconds: int = 1
    stall_seconds: float = 30.0
    trickle_seconds: float = 0.2
    #: Stop after this many faults (None: never), e.g. 1 to fault only a route's first request.
    limit: int | None = None
    #: Only requests with these methods get faults (None: any), e.g. ("DELETE",) to lose a delete's answer.
    methods: tuple[str, ...] | None = None
    injected: Counter[str] = field(default_factory=Counter)
    _seen: Counter[str] = field(default_factory=Counter, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ChaosError(f"the fault rate must be between 0 and 1, got {self.rate!r}")
        unknown = sorted(set(self.kinds) - set(ALL_FAULTS))
        if unknown or not self.kinds:
            raise ChaosError(f"unknown fault kind(s) {unknown}; known: {', '.join(ALL_FAULTS)}")
        bad_routes = sorted(set(self.routes) - set(ROUTES))
        if bad_routes:
            raise ChaosError(f"unknown route(s) {bad_routes}; known: {', '.join(ROUTES)}")

    def pick(self, route: str, method: str | None = None) -> str | None:
        """The fault for the next request of `route`, or None to answer normally."""
        if self.methods is not None and method not in self.methods:
            return None
        with self._lock:
            self._seen[route] += 1
            index = self._seen[route]
        if route not in self.routes or self.rate <= 0:
            return None
        draw = random.Random(f"{self.seed}:{route}:{index}")
        if draw.random() >= self.rate:
            return None
        kind = draw.choice(self.kinds)
        with self._lock:
            if self.limit is not None and sum(self.injected.values()) >= self.limit:
                return None
            self.injected[kind] += 1
        return kind

    @property
    def total_injected(self) -> int:
        with self._lock:
            return sum(self.injected.values())


# ---------------------------------------------------------------------------------------------
# The answers
# ---------------------------------------------------------------------------------------------

_HTML = (
    "<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1></center>"
    "<hr><center>nginx</center></body></html>"
)
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"status": status, "detail": detail})
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def before_response(kind: str, policy: ChaosPolicy) -> Response:
    """The answer of a *before* fault: the request is not processed."""
    if kind == RATE_LIMITED:
        return _problem(429, "Too many requests")
    if kind == RATE_LIMITED_SECONDS:
        return _problem(429, "Too many requests", {"Retry-After": str(policy.retry_after_seconds)})
    if kind == RATE_LIMITED_DATE:
        when = datetime.now(timezone.utc) + timedelta(seconds=policy.retry_after_seconds + 1)
        return _problem(429, "Too many requests", {"Retry-After": format_datetime(when, usegmt=True)})
    if kind == HTML_PAGE:
        # An HTML page where JSON was promised, with a 200: a misconfigured proxy or captive portal.
        return Response(_HTML.format(status=200, reason="OK"), status_code=200, media_type="text/html")
    if kind == STALL:
        return StallResponse(policy.stall_seconds)
    status = int(kind)
    if status == 502:
        # Load balancers answer 502 with an HTML page, not Qovery's JSON.
        return Response(
            _HTML.format(status=502, reason=_REASONS[502]), status_code=502, media_type="text/html"
        )
    return _problem(status, _REASONS[status])


def after_response(kind: str, response: Response, policy: ChaosPolicy) -> Response:
    """Mangle the real answer `response` (already computed, state already changed)."""
    body = bytes(response.body) if hasattr(response, "body") else b""
    if kind == RESET:
        return ResetResponse(response.status_code, body)
    if not body:
        return response
    if kind == TRICKLE:
        return TrickleResponse(response.status_code, body, policy.trickle_seconds)
    if response.status_code != 200:
        return response
    if kind == TRUNCATED:
        cut = body[: max(1, len(body) // 2)]
        return Response(cut, status_code=200, media_type="application/json")
    try:
        payload = json.loads(body)
    except ValueError:
        return response
    if not isinstance(payload, dict):
        return response
    payload = reshape(kind, payload)
    return Response(json.dumps(payload), status_code=200, media_type="application/json")


def reshape(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A job, status or commit list in a shape Qovery never documented."""
    payload = dict(payload)
    if kind == EXTRA_FIELDS:
        payload[EXTRA_FIELD] = {"note": "a field this server does not know yet"}
    elif kind == UNKNOWN_JOB_TYPE:
        # Only jobs have a job_type; a status or commit list loses a required field instead.
        if "job_type" in payload:
            payload["job_type"] = UNKNOWN_JOB_TYPE_VALUE
        else:
            payload = reshape(MISSING_FIELDS, payload)
    elif kind == MISSING_FIELDS:
        results = payload.get("results")
        if isinstance(results, list) and results and isinstance(results[0], dict):
            # `{}` is a valid (empty) commit list; a commit without its SHA is not.
            payload["results"] = [{k: v for k, v in results[0].items() if k != "git_commit_id"}, *results[1:]]
        else:
            payload.pop(_required_key(payload), None)
    return payload


def _required_key(payload: dict[str, Any]) -> str:
    for key in ("results", "state", "name"):
        if key in payload:
            return key
    return next(iter(payload), "")


class StallResponse(Response):
    """Sends nothing until the client gives up (or `seconds` pass, then a 504)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(status_code=504)
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with anyio.move_on_after(self.seconds):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
        await _problem(504, "Gateway timeout")(scope, receive, send)


class ResetResponse(Response):
    """Starts the real answer, then drops the connection half way through the body."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status_code=status)
        self.full = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # An empty answer (DELETE's 204) is announced as one byte that never comes: still a reset.
        status = self.status_code if self.full else 200
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(max(len(self.full), 1)).encode()),
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": self.full[: len(self.full) // 2], "more_body": True}
        )
        # An OSError: the server closes the socket; an in-process transport sees the same error type.
        raise ConnectionResetError("simulated connection reset mid-response")


class TrickleResponse(Response):
    """The real answer, a few bytes at a time."""

    def __init__(self, status: int, body: bytes, seconds: float, chunks: int = 8) -> None:
        super().__init__(status_code=status)
        self.full = body
        self.seconds = seconds
        self.chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-length", str(len(self.full)).encode()), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        size = max(1, -(-len(self.full) // self.chunks))
        for piece in [self.full[i : i + size] for i in range(0, len(self.full), size)]:
            await anyio.sleep(self.seconds / self.chunks)
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
