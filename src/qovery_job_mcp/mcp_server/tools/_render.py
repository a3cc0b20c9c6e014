"""What every tool shares: its declarative spec, its dependencies, and rendering an outcome.

The work of turning an operation's outcome into something safe to show happens once, in
qovery_job_mcp.boundary; here it only becomes MCP: a tool result carrying the JSON once as text
and once as structured content, or a ToolError carrying the boundary's sentence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations

from qovery_job_mcp.boundary import run_operation, secrets_in_play
from qovery_job_mcp.catalog import OperationSpec
from qovery_job_mcp.mcp_server.eliciting import McpConfirmer
from qovery_job_mcp.mcp_server.sessions import end_after_answer
from qovery_job_mcp.mcp_server.single_use import UsedStates
from qovery_job_mcp.operations import NEVER_ASKS, Confirmer, JobOperations
from qovery_job_mcp.operations.deploy import DeployOperations
from qovery_job_mcp.qovery.client import WAIT_REPORTER

#: Finds the calling user's own Qovery credential for one request (per-request credential mode).
CredentialResolver = Callable[["Context[Any, Any] | None"], "str | None"]
#: A tool function as the SDK registers it: its signature is the tool's input schema.
ToolFunction = Callable[..., Awaitable[CallToolResult | InputRequiredResult]]


def no_caller_credential(ctx: Context[Any, Any] | None) -> str | None:
    return None


@dataclass
class ToolDeps:
    """What every tool needs: the operations, how to find a caller's credential, what to scrub."""

    operations: JobOperations
    resolve_credential: CredentialResolver = no_caller_credential
    secrets: tuple[str, ...] = field(default=(), repr=False)
    #: The transport, for the audit line. (When writes ask first is the operations' policy.)
    transport: str = "stdio"
    #: The record of answered confirmation states (single-use), in the process's state store.
    used_states: UsedStates | None = None
    #: The deploy toolset's operations (None when the toolset is off: its tools are not registered then).
    deploy_operations: DeployOperations | None = None

    @property
    def deploy(self) -> DeployOperations:
        if self.deploy_operations is None:
            raise RuntimeError("a deploy tool was registered without the deploy toolset's operations")
        return self.deploy_operations


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its name, its description for the model, and how to build its function.

    Title and hints are not here: they come from the operation catalog (catalog.CATALOG).
    """

    name: str
    description: str
    build: Callable[[ToolDeps], ToolFunction]


def annotations_for(spec: OperationSpec) -> ToolAnnotations:
    return ToolAnnotations(
        title=spec.title,
        read_only_hint=spec.read_only,
        destructive_hint=spec.destructive,
        idempotent_hint=spec.idempotent,
        open_world_hint=True,
    )


async def run_tool(
    deps: ToolDeps,
    ctx: Context[Any, Any] | None,
    name: str,
    call: Callable[[str | None, Confirmer], Awaitable[Any]],
) -> CallToolResult | InputRequiredResult:
    """Run one operation with the caller's credential and a confirmer that asks through this call's client.

    A write may answer with its question instead of a result (2026-07-28): the client asks the user, then calls
    again with the answer.
    """
    credential = deps.resolve_credential(ctx)
    secrets = secrets_in_play(deps.secrets, credential)
    confirmer: Confirmer = McpConfirmer(ctx, secrets, deps.used_states) if ctx is not None else NEVER_ASKS
    reporting = WAIT_REPORTER.set(ctx.report_progress) if ctx is not None else None
    try:
        outcome = await run_operation(
            name,
            lambda: call(credential, confirmer),
            secrets=secrets,
            transport=deps.transport,
            credential=credential,
        )
    finally:
        if reporting is not None:
            WAIT_REPORTER.reset(reporting)
    if outcome.failure is not None:
        if credential is not None and outcome.failure.upstream_status == 401:
            end_after_answer(ctx)  # Qovery refused the caller's own credential: keep no session for it
        raise ToolError(outcome.failure.sentence)
    if isinstance(outcome.passthrough, InputRequiredResult):
        # The client asks the user, then calls again with the answer (McpConfirmer scrubbed the question).
        return outcome.passthrough
    return CallToolResult(
        content=[TextContent(type="text", text=outcome.text or "null")], structured_content=outcome.value
    )
