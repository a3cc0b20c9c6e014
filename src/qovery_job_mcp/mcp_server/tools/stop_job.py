"""stop-job: stop what runs of a job, and optionally wait until it is stopped."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, InputRequiredResult

from qovery_job_mcp.mcp_server.tools._params import JobId, WaitSeconds
from qovery_job_mcp.mcp_server.tools._render import ToolDeps, ToolFunction, ToolSpec, run_tool
from qovery_job_mcp.qovery.deployments import StopResult

NAME = "stop-job"
DESCRIPTION = """Stop a Qovery job (a running execution or a deployment in progress). With `wait_seconds` the call
follows the status until STOPPED or STOP_ERROR; running out of time is not an error (`outcome: still-running`).
Stopping a job that is already stopped succeeds and does nothing. A 409 means another operation runs on the job."""


def build(deps: ToolDeps) -> ToolFunction:
    async def stop_job(
        job_id: JobId, ctx: Context[Any, Any], wait_seconds: WaitSeconds = 0
    ) -> Annotated[CallToolResult, StopResult] | InputRequiredResult:
        return await run_tool(
            deps,
            ctx,
            NAME,
            lambda cred, confirmer: deps.deploy.stop_job(
                job_id,
                wait_seconds=wait_seconds,
                progress=ctx.report_progress,
                credential=cred,
                confirmer=confirmer,
            ),
        )

    return stop_job


SPEC = ToolSpec(NAME, DESCRIPTION, build)
