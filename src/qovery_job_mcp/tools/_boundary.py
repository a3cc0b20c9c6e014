"""The one place where the operations' outcomes become MCP tool results.

A JobError becomes a ToolError carrying its sentence (the SDK shows only ToolError text to the
model); anything else is logged and reported as an internal error, never the SDK's bare
"Error executing tool". Every text is scrubbed of the credentials in play before it leaves.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations

from qovery_job_mcp.errors import JobError
from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.redaction import redact, redact_value  # one implementation, shared with rest.py

logger = logging.getLogger("qovery_job_mcp.tools")

#: Finds the calling user's own Qovery credential for one request (per-request credential mode).
CredentialResolver = Callable[["Context[Any, Any] | None"], "str | None"]


def no_caller_credential(ctx: Context[Any, Any] | None) -> str | None:
    return None


@dataclass
class ToolDeps:
    """What every tool needs: the operations, how to find a caller's credential, what to scrub."""

    operations: JobOperations
    resolve_credential: CredentialResolver = no_caller_credential
    secrets: tuple[str, ...] = field(default=(), repr=False)


def hints(*, read_only: bool, destructive: bool, title: str) -> ToolAnnotations:
    return ToolAnnotations(
        title=title,
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=True,
        open_world_hint=True,
    )


async def run_tool(
    deps: ToolDeps,
    ctx: Context[Any, Any] | None,
    name: str,
    call: Callable[[str | None], Awaitable[dict[str, Any]]],
) -> CallToolResult:
    """Run one operation with the caller's credential and turn its outcome into a tool result."""
    credential = deps.resolve_credential(ctx)
    # The credential arrives as "<Scheme> <value>": scrub the bare value too.
    secrets = (*deps.secrets, credential, credential.partition(" ")[2] if credential else None)
    try:
        result = await call(credential)
    except JobError as exc:
        logger.info("%s refused: %s", name, redact(exc.message, secrets))
        raise ToolError(redact(exc.message, secrets)) from None
    except Exception as exc:
        logger.error("%s failed unexpectedly: %s", name, redact(repr(exc), secrets))
        raise ToolError(
            f"Internal error in {name} ({type(exc).__name__}); nothing more is known. "
            "It was logged on the server; retry, and report it if it persists."
        ) from None
    scrubbed = cast("dict[str, Any]", redact_value(result, secrets))
    text = json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=scrubbed)
