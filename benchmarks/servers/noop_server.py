"""The SDK floor: a bare MCPServer with one tool that does nothing, served the way the SDK serves it.

Usage: python noop_server.py stdio | python noop_server.py http PORT [--stateless]
"""

from __future__ import annotations

import sys

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations

server: MCPServer = MCPServer("noop", version="0.0.0", log_level="WARNING")


@server.tool(
    name="noop",
    title="No-op",
    annotations=ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True),
)
async def noop(job_id: str) -> str:
    """Return at once, calling nothing: what the SDK alone costs per call."""
    return "ok"


def main(argv: list[str]) -> None:
    if argv[0] == "stdio":
        server.run("stdio")
        return
    server.run(
        "streamable-http",
        host="127.0.0.1",
        port=int(argv[1]),
        stateless_http="--stateless" in argv,
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=["127.0.0.1:*"], allowed_origins=[]
        ),
    )


if __name__ == "__main__":
    main(sys.argv[1:])
