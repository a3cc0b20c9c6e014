"""Builds the MCP server: the tools, their shared Qovery client and the instructions for the model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from types import MappingProxyType
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, InputRequiredResult, Tool
from pydantic import ValidationError

from qovery_job_mcp import __version__
from qovery_job_mcp.boundary import audit_refused, secrets_in_play
from qovery_job_mcp.config import Settings, server_secrets
from qovery_job_mcp.mcp_server.guides import register_prompts, register_resources
from qovery_job_mcp.mcp_server.sealing import StateSealer
from qovery_job_mcp.mcp_server.single_use import UsedStates
from qovery_job_mcp.mcp_server.tools import ToolDeps, tools_for
from qovery_job_mcp.mcp_server.tools._render import CredentialResolver, no_caller_credential
from qovery_job_mcp.operations import JobOperations, check_arguments, refusals_for
from qovery_job_mcp.operations.deploy import Clock, DeployOperations, Sleep
from qovery_job_mcp.qovery.client import QoveryClient
from qovery_job_mcp.qovery.errors import InvalidInputError
from qovery_job_mcp.store.base import StateStore
from qovery_job_mcp.wiring import client_from_settings, job_locks, open_state_store

SERVER_NAME = "qovery-job-mcp"
INSTRUCTIONS = """Tools for Qovery jobs (cron and lifecycle containers deployed by Qovery to Kubernetes). Every tool
takes a job's UUID (`job_id`). To investigate a failed run, call get-job-status (state, last action and result, step
durations), then list-last-job-commits and get-job-id. To change a job, read it with get-job-id, call edit-job with
`dry_run: true` and only the fields to change, show the user the `changes`, then call edit-job again without dry_run
and with `expected_version` set to the dry run's `version`, so a change made meanwhile is not overwritten. Tell the
user that the result's `undo` restores the old values.
Confirm with the user before delete-job: it cannot be undone (when the client supports it, the server also asks
the user itself, naming the job; a decline is a normal result, not an error: do not retry it). cpu is in millicores (1000 = 1 vCPU), memory in MB."""


class JobServer(MCPServer[Any]):
    """MCPServer whose refusals are sentences (a tool it does not offer, arguments of the wrong type), and whose
    tools' input schemas are closed (`additionalProperties: false`).

    The closed schema states what `call_tool` enforces: an argument the schema does not name is refused, never
    silently dropped (a misspelt `dryRun` must not turn a preview into a change). Both go through the SDK's public
    `list_tools` / `call_tool`, not its tool manager.
    """

    refusals: Mapping[str, str] = MappingProxyType({})
    #: The process's state store (locks, used confirmations, request budget), for /healthz.
    store: StateStore | None = None
    _schemas: Mapping[str, dict[str, Any]] | None = None
    #: Who calls and which secrets are in play, for the audit line of a write refused before it runs.
    deps: ToolDeps | None = None

    def _audit_refused(
        self, name: str, arguments: Mapping[str, Any], context: Context[Any, Any] | None, reason: str
    ) -> None:
        """A write refused here (not offered, arguments refused) is still one audit line."""
        if self.deps is None:
            return
        try:
            credential = self.deps.resolve_credential(context)
        except Exception:  # no usable credential: the line still says what was refused
            credential = None
        audit_refused(
            name,
            reason,
            transport=self.deps.transport,
            credential=credential,
            secrets=secrets_in_play(self.deps.secrets, credential),
            job_id=arguments.get("job_id"),
        )

    def add_tool(self, *args: Any, **kwargs: Any) -> None:
        super().add_tool(*args, **kwargs)
        self._schemas = None

    async def list_tools(self) -> list[Tool]:
        return [
            tool.model_copy(update={"input_schema": {**tool.input_schema, "additionalProperties": False}})
            for tool in await super().list_tools()
        ]

    async def _input_schema(self, name: str) -> dict[str, Any] | None:
        if self._schemas is None:
            self._schemas = {tool.name: tool.input_schema for tool in await self.list_tools()}
        return self._schemas.get(name)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        reason = self.refusals.get(name)
        if reason is not None:
            self._audit_refused(name, arguments, context, "tool-refused")
            raise ToolError(reason)
        schema = await self._input_schema(name)
        if schema is not None:
            try:
                check_arguments(name, arguments, schema)
            except InvalidInputError as exc:
                self._audit_refused(name, arguments, context, InvalidInputError.kind)
                raise ToolError(f"Error executing tool {name}: {exc.message}") from None
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                self._audit_refused(name, arguments, context, InvalidInputError.kind)
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


def build_server(
    settings: Settings,
    *,
    client: QoveryClient | None = None,
    instructions: str = INSTRUCTIONS,
    resolve_credential: CredentialResolver = no_caller_credential,
    sealer: StateSealer | None = None,
    sleep: Sleep | None = None,
    clock: Clock | None = None,
    store: StateStore | None = None,
) -> JobServer:
    """The MCP server for these settings; the wiring passes the client (the demo's, a test's) and instructions.

    `sealer` seals confirmation state (tests pass one with a fake clock); by default it is keyed
    by QOVERY_MCP_STATE_KEY, or by a fresh key for this process when that is unset. `sleep` and `clock` time the
    deploy toolset's waits (tests pass fake ones). `store` is the process's state store (cli.py opens it once; by
    default one is opened from the settings): the job locks, the single-use record of confirmations, and the
    client's request budget when the client is built here. The server closes both at shutdown.
    """
    store = store or open_state_store(settings)
    client = client or client_from_settings(settings, store=store)
    if sealer is None:
        sealer = StateSealer(settings.state_key.encode() if settings.state_key else None)
    state_store = store

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            await client.aclose()
            await state_store.close()

    names = settings.offered_tools
    operations = JobOperations(client, confirm=settings.confirm, locks=job_locks(settings, store))
    deploy = None
    if "deploy" in settings.toolsets:
        deploy = DeployOperations(
            client,
            confirm=settings.confirm,
            locks=operations.locks,
            secrets=server_secrets(settings),
            **_timing(sleep=sleep, clock=clock),
        )
    deps = ToolDeps(
        operations=operations,
        resolve_credential=resolve_credential,
        secrets=server_secrets(settings),
        transport=settings.transport,
        deploy_operations=deploy,
        used_states=UsedStates(store, sealer.lifetime),
    )
    server = JobServer(
        SERVER_NAME,
        title="Qovery jobs",
        version=__version__,
        instructions=instructions,
        website_url="https://github.com/qovery-job-mcp/qovery-job-mcp",
        lifespan=lifespan,
        log_level=settings.log_level,
        request_state_security=sealer.request_state_security(),
        tools=tools_for(deps, names),
    )
    server.store = store
    server.refusals = refusals_for(names, read_only=settings.read_only, toolsets=settings.toolsets)
    server.deps = deps
    register_resources(server, deps, names)
    register_prompts(server, names)
    return server


def _timing(*, sleep: Sleep | None, clock: Clock | None) -> dict[str, Any]:
    """The deploy waits' sleep and clock when given (tests), else DeployOperations' own (real time)."""
    return {name: value for name, value in (("sleep", sleep), ("clock", clock)) if value is not None}
