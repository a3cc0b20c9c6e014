"""Builds the MCP server: the tools, their shared Qovery client and the instructions for the model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import ValidationError

from qovery_job_mcp import __version__
from qovery_job_mcp.config import Settings
from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.qovery_client import QoveryClient
from qovery_job_mcp.tools import READ_ONLY_TOOLS, TOOL_NAMES, ToolDeps, register_tools, select_tools
from qovery_job_mcp.tools._boundary import CredentialResolver, no_caller_credential

if TYPE_CHECKING:
    import httpx

SERVER_NAME = "qovery-job-mcp"
INSTRUCTIONS = """Tools for Qovery jobs (cron and lifecycle containers deployed by Qovery to Kubernetes). Every tool
takes a job's UUID (`job_id`). To investigate a failed run, call get-job-status (state, last action and result, step
durations), then list-last-job-commits and get-job-id. To change a job, read it with get-job-id, call edit-job with
`dry_run: true` and only the fields to change, show the user the `changes`, then call edit-job again without dry_run.
Confirm with the user before delete-job: it cannot be undone. cpu is in millicores (1000 = 1 vCPU), memory in MB."""


def demo_instructions() -> str:
    from qovery_job_mcp.simulated_api import DEMO_JOBS

    lines = "\n".join(f"- {job_id} {name}: {summary}" for job_id, name, summary in DEMO_JOBS)
    return (
        "DEMO MODE: this server talks to a simulated Qovery API held in memory, not to Qovery; edits and deletes "
        f"change only the simulation and are lost at exit. Demo jobs:\n{lines}\n\n{INSTRUCTIONS}"
    )


def build_client(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> QoveryClient:
    credential = settings.api_key
    if settings.demo and transport is None:
        from qovery_job_mcp.demo import demo_transport

        transport = demo_transport()
        credential = credential or demo_api_key()
    return QoveryClient(
        settings.api_url,
        credential=credential,
        timeout=settings.timeout,
        connect_timeout=settings.connect_timeout,
        max_attempts=settings.max_attempts,
        deadline=settings.deadline,
        transport=transport,
    )


def demo_api_key() -> str:
    from qovery_job_mcp.simulated_api import DEMO_API_KEY

    return DEMO_API_KEY


class JobServer(MCPServer[Any]):
    """MCPServer whose refusals are sentences: a tool it does not offer, arguments of the wrong type."""

    refusals: Mapping[str, str] = MappingProxyType({})

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        reason = self.refusals.get(name)
        if reason is not None:
            raise ToolError(reason)
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(argument_error(name, exc.__cause__)) from None
            raise


def argument_error(tool: str, exc: ValidationError) -> str:
    """The SDK's argument check, said as a sentence: which argument, what was expected, what came."""
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        got = "nothing" if error["type"] == "missing" else type(error.get("input")).__name__
        problems.append(f"{where}: {error['msg'].rstrip('.')} (got {got})")
    more = f" and {exc.error_count() - 3} more" if exc.error_count() > 3 else ""
    return (
        f"Error executing tool {tool}: invalid arguments: {'; '.join(problems)}{more}. "
        "Nothing was sent to Qovery; fix the arguments as the tool's input schema describes and call again."
    )


def refusals_for(offered: tuple[str, ...], *, read_only: bool) -> Mapping[str, str]:
    """A sentence for each known tool this server does not offer, saying why and what to do."""
    offered_text = ", ".join(offered) or "none"
    refusals = {}
    for name in TOOL_NAMES:
        if name in offered:
            continue
        if read_only and name not in READ_ONLY_TOOLS:
            refusals[name] = (
                f"{name} is refused: this server runs in read-only mode (--read-only / QOVERY_MCP_READ_ONLY), "
                f"so it cannot change or delete jobs. Tools offered: {offered_text}. Ask its operator for a "
                "server without read-only mode to make this change."
            )
        else:
            refusals[name] = (
                f"{name} is turned off on this server (--tools / --exclude-tools). Tools offered: "
                f"{offered_text}."
            )
    return MappingProxyType(refusals)


def build_server(
    settings: Settings,
    *,
    client: QoveryClient | None = None,
    resolve_credential: CredentialResolver = no_caller_credential,
) -> MCPServer[Any]:
    """The MCP server for these settings; `client` may be given to share one (tests, benchmarks)."""
    client = client or build_client(settings)

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            await client.aclose()

    server = JobServer(
        SERVER_NAME,
        title="Qovery jobs",
        version=__version__,
        instructions=demo_instructions() if settings.demo else INSTRUCTIONS,
        website_url="https://github.com/qovery-job-mcp/qovery-job-mcp",
        lifespan=lifespan,
        log_level=settings.log_level,  # type: ignore[arg-type]
    )
    names = select_tools(read_only=settings.read_only, include=settings.tools, exclude=settings.exclude_tools)
    server.refusals = refusals_for(names, read_only=settings.read_only)
    deps = ToolDeps(
        operations=JobOperations(client),
        resolve_credential=resolve_credential,
        secrets=tuple(s for s in (settings.api_key,) if s),
    )
    register_tools(server, deps, names)
    return server
