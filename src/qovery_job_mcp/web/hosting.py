"""Streamable HTTP hosting: the MCP endpoint on /mcp behind the access checks, /healthz, graceful exit.

Layers, outermost first: drain (503 while shutting down) > access (Host/Origin, caller auth) >
the SDK's Starlette app (its own Host/Origin check with the same lists, the 4 MiB body limit,
sessions or stateless handling). `/healthz` stays outside the access checks: probes carry no
credentials and it makes no Qovery call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from qovery_job_mcp.config import Settings
from qovery_job_mcp.web.access import AccessMiddleware, AccessPolicy, credential_from_headers

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
    async def healthz(_: Request) -> Response:
        return JSONResponse(settings.health("http"))

    server.custom_route("/healthz", methods=["GET"])(healthz)
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        json_response=settings.json_response,
        stateless_http=settings.stateless,
        # Always armed, whatever the bind address: the SDK only arms it by itself on loopback.
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=list(settings.allowed_hosts),
            allowed_origins=list(settings.allowed_origins),
        ),
        host=settings.host,
    )
    return AccessMiddleware(app, AccessPolicy.for_settings(settings, (MCP_PATH,)))


def serve_http(server: MCPServer[Any], settings: Settings) -> None:
    from qovery_job_mcp.web.drain import serve_gracefully

    serve_gracefully(
        build_http_app(server, settings),
        host=settings.host,
        port=settings.effective_port,
        log_level=settings.log_level,
        grace=settings.shutdown_grace,
    )
