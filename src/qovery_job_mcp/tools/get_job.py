"""get-job-id: read one job's full settings."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from qovery_job_mcp.jobs import Job
from qovery_job_mcp.tools._boundary import ToolDeps, hints, run_tool
from qovery_job_mcp.tools._params import JobId

NAME = "get-job-id"
READ_ONLY = True
DESCRIPTION = """Get a Qovery job by its id: name, type (LIFECYCLE or CRON, in `job_type`), source (container
image and tag, or git repository, branch and deployed commit), schedule (cron expression and timezone, or the
on_start/on_stop/on_delete commands), resources (cpu in millicores, memory in MB), restart and duration limits.
Returns the job exactly as Qovery does. Use it before edit-job to see the current settings, or to answer
questions about how a job is configured."""


def register(server: MCPServer[Any], deps: ToolDeps) -> None:
    async def get_job_id(job_id: JobId, ctx: Context[Any, Any]) -> Annotated[CallToolResult, Job]:
        return await run_tool(deps, ctx, NAME, lambda cred: deps.operations.get_job(job_id, credential=cred))

    server.add_tool(
        get_job_id,
        name=NAME,
        title="Get job",
        description=DESCRIPTION,
        annotations=hints(read_only=True, destructive=False, title="Get job"),
    )
