"""get-job-logs: the log lines of one execution of a job, newest last, bounded and redacted."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import Field

from qovery_job_mcp.mcp_server.tools._params import JobId
from qovery_job_mcp.mcp_server.tools._render import ToolDeps, ToolFunction, ToolSpec, run_tool
from qovery_job_mcp.operations.deploy import DEFAULT_LOG_LINES, MAX_LOG_LINES
from qovery_job_mcp.qovery.deployments import JobLogs

NAME = "get-job-logs"
DESCRIPTION = f"""Get the log lines of a Qovery job's execution (deployment and run), newest last, from its
environment's logs (Qovery keeps an environment's last 1000 lines). `execution_id` defaults to the latest
deployment's (list-job-deployments shows the others); `lines` (default {DEFAULT_LOG_LINES}) keeps the newest ones and
`omitted` counts the rest; `errors_only` keeps the error lines, which carry Qovery's `user_log_message` and
`hint_message`. A job never deployed, or an execution with no lines left, is an empty result with a sentence."""


def build(deps: ToolDeps) -> ToolFunction:
    async def get_job_logs(
        job_id: JobId,
        ctx: Context[Any, Any],
        execution_id: Annotated[
            str | None,
            Field(description="The execution to read (identifier.execution_id in list-job-deployments)."),
        ] = None,
        lines: Annotated[
            int,
            Field(description=f"How many lines at most, 1 to {MAX_LOG_LINES}.", ge=1, le=MAX_LOG_LINES),
        ] = DEFAULT_LOG_LINES,
        errors_only: Annotated[bool, Field(description="Keep only the error lines.")] = False,
    ) -> Annotated[CallToolResult, JobLogs] | InputRequiredResult:
        return await run_tool(
            deps,
            ctx,
            NAME,
            lambda cred, _: deps.deploy.get_logs(
                job_id, execution_id=execution_id, lines=lines, errors_only=errors_only, credential=cred
            ),
        )

    return get_job_logs


SPEC = ToolSpec(NAME, DESCRIPTION, build)
