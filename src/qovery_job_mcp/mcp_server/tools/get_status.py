"""get-job-status: where a job's last deployment or run stands."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, InputRequiredResult

from qovery_job_mcp.mcp_server.tools._params import JobId
from qovery_job_mcp.mcp_server.tools._render import ToolDeps, ToolFunction, ToolSpec, run_tool
from qovery_job_mcp.qovery.models import JobStatus

NAME = "get-job-status"
DESCRIPTION = """Get the current status of a Qovery job: `state` (e.g. DEPLOYED, DEPLOYMENT_ERROR, EXECUTING,
STOPPED), `service_deployment_status` (UP_TO_DATE, OUT_OF_DATE, NEVER_DEPLOYED), the last action and its result in
`status_details` (action DEPLOY/DELETE/RESTART/STOP, status SUCCESS/ERROR/ONGOING…), the last deployment date and
per-step durations in seconds. Use it to answer "did the job run / why did it fail / is it deployed"."""


def build(deps: ToolDeps) -> ToolFunction:
    async def get_job_status(
        job_id: JobId, ctx: Context[Any, Any]
    ) -> Annotated[CallToolResult, JobStatus] | InputRequiredResult:
        return await run_tool(
            deps, ctx, NAME, lambda cred, _: deps.operations.get_status(job_id, credential=cred)
        )

    return get_job_status


SPEC = ToolSpec(NAME, DESCRIPTION, build)
