"""Every RFC 9457 problem document this server's HTTP surfaces answer, their titles, and how they are sent.

REST errors, the access checks on `/mcp` and `/v1` and `/metrics`, the drain's 503, the SDK's own
plain-text refusals (rewritten), and refusals of the web layer itself all come from here, so a refusal
looks the same whichever path it was made on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.types import Message, Send

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:qovery-job-mcp:problem:"

#: Titles of the kinds the web layer itself refuses with; typed errors carry their own (qovery/errors.py).
WEB_TITLES: Mapping[str, str] = {
    "method-not-allowed": "Method not allowed",
    "payload-too-large": "Body too large",
    "unsupported-media-type": "Unsupported media type",
    "invalid-host": "Host not allowed",
    "invalid-origin": "Origin not allowed",
    "internal": "Internal error",
    "precondition-failed": "Precondition failed",
}


def title_for(kind: str, status: int) -> str:
    return WEB_TITLES.get(kind) or HTTPStatus(status).phrase


def problem_document(
    status: int, kind: str, detail: str, *, title: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": PROBLEM_TYPE_PREFIX + kind,
        "title": title or title_for(kind, status),
        "status": status,
        "detail": detail,
        **extra,
    }


def problem_bytes(status: int, kind: str, detail: str, *, title: str | None = None) -> bytes:
    """The document as bytes, for the pure-ASGI access layer that has no response classes."""
    return json.dumps(problem_document(status, kind, detail, title=title)).encode()


@dataclass(frozen=True)
class Refusal:
    """One refusal of the web layer: the problem document's members and the headers that go with it."""

    status: int
    kind: str
    title: str
    detail: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        return problem_bytes(self.status, self.kind, self.detail, title=self.title)


def host_refused(host: str | None) -> Refusal:
    return Refusal(
        421,
        "invalid-host",
        "Host not allowed",
        f"Host {host!r} is not served here (a protection against DNS rebinding). If this server is behind a "
        "reverse proxy or has a public name, its operator must add that name to QOVERY_MCP_ALLOWED_HOSTS.",
    )


def origin_refused(origin: str | None) -> Refusal:
    return Refusal(
        403,
        "invalid-origin",
        "Origin not allowed",
        f"Origin {origin!r} may not call this server. Its operator can allow it with QOVERY_MCP_ALLOWED_ORIGINS.",
    )


TOKEN_REFUSED = Refusal(
    401,
    "unauthorized",
    "Credentials required",
    "This server requires 'Authorization: Bearer <token>' with the token its operator set in "
    "QOVERY_MCP_AUTH_TOKEN; the token sent is missing or wrong.",
    {"WWW-Authenticate": 'Bearer realm="qovery-job-mcp"'},
)
CREDENTIAL_MISSING = Refusal(
    401,
    "unauthorized",
    "Credentials required",
    "This server holds no Qovery key: send your own Qovery credential on every request, as "
    "'Authorization: Token qov_...' (an API token from Organization settings > API tokens) or "
    "'Authorization: Bearer <jwt>' (a Qovery login token).",
    {"WWW-Authenticate": 'Token realm="Qovery", Bearer realm="Qovery"'},
)
METRICS_DISABLED = Refusal(
    403,
    "metrics-disabled",
    "Metrics not published",
    "This server is not bound to loopback and has no token to guard /metrics: its operator can set "
    "QOVERY_MCP_METRICS_TOKEN (or QOVERY_MCP_AUTH_TOKEN).",
)
METRICS_TOKEN_REFUSED = Refusal(
    401,
    "unauthorized",
    "Credentials required",
    "/metrics needs 'Authorization: Bearer <token>' with QOVERY_MCP_METRICS_TOKEN (or the server's "
    "QOVERY_MCP_AUTH_TOKEN); the token sent is missing or wrong.",
    {"WWW-Authenticate": 'Bearer realm="qovery-job-mcp metrics"'},
)


async def send_problem(
    send: Send, status: int, kind: str, title: str, detail: str, headers: Mapping[str, str] | None = None
) -> None:
    """Answer with an RFC 9457 problem document, without Starlette's Response machinery (no app needed)."""
    payload = problem_bytes(status, kind, detail, title=title)
    raw_headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(payload)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


async def send_refusal(send: Send, refusal: Refusal) -> None:
    await send_problem(send, refusal.status, refusal.kind, refusal.title, refusal.detail, refusal.headers)


#: Kinds for the plain-text refusals the SDK's app makes itself (a wrong Content-Type, an unknown
#: session, a body over its limit), and what the caller can do about them.
_PLAIN_ERRORS: Mapping[int, tuple[str, str]] = {
    400: ("bad-request", "Send JSON-RPC as a POST with Content-Type: application/json."),
    404: ("not-found", "Start a new session with an initialize request."),
    405: ("method-not-allowed", "Use POST for JSON-RPC (GET opens an event stream where sessions exist)."),
    406: ("not-acceptable", "Send Accept: application/json, text/event-stream."),
    413: ("payload-too-large", "Send a smaller request."),
    415: ("unsupported-media-type", "Send Content-Type: application/json."),
    503: (
        "too-many-sessions",
        "Retry after the Retry-After seconds (idle sessions are closed), and end sessions you no longer use "
        "(DELETE /mcp with their Mcp-Session-Id).",
    ),
}
#: The SDK's refusal past --max-sessions is a JSON-RPC error with no Retry-After: said as a problem, with one.
_SESSIONS_FULL_TEXT = "Too many MCP sessions are open on this server (QOVERY_MCP_MAX_SESSIONS)"
SESSIONS_FULL_RETRY_AFTER = "30"
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
            if b"json" not in content_type or (message["status"] == 503 and b"problem" not in content_type):
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
            if status == 503:
                text = _SESSIONS_FULL_TEXT
                kept.setdefault("Retry-After", SESSIONS_FULL_RETRY_AFTER)
            await send_problem(send, status, kind, title_for(kind, status), f"{text}. {hint}", kept)
            return
        await send(message)

    return wrapped
