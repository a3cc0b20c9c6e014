"""Streamable HTTP hosting of the MCP server: /mcp behind the web layer's access checks, /healthz, /metrics.

Layers, outermost first: drain (503 while shutting down) > access (Host/Origin compared
case-insensitively, caller auth, and problem documents for the SDK's own plain-text refusals) >
the SDK's Starlette app (the 4 MiB body limit, sessions or stateless handling). The SDK's own
Host/Origin check is off: ours runs first on every /mcp request, and the SDK's compares case-
sensitively and answers in plain text, so `Host: LOCALHOST` would be refused there. `/healthz` stays outside the access checks: probes carry no
credentials and it makes no Qovery call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from qovery_job_mcp.config import Settings
from qovery_job_mcp.mcp_server.sessions import EndRefusedSessions
from qovery_job_mcp.web.access import AccessMiddleware, AccessPolicy, metrics_endpoint
from qovery_job_mcp.web.credentials import credential_from_headers
from qovery_job_mcp.web.health import health_document

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context
    from starlette.types import ASGIApp

MCP_PATH = "/mcp"


def caller_credential_from_context(ctx: Context[Any, Any] | None) -> str | None:
    """The per-request credential resolver: the `Authorization` of the HTTP request that carries this call.

    `ctx.headers` is the headers of the very POST that carried the tool call (stateful and
    stateless, both protocol eras), so a credential is used for its own request and nothing else.
    """
    return credential_from_headers(ctx.headers if ctx is not None else None)


def build_http_app(server: MCPServer[Any], settings: Settings) -> ASGIApp:
    store = getattr(server, "store", None)  # JobServer's state store: its state is part of /healthz

    async def healthz(_: Request) -> Response:
        return JSONResponse(await health_document(settings, "http", store))

    server.custom_route("/healthz", methods=["GET"])(healthz)
    server.custom_route("/metrics", methods=["GET"])(metrics_endpoint(settings))
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        json_response=settings.json_response,
        stateless_http=settings.stateless,
        # Off on purpose: AccessMiddleware checks Host and Origin first (see the module docstring).
        # Passed explicitly, since the SDK would arm its own check by itself on a loopback host.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        host=settings.host,
        max_sessions=settings.max_sessions,
    )
    return AccessMiddleware(EndRefusedSessions(app), AccessPolicy.for_settings(settings, (MCP_PATH,)))


def serve_http(server: MCPServer[Any], settings: Settings, **uvicorn_choices: Any) -> None:
    """Serve MCP on /mcp until SIGTERM; `uvicorn_choices` are drain.serve's `loop` and `http`."""
    from qovery_job_mcp.mcp_server.eliciting import dismiss_waiting_questions
    from qovery_job_mcp.web.drain import serve

    # A call waiting for a person's answer is dismissed at once on SIGTERM: the drain then ends within its grace.
    app = build_http_app(server, settings)
    serve(app, settings, path=MCP_PATH, on_drain=(dismiss_waiting_questions,), **uvicorn_choices)
