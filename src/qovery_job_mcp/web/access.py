"""Who may reach an HTTP endpoint: a pure ASGI middleware, independent of the app it guards.

It protects a set of path prefixes (`/mcp` for the MCP endpoint, `/v1` for the REST adapter) and
leaves everything else (the `/healthz` probe) open. In order, for a protected path:

1. Host and Origin are checked against allow-lists (DNS-rebinding protection): 421 / 403.
2. The caller is authenticated, in one of two modes:
   - shared token: the server lends its own Qovery key, so callers must prove they may borrow it
     with `Authorization: Bearer <QOVERY_MCP_AUTH_TOKEN>`, compared in constant time;
   - per-request: the server holds no key, so each request must carry the caller's own Qovery
     credential (`Token qov_…` or `Bearer <jwt>`), which the app forwards upstream for that
     request only. Qovery itself judges it; here we only refuse requests that carry none.
   Refusals are 401 with `WWW-Authenticate` and a body that says what to send.

It is pure ASGI (no BaseHTTPMiddleware) so long-lived SSE streams pass through untouched, and it
never reads the body, so a refusal costs nothing and cannot disturb other requests.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qovery_job_mcp.web.problems import PROBLEM_JSON, problem_bytes, title_for

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from qovery_job_mcp.config import Settings

logger = logging.getLogger(__name__)

#: Schemes Qovery accepts: `Token` for API tokens, `Bearer` for JWTs from an OIDC login.
QOVERY_SCHEMES = {"token": "Token", "bearer": "Bearer"}


def caller_credential(authorization: str | None) -> str | None:
    """The caller's Qovery credential, normalised to `<Scheme> <value>`, or None if unusable.

    The scheme is kept as sent: Qovery refuses an API token sent as Bearer, and a caller who
    sends one should hear that from Qovery rather than have us guess.
    """
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    canonical = QOVERY_SCHEMES.get(scheme.lower())
    value = value.strip()
    if canonical is None or not value or any(c.isspace() or not c.isprintable() for c in value):
        return None
    return f"{canonical} {value}"


def credential_from_headers(headers: Mapping[str, str] | None) -> str | None:
    """Read the caller's credential from one request's headers (MCP `ctx.headers`, REST request)."""
    if headers is None:
        return None
    return caller_credential(headers.get("authorization"))


def _host_allowed(host: str | None, allowed: Iterable[str]) -> bool:
    if not host:
        return False
    host = host.lower()
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern.endswith(":*"):
            base = pattern[:-2]
            if host == base or (host.startswith(base + ":") and host[len(base) + 1 :].isdigit()):
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


async def send_problem(
    send: Send, status: int, kind: str, title: str, detail: str, headers: Mapping[str, str] | None = None
) -> None:
    """Answer with an RFC 9457 problem document, without Starlette's Response machinery (no app needed)."""
    payload = problem_bytes(status, kind, detail, title=title)
    raw_headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(payload)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


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
        headers = _headers(scope)
        refusal = self._check(headers)
        if refusal is not None:
            status, body, extra = refusal
            logger.info("Refused %s %s: HTTP %d", scope["method"], scope["path"], status)
            await send_problem(send, status, body["kind"], body["title"], body["detail"], extra)
            return
        await self.app(scope, receive, problems_for_plain_errors(send))

    def _check(self, headers: Mapping[str, str]) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        policy = self.policy
        host = headers.get("host")
        if not _host_allowed(host, policy.allowed_hosts):
            return (
                421,
                {
                    "kind": "invalid-host",
                    "title": "Host not allowed",
                    "detail": f"Host {host!r} is not served here (a protection against DNS rebinding). If this server is behind a reverse proxy "
                    "or has a public name, its operator must add that name to QOVERY_MCP_ALLOWED_HOSTS.",
                },
                {},
            )
        origin = headers.get("origin")
        if not _origin_allowed(origin, policy.allowed_origins):
            return (
                403,
                {
                    "kind": "invalid-origin",
                    "title": "Origin not allowed",
                    "detail": f"Origin {origin!r} may not call this server. Its operator can allow it with "
                    "QOVERY_MCP_ALLOWED_ORIGINS.",
                },
                {},
            )
        authorization = headers.get("authorization", "")
        if self._token is not None:
            scheme, _, presented = authorization.partition(" ")
            good = scheme.lower() == "bearer" and hmac.compare_digest(
                presented.strip().encode("utf-8", "surrogateescape"), self._token
            )
            if not good:
                return (
                    401,
                    {
                        "kind": "unauthorized",
                        "title": "Credentials required",
                        "detail": "This server requires 'Authorization: Bearer <token>' with the token its "
                        "operator set in QOVERY_MCP_AUTH_TOKEN; the token sent is missing or wrong.",
                    },
                    {"WWW-Authenticate": 'Bearer realm="qovery-job-mcp"'},
                )
        elif policy.per_request and caller_credential(authorization) is None:
            return (
                401,
                {
                    "kind": "unauthorized",
                    "title": "Credentials required",
                    "detail": "This server holds no Qovery key: send your own Qovery credential on every "
                    "request, as 'Authorization: Token qov_...' (an API token from Organization settings > "
                    "API tokens) or 'Authorization: Bearer <jwt>' (a Qovery login token).",
                },
                {"WWW-Authenticate": 'Token realm="Qovery", Bearer realm="Qovery"'},
            )
        return None


