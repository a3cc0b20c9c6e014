"""get-job-id: read one job's full settings."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, InputRequiredResult

from qovery_job_mcp.mcp_server.tools._params import JobId
from qovery_job_mcp.mcp_server.tools._render import ToolDeps, ToolFunction, ToolSpec, run_tool
from qovery_job_mcp.qovery.models import Job

NAME = "get-job-id"
DESCRIPTION = """Get a Qovery job by its id: name, type (LIFECYCLE or CRON, in `job_type`), source (container
image and tag, or git repository, branch and deployed commit), schedule (cron expression and timezone, or the
on_start/on_stop/on_delete commands), resources (cpu in millicores, memory in MB), restart and duration limits.
Returns the job exactly as Qovery does. Use it before edit-job to see the current settings, or to answer
questions about how a job is configured."""


def build(deps: ToolDeps) -> ToolFunction:
    async def get_job_id(
        job_id: JobId, ctx: Context[Any, Any]
    ) -> Annotated[CallToolResult, Job] | InputRequiredResult:
        return await run_tool(
            deps, ctx, NAME, lambda cred, _: deps.operations.get_job(job_id, credential=cred)
        )

    return get_job_id


SPEC = ToolSpec(NAME, DESCRIPTION, build)
