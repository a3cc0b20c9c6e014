"""deploy-job: deploy a job (a new image tag or commit, or the same again), and optionally wait for the end."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import Field

from qovery_job_mcp.mcp_server.tools._params import JobId, WaitSeconds
from qovery_job_mcp.mcp_server.tools._render import ToolDeps, ToolFunction, ToolSpec, run_tool
from qovery_job_mcp.qovery.deployments import DeployResult

NAME = "deploy-job"
DESCRIPTION = """Deploy a Qovery job: `image_tag` for a job that runs a container image, `git_commit_id` (a full
40-character SHA) for a job built from a git repository, or neither to redeploy what its settings name (after an
edit-job, this is what makes the change run). `force_event` runs one of the job's events: CRON runs a cron job now;
a LIFECYCLE job has the START, STOP or DELETE events it defines. The job is read first and nothing is sent when an
argument does not fit it. With `wait_seconds` the call follows the status until a final state and returns `outcome`
succeeded, failed (with `log_tail`: the deployment's last lines, errors first, and Qovery's message and hint) or
still-running (not an error: get-job-status or list-job-deployments tell the end). Every result has `previous` (the
last successful deployment's tag or commit) and `rollback` (the exact deploy-job arguments that put it back). A 409
means another operation runs on the job: wait and retry. A deploy is never sent twice: when Qovery's answer is
lost, the result says what the status shows (`outcome: unknown`); check list-job-deployments before retrying."""


def build(deps: ToolDeps) -> ToolFunction:
    async def deploy_job(
        job_id: JobId,
        ctx: Context[Any, Any],
        image_tag: Annotated[
            str | None, Field(description="The image tag to deploy (a job that runs a container image).")
        ] = None,
        git_commit_id: Annotated[
            str | None,
            Field(
                description="The full 40-character commit SHA to deploy (a job built from a git repository)."
            ),
        ] = None,
        force_event: Annotated[
            Literal["START", "STOP", "DELETE", "CRON"] | None,
            Field(
                description="Qovery's forceEvent: CRON runs a cron job now; START/STOP/DELETE a lifecycle event."
            ),
        ] = None,
        wait_seconds: WaitSeconds = 0,
    ) -> Annotated[CallToolResult, DeployResult] | InputRequiredResult:
        return await run_tool(
            deps,
            ctx,
            NAME,
            lambda cred, confirmer: deps.deploy.deploy_job(
                job_id,
                image_tag=image_tag,
                git_commit_id=git_commit_id,
                force_event=force_event,
                wait_seconds=wait_seconds,
                progress=ctx.report_progress,
                credential=cred,
                confirmer=confirmer,
            ),
        )

    return deploy_job


SPEC = ToolSpec(NAME, DESCRIPTION, build)
