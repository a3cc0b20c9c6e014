"""list-last-job-commits: the recent commits of a git-sourced job's repository."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import Field

from qovery_job_mcp.mcp_server.tools._params import JobId
from qovery_job_mcp.mcp_server.tools._render import ToolDeps, ToolFunction, ToolSpec, run_tool
from qovery_job_mcp.operations import DEFAULT_COMMIT_LIMIT, MAX_COMMIT_LIMIT
from qovery_job_mcp.qovery.models import CommitList

NAME = "list-last-job-commits"
DESCRIPTION = f"""List the last commits of the git repository a Qovery job is built from (newest first): commit
SHA, date, author, message and tag. Returns `results` (at most `limit`, default {DEFAULT_COMMIT_LIMIT}), `total` (how
many Qovery returned; it keeps about the last 100) and `truncated`. Use it to see what changed before a failed run or
which commit to deploy. A job built from a container image has no repository: expect an empty list."""


def build(deps: ToolDeps) -> ToolFunction:
    async def list_last_job_commits(
        job_id: JobId,
        ctx: Context[Any, Any],
        start_id: Annotated[
            str | None, Field(description="Git commit SHA to start after (Qovery's startId).")
        ] = None,
        git_commit_id: Annotated[
            str | None, Field(description="Git commit SHA to look for (Qovery's gitCommitId).")
        ] = None,
        limit: Annotated[
            int,
            Field(
                description=f"How many commits to return, 1 to {MAX_COMMIT_LIMIT}.", ge=1, le=MAX_COMMIT_LIMIT
            ),
        ] = DEFAULT_COMMIT_LIMIT,
    ) -> Annotated[CallToolResult, CommitList] | InputRequiredResult:
        return await run_tool(
            deps,
            ctx,
            NAME,
            lambda cred, _: deps.operations.list_commits(
                job_id, start_id=start_id, git_commit_id=git_commit_id, limit=limit, credential=cred
            ),
        )

    return list_last_job_commits


SPEC = ToolSpec(NAME, DESCRIPTION, build)
