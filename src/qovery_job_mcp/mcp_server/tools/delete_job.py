"""delete-job: remove a job and tear down its resources."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import Field

from qovery_job_mcp.mcp_server.tools._params import JobId
from qovery_job_mcp.mcp_server.tools._render import ToolDeps, ToolFunction, ToolSpec, run_tool
from qovery_job_mcp.qovery.models import DeleteResult

NAME = "delete-job"
DESCRIPTION = """Delete a Qovery job for good: its settings, history and Kubernetes resources. This cannot be
undone; confirm the job's name with get-job-id and with the user first. When the client supports it, the server
itself asks the user to confirm (naming the job) before anything is sent; a decline returns `deleted: false`. Qovery tears the job down in the background
after accepting. Returns `{job_id, deleted, message}`; deleting a job that does not exist (for instance a retried
delete) is not an error and returns `deleted: false`. Needs the admin role on the organization."""


def build(deps: ToolDeps) -> ToolFunction:
    async def delete_job(
        job_id: JobId,
        ctx: Context[Any, Any],
        skip_reconcile: Annotated[
            bool,
            Field(
                description="Skip Qovery's pre-destroy reconcile and tear down best-effort "
                "(only when a normal delete is stuck)."
            ),
        ] = False,
    ) -> Annotated[CallToolResult, DeleteResult] | InputRequiredResult:
        return await run_tool(
            deps,
            ctx,
            NAME,
            lambda cred, confirmer: deps.operations.delete_job(
                job_id, skip_reconcile=skip_reconcile, credential=cred, confirmer=confirmer
            ),
        )

    return delete_job


SPEC = ToolSpec(NAME, DESCRIPTION, build)
