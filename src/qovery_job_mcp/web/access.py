"""Who may reach an HTTP endpoint: a pure ASGI middleware, independent of the app it guards.

It protects a set of path prefixes (`/mcp` for the MCP endpoint, `/v1` for the REST adapter) and
leaves everything else (the `/healthz` probe) open. In order, for a protected path:

1. Host and Origin are checked against allow-lists (DNS-rebinding protection): 421 / 403.
2. The caller is authenticated, in one of two modes:
   - shared token: the server lends its own Qovery key, so callers must prove they may borrow it
     with `Authorization: Bearer <QOVERY_MCP_AUTH_TOKEN>` (credentials.bearer_matches);
   - per-request: the server holds no key, so each request must carry the caller's own Qovery
     credential (`Token qov_…` or `Bearer <jwt>`), which the app forwards upstream for that
     request only. Qovery itself judges it; here we only refuse requests that carry none.
   Refusals are 401 with `WWW-Authenticate` and a body that says what to send (problems.py).

It is pure ASGI (no BaseHTTPMiddleware) so long-lived SSE streams pass through untouched, and it
never reads the body, so a refusal costs nothing and cannot disturb other requests. The `/metrics`
guard is here too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qovery_job_mcp.web.credentials import bearer_matches, caller_credential
from qovery_job_mcp.web.problems import (
    CREDENTIAL_MISSING,
    METRICS_DISABLED,
    METRICS_TOKEN_REFUSED,
    PROBLEM_JSON,
    TOKEN_REFUSED,
    Refusal,
    host_refused,
    origin_refused,
    problems_for_plain_errors,
    send_refusal,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Receive, Scope, Send

    from qovery_job_mcp.config import Settings

logger = logging.getLogger(__name__)


def _host_allowed(host: str | None, allowed: Iterable[str]) -> bool:
    if not host:
        return False
    host = host.lower()
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern.endswith(":*"):
            base = pattern[:-2]
            port = host[len(base) + 1 :]
            # ASCII digits only: str.isdigit() takes '²' (a Host header is read as Latin-1).
            if host == base or (host.startswith(base + ":") and port.isascii() and port.isdigit()):
                return True
        elif host == pattern:
            return True
    return False


def _origin_allowed(origin: str | None, allowed: Iterable[str]) -> bool:
    # Non-browser clients send no Origin; a browser always does on cross-site requests.
    return origin is None or _host_allowed(origin, allowed)


@dataclass(frozen=True)
class AccessPolicy:
    """What the middleware enforces; built from Settings by `for_settings`."""

    protected_prefixes: tuple[str, ...] = ("/mcp",)
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    shared_token: str | None = field(default=None, repr=False)
    per_request: bool = False

    @classmethod
    def for_settings(cls, settings: Settings, protected_prefixes: Iterable[str]) -> AccessPolicy:
        per_request = settings.credentials_mode == "per-request"
        return cls(
            protected_prefixes=tuple(protected_prefixes),
            allowed_hosts=settings.allowed_hosts,
            allowed_origins=settings.allowed_origins,
            shared_token=None if per_request else settings.auth_token,
            per_request=per_request,
        )

    def protects(self, path: str) -> bool:
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.protected_prefixes)


class AccessMiddleware:
    """Refuse requests to protected paths from a wrong Host/Origin or without the right credentials."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        self.app = app
        self.policy = policy
        self._token = policy.shared_token.encode() if policy.shared_token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.policy.protects(scope["path"]):
            await self.app(scope, receive, send)
            return
        refusal = self._check(_headers(scope))
        if refusal is not None:
            logger.info("Refused %s %s: HTTP %d", scope["method"], scope["path"], refusal.status)
            await send_refusal(send, refusal)
            return
        await self.app(scope, receive, problems_for_plain_errors(send))

    def _check(self, headers: Mapping[str, str]) -> Refusal | None:
        policy = self.policy
        host = headers.get("host")
        if not _host_allowed(host, policy.allowed_hosts):
            return host_refused(host)
        origin = headers.get("origin")
        if not _origin_allowed(origin, policy.allowed_origins):
            return origin_refused(origin)
        authorization = headers.get("authorization", "")
        if self._token is not None:
            if not bearer_matches(authorization, self._token):
                return TOKEN_REFUSED
        elif policy.per_request and caller_credential(authorization) is None:
            return CREDENTIAL_MISSING
        return None


def _headers(scope: Scope) -> dict[str, str]:
    # A repeated Host, Origin or Authorization header is poisoned so the request is refused:
    # which copy a proxy or the app behind us would read is not certain.
    seen: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in seen and name in ("host", "origin", "authorization"):
            seen[name] = "\x00duplicate"
        else:
            seen[name] = value
    return seen


def metrics_endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """GET /metrics: on a loopback bind, open to an allowed Host only; elsewhere it needs a bearer token.

    On loopback the Host check is what keeps a DNS-rebinding page (a foreign name resolving to 127.0.0.1) from
    reading it; off loopback the token does (a scraper uses the pod's address, which no Host list names).

    The token is QOVERY_MCP_METRICS_TOKEN, or the auth token callers already use for /mcp. A
    server that has neither (per-request credentials, which only Qovery can check) refuses
    /metrics off loopback rather than publish it.
    """
    from starlette.responses import Response

    from qovery_job_mcp import metrics
    from qovery_job_mcp.config import is_loopback_host
    from qovery_job_mcp.store import metrics as store_metrics

    metrics.enable()
    store_metrics.enable(metrics.registry())
    token = settings.metrics_token or settings.auth_token
    open_here = is_loopback_host(settings.host)

    def refuse(refusal: Refusal) -> Response:
        return Response(
            refusal.body(), status_code=refusal.status, media_type=PROBLEM_JSON, headers=dict(refusal.headers)
        )

    async def serve_metrics(request: Request) -> Response:
        if open_here:
            host = _headers(request.scope).get("host")
            if not _host_allowed(host, settings.allowed_hosts):
                return refuse(host_refused(host))
        else:
            if token is None:
                return refuse(METRICS_DISABLED)
            if not bearer_matches(request.headers.get("authorization"), token.encode()):
                return refuse(METRICS_TOKEN_REFUSED)
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    return serve_metrics
