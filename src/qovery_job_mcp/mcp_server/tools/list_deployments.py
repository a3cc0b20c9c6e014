"""list-job-deployments: a job's last deployments, newest first, with their tag or commit and their end."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import Field

from qovery_job_mcp.mcp_server.tools._params import JobId
from qovery_job_mcp.mcp_server.tools._render import ToolDeps, ToolFunction, ToolSpec, run_tool
from qovery_job_mcp.operations.deploy import DEFAULT_DEPLOYMENT_LIMIT, MAX_DEPLOYMENT_LIMIT
from qovery_job_mcp.qovery.deployments import DeploymentList

NAME = "list-job-deployments"
DESCRIPTION = f"""List a Qovery job's last deployments, newest first (Qovery keeps the last 20): each with its
`status` (DEPLOYED, DEPLOYMENT_ERROR, …), `details` (the image tag or the commit), `identifier.execution_id` (for
get-job-logs), who triggered it and when. Returns `results` (at most `limit`, default {DEFAULT_DEPLOYMENT_LIMIT}),
`total` and `truncated`. Use it to find which deployment failed and what ran before it."""


def build(deps: ToolDeps) -> ToolFunction:
    async def list_job_deployments(
        job_id: JobId,
        ctx: Context[Any, Any],
        limit: Annotated[
            int,
            Field(
                description=f"How many deployments to return, 1 to {MAX_DEPLOYMENT_LIMIT}.",
                ge=1,
                le=MAX_DEPLOYMENT_LIMIT,
            ),
        ] = DEFAULT_DEPLOYMENT_LIMIT,
    ) -> Annotated[CallToolResult, DeploymentList] | InputRequiredResult:
        return await run_tool(
            deps,
            ctx,
            NAME,
            lambda cred, _: deps.deploy.list_deployments(job_id, limit=limit, credential=cred),
        )

    return list_job_deployments


SPEC = ToolSpec(NAME, DESCRIPTION, build)
