"""Streamable HTTP hosting: the MCP endpoint on /mcp, a health probe on /healthz, served by uvicorn."""

from __future__ import annotations

from typing import Any

import uvicorn
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from qovery_job_mcp import __version__
from qovery_job_mcp.config import Settings

LOOPBACK_HOSTS = ("127.0.0.1:*", "localhost:*", "[::1]:*")
LOOPBACK_ORIGINS = tuple(
    f"{scheme}://{host}:*" for scheme in ("http", "https") for host in ("127.0.0.1", "localhost", "[::1]")
)


def build_http_app(server: MCPServer[Any], settings: Settings) -> Starlette:
    async def healthz(_: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "version": __version__,
                "transport": "http",
                "read_only": settings.read_only,
                "demo": settings.demo,
            }
        )

    server.custom_route("/healthz", methods=["GET"])(healthz)
    return server.streamable_http_app(
        streamable_http_path="/mcp",
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=list(LOOPBACK_HOSTS),
            allowed_origins=list(LOOPBACK_ORIGINS),
        ),
        host=settings.host,
    )


def serve_http(server: MCPServer[Any], settings: Settings) -> None:
    app = build_http_app(server, settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.effective_port,
        log_level=settings.log_level.lower(),
        access_log=settings.log_level == "DEBUG",
    )
