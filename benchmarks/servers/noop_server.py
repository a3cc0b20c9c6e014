"""The SDK floor: a bare MCPServer with one tool that does nothing, served the way the SDK serves it.

Usage: python noop_server.py stdio | python noop_server.py http PORT [--stateless]

With NOOP_ANSWER=job the tool answers a demo Qovery job the way this server answers get-job-id (its
JSON as text and as structured content), still calling nothing: benchmarks/era_cost.py uses it to
tell the SDK's cost of a larger answer from this server's own.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, TextContent, ToolAnnotations

server: MCPServer = MCPServer("noop", version="0.0.0", log_level="WARNING")


JOB: dict[str, Any] | None = None
if os.environ.get("NOOP_ANSWER") == "job":
    from qovery_job_mcp.redaction import json_text
    from qovery_job_mcp.simulation.data import NIGHTLY_JOB_ID, demo_jobs

    JOB = demo_jobs()[NIGHTLY_JOB_ID]
    JOB_TEXT = json_text(JOB)  # the text exactly as this server's boundary writes it

    @server.tool(name="noop", title="No-op")
    async def noop_job(job_id: str) -> CallToolResult:
        """Return a job at once, calling nothing: what the SDK costs per call for an answer of this size."""
        return CallToolResult(content=[TextContent(type="text", text=JOB_TEXT)], structured_content=JOB)

else:

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
