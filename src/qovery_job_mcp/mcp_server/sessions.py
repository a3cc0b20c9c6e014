"""Per-request credential mode: a session whose caller's credential Qovery refused is ended, not kept.

Without a server key, anyone who can reach /mcp can open a session with a made-up token (the token is only
checked by Qovery, at the first call). Two bounds keep that from filling the process: the SDK's session cap
(`--max-sessions`, a 503 problem with Retry-After past it, web/problems.py), and this: when a call's own
credential is refused by Qovery (HTTP 401), the session that carried it is ended right after the answer is sent,
so a caller that never made a valid call keeps no state. Its next request gets 404 (start a new session).

How a session ends is the SDK's own, public way: a DELETE with the session's id, sent in process once the
refused call's answer has gone out (ending it during the call would cut that answer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_HEADER = "mcp-session-id"

#: Sessions whose caller's credential Qovery refused, waiting for their request to finish (then ended).
_TO_END: set[str] = set()


def end_after_answer(ctx: Context[Any, Any] | None) -> None:
    """Mark the session that carried this call to be ended once its answer is sent (no-op without a session)."""
    headers = ctx.headers if ctx is not None else None
    session = headers.get(SESSION_HEADER) if headers else None
    if session:
        _TO_END.add(session)


def _session_of(scope: Scope) -> str | None:
    wanted = SESSION_HEADER.encode()
    return next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == wanted), None)


class EndRefusedSessions:
    """ASGI middleware in front of the SDK's app: after a request whose call was refused, end its session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ending = None
        try:
            await self.app(scope, receive, send)
        finally:
            if _TO_END:  # almost always empty: then no header is looked at
                ending = _session_of(scope)
                if ending in _TO_END:
                    _TO_END.discard(ending)  # never left behind, even when the request failed
                else:
                    ending = None
        if ending is not None:
            await self._delete(scope, ending)

    async def _delete(self, scope: Scope, session: str) -> None:
        kept = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"content-length", b"content-type")]
        deleting = {**scope, "method": "DELETE", "headers": kept}

        async def no_body() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def discard(message: Message) -> None:
            return None

        await self.app(deleting, no_body, discard)
