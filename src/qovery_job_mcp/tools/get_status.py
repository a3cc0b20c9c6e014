"""get-job-status: where a job's last deployment or run stands."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from qovery_job_mcp.jobs import JobStatus
from qovery_job_mcp.tools._boundary import ToolDeps, hints, run_tool
from qovery_job_mcp.tools._params import JobId

NAME = "get-job-status"
READ_ONLY = True
DESCRIPTION = """Get the current status of a Qovery job: `state` (e.g. DEPLOYED, DEPLOYMENT_ERROR, EXECUTING,
STOPPED), `service_deployment_status` (UP_TO_DATE, OUT_OF_DATE, NEVER_DEPLOYED), the last action and its result in
`status_details` (action DEPLOY/DELETE/RESTART/STOP, status SUCCESS/ERROR/ONGOING…), the last deployment date and
per-step durations in seconds. Use it to answer "did the job run / why did it fail / is it deployed"."""


def register(server: MCPServer[Any], deps: ToolDeps) -> None:
    async def get_job_status(job_id: JobId, ctx: Context[Any, Any]) -> Annotated[CallToolResult, JobStatus]:
        return await run_tool(
            deps, ctx, NAME, lambda cred: deps.operations.get_status(job_id, credential=cred)
        )

    server.add_tool(
        get_job_status,
        name=NAME,
        title="Get job status",
        description=DESCRIPTION,
        annotations=hints(read_only=True, destructive=False, title="Get job status"),
    )