#: Kinds for the plain-text refusals the SDK's app makes itself (a wrong Content-Type, an unknown
#: session, a body over its limit), and what the caller can do about them.
_PLAIN_ERRORS: Mapping[int, tuple[str, str]] = {
    400: ("bad-request", "Send JSON-RPC as a POST with Content-Type: application/json."),
    404: ("not-found", "Start a new session with an initialize request."),
    405: ("method-not-allowed", "Use POST for JSON-RPC (GET opens an event stream where sessions exist)."),
    406: ("not-acceptable", "Send Accept: application/json, text/event-stream."),
    413: ("payload-too-large", "Send a smaller request."),
    415: ("unsupported-media-type", "Send Content-Type: application/json."),
}
_KEPT_HEADERS = (b"allow", b"retry-after", b"mcp-session-id")


def problems_for_plain_errors(send: Send) -> Send:
    """Turn a non-JSON error answer from the app behind us into a problem document, like every refusal here.

    JSON answers (JSON-RPC errors, our own problems) and every success pass through untouched;
    only a plain-text error is held, then re-sent as problem+json with its text as the detail.
    """
    held: list[Message] = []
    parts: list[bytes] = []

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] >= 400:
            content_type = next(
                (v for k, v in message.get("headers", ()) if k.lower() == b"content-type"), b""
            )
            if b"json" not in content_type:
                held.append(message)
                return
        elif held and message["type"] == "http.response.body":
            parts.append(message.get("body", b""))
            if message.get("more_body"):
                return
            status = int(held[0]["status"])
            kind, hint = _PLAIN_ERRORS.get(status, ("http-error", "See the status."))
            text = b"".join(parts).decode("utf-8", "replace").strip().rstrip(".") or title_for(kind, status)
            kept = {
                k.decode("latin-1"): v.decode("latin-1")
                for k, v in held[0].get("headers", ())
                if k.lower() in _KEPT_HEADERS
            }
            await send_problem(send, status, kind, title_for(kind, status), f"{text}. {hint}", kept)
            return
        await send(message)

    return wrapped


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
    """GET /metrics: open on a loopback bind like /healthz; elsewhere it needs a bearer token.

    The token is QOVERY_MCP_METRICS_TOKEN, or the auth token callers already use for /mcp. A
    server that has neither (per-request credentials, which only Qovery can check) refuses
    /metrics off loopback rather than publish it.
    """
    from starlette.responses import Response

    from qovery_job_mcp import metrics
    from qovery_job_mcp.config import is_loopback_host
    from qovery_job_mcp.web.problems import problem_document

    metrics.enable()
    token = settings.metrics_token or settings.auth_token
    open_here = is_loopback_host(settings.host)

    def refuse(status: int, kind: str, title: str, detail: str) -> Response:
        body = json.dumps(problem_document(status, kind, detail, title=title))
        headers = {"WWW-Authenticate": 'Bearer realm="qovery-job-mcp metrics"'} if status == 401 else None
        return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)

    async def serve_metrics(request: Request) -> Response:
        if not open_here:
            if token is None:
                return refuse(
                    403,
                    "metrics-disabled",
                    "Metrics not published",
                    "This server is not bound to loopback and has no token to guard /metrics: its operator "
                    "can set QOVERY_MCP_METRICS_TOKEN (or QOVERY_MCP_AUTH_TOKEN).",
                )
            scheme, _, presented = request.headers.get("authorization", "").partition(" ")
            good = scheme.lower() == "bearer" and hmac.compare_digest(
                presented.strip().encode("utf-8", "surrogateescape"), token.encode()
            )
            if not good:
                return refuse(
                    401,
                    "unauthorized",
                    "Credentials required",
                    "/metrics needs 'Authorization: Bearer <token>' with QOVERY_MCP_METRICS_TOKEN (or the "
                    "server's QOVERY_MCP_AUTH_TOKEN); the token sent is missing or wrong.",
                )
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    return serve_metrics
