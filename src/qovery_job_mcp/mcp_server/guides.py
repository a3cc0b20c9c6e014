"""MCP-native help: resource templates for a job's settings, status and commits, and two prompts.

diagnose-job reads the deployments and the failed deployment's logs when the deploy toolset is on.

Resources are reads: they run the same operations as the read tools, through the same boundary
(validation, credentials, redaction, sentences), and are offered when their tool is. The prompts
give a client a worked procedure: diagnosing a failed job, and changing one safely (dry run,
show the changes, apply with `expected_version`, mention `undo`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError

from qovery_job_mcp.boundary import run_operation, secrets_in_play
from qovery_job_mcp.mcp_server.tools._render import ToolDeps
from qovery_job_mcp.operations import DEFAULT_COMMIT_LIMIT, validate_job_id

JSON_MIME = "application/json"
#: (URI template, name, the operation it reads, description)
RESOURCES: tuple[tuple[str, str, str, str], ...] = (
    ("qovery://jobs/{job_id}", "job", "get-job-id", "A job's settings, as Qovery returns them."),
    ("qovery://jobs/{job_id}/status", "job-status", "get-job-status", "A job's deployment and run status."),
    (
        "qovery://jobs/{job_id}/commits",
        "job-commits",
        "list-last-job-commits",
        f"The last {DEFAULT_COMMIT_LIMIT} commits of a git-sourced job.",
    ),
)


def _reader(
    deps: ToolDeps, operation: str, read: Callable[[str, str | None], Awaitable[Any]]
) -> Callable[..., Awaitable[str]]:
    async def read_resource(job_id: str, ctx: Context[Any, Any]) -> str:
        credential = deps.resolve_credential(ctx)
        outcome = await run_operation(
            operation,
            lambda: read(job_id, credential),
            secrets=secrets_in_play(deps.secrets, credential),
            where="resource",
            transport=deps.transport,
            credential=credential,
        )
        if outcome.failure is not None:
            raise ResourceError(outcome.failure.sentence)
        return outcome.text or "null"

    return read_resource


def register_resources(server: MCPServer[Any], deps: ToolDeps, offered: Iterable[str]) -> None:
    ops = deps.operations
    reads: dict[str, Callable[[str, str | None], Awaitable[Any]]] = {
        "get-job-id": lambda job_id, cred: ops.get_job(job_id, credential=cred),
        "get-job-status": lambda job_id, cred: ops.get_status(job_id, credential=cred),
        "list-last-job-commits": lambda job_id, cred: ops.list_commits(job_id, credential=cred),
    }
    offered = set(offered)
    for uri, name, operation, description in RESOURCES:
        if operation in offered:
            server.resource(uri, name=name, description=description, mime_type=JSON_MIME)(
                _reader(deps, operation, reads[operation])
            )


def diagnose_job(job_id: str) -> str:
    """Find out why a job failed or is stuck: status first, then commits, then settings."""
    job_id = validate_job_id(job_id)
    return f"""Diagnose the Qovery job {job_id}.
1. Call get-job-status with job_id {job_id}: note the state, the last action and its result, and which step took
   long or failed.
2. Call list-last-job-commits with job_id {job_id}: did a recent commit coincide with the failure? (An image-sourced
   job has no commits; skip this step then.)
3. Call get-job-id with job_id {job_id}: check the schedule (cron expression and timezone, or lifecycle events),
   the image or git source, cpu/memory against maximum_cpu/maximum_memory, max_duration_seconds and max_nb_restart.
4. Say what most likely went wrong and what to change. Do not change anything yourself: if a change is needed,
   propose it and follow the change-job procedure once the user agrees."""


def diagnose_job_with_deployments(job_id: str) -> str:
    """Find out why a job failed or is stuck: status, the last deployments, the failed one's logs, then commits
    and settings."""
    job_id = validate_job_id(job_id)
    return f"""Diagnose the Qovery job {job_id}.
1. Call get-job-status with job_id {job_id}: note the state, the last action and its result, and which step took
   long or failed.
2. Call list-job-deployments with job_id {job_id}: which deployment failed, with which image tag or commit, and
   which one last succeeded (its tag or commit is the way back).
3. Call get-job-logs with job_id {job_id}, the failed deployment's `identifier.execution_id` and
   `errors_only: true` (then without it if the errors alone do not explain it): quote Qovery's `user_log_message`
   and `hint_message`.
4. Call list-last-job-commits with job_id {job_id}: did a recent commit coincide with the failure? (An
   image-sourced job has no commits; skip this step then.)
5. Call get-job-id with job_id {job_id}: check the schedule, the image or git source, cpu/memory,
   max_duration_seconds and max_nb_restart.
6. Say what most likely went wrong and what to change, or which deploy-job arguments roll back. Do not deploy or
   change anything yourself: propose it, and act once the user agrees."""


def change_job(job_id: str, change: str) -> str:
    """Change a job safely: preview, show, apply against the version shown, keep the undo."""
    job_id = validate_job_id(job_id)
    return f"""Change the Qovery job {job_id}: {change}
1. Call get-job-id with job_id {job_id} to see its current settings.
2. Call edit-job with job_id {job_id}, `dry_run: true` and a `body` holding only the fields to change (a JSON
   Merge Patch). Show the user the `changes` (and `next_runs` for a cron job).
3. Once the user agrees, call edit-job again with the same body, without dry_run, and with `expected_version` set
   to the dry run's `version`. If the job changed meanwhile, nothing is sent: show what changed and start over.
4. Tell the user the result's `undo` restores the old values (edit-job with body = undo and expected_version = the
   new version), and that the job runs the new settings after its next deployment."""


def register_prompts(server: MCPServer[Any], offered: Iterable[str]) -> None:
    """diagnose-job always (it only reads; with the deploy toolset's reads when they are offered); change-job only
    where edit-job is offered."""
    offered = set(offered)
    with_deployments = {"list-job-deployments", "get-job-logs"} <= offered
    server.prompt(name="diagnose-job", title="Diagnose a job")(
        diagnose_job_with_deployments if with_deployments else diagnose_job
    )
    if "edit-job" in offered:
        server.prompt(name="change-job", title="Change a job safely")(change_job)
