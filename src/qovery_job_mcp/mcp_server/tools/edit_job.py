"""edit-job: change some settings of a job without touching the others."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import Field

from qovery_job_mcp.mcp_server.tools._params import JobId
from qovery_job_mcp.mcp_server.tools._render import ToolDeps, ToolFunction, ToolSpec, run_tool
from qovery_job_mcp.qovery.models import EditResult

NAME = "edit-job"
DESCRIPTION = """Change a Qovery job's settings. `body` lists only what to change, as a JSON Merge Patch over the job's
current settings: omitted fields stay as they are, `null` removes a field, objects merge, arrays replace. Examples:
bump an image tag `{"source": {"image": {"tag": "1.9.0"}}}`; reschedule a cron job
`{"schedule": {"cronjob": {"scheduled_at": "0 3 * * *"}}}`; resources `{"cpu": 1000, "memory": 1024}` (cpu in
millicores, memory in MB); change the on_start command `{"schedule": {"on_start": {"arguments": ["-c", "make"]}}}`.
Editable fields: name, description, cpu, memory, gpu, ephemeral_storage_in_gib, max_nb_restart,
max_duration_seconds, auto_preview, port, cpu_architecture, healthchecks, auto_deploy, icon_uri, source, schedule,
annotations_groups, labels_groups ([{"id": …}]). A CRON job only takes schedule.cronjob, a LIFECYCLE job only
schedule.on_start/on_stop/on_delete. Use `dry_run: true` first to see the full request, the list of `changes` and the job's `version` without
sending anything (a CRON dry run also shows `next_runs`). When you apply a change you showed the user, pass that
dry run's `version` as `expected_version`: if someone changed the job in between, nothing is sent and you are told
what changed. Returns the updated job, `changes` (JSON Pointer paths with before/after), the new `version` and `undo`
(a patch that restores the old values: apply it with edit-job and the new version). The job must be redeployed for
changes to run. `replace: true` sends `body` as the complete job settings instead (rarely needed). Unknown
arguments and fields are refused, never dropped."""


def build(deps: ToolDeps) -> ToolFunction:
    async def edit_job(
        job_id: JobId,
        body: Annotated[
            dict[str, Any],
            Field(description="Fields to change (JSON Merge Patch over the current settings), not empty."),
        ],
        ctx: Context[Any, Any],
        dry_run: Annotated[
            bool, Field(description="Compute and return the request and changes, but send nothing.")
        ] = False,
        replace: Annotated[
            bool, Field(description="Treat body as the complete job settings (a full replace), not a patch.")
        ] = False,
        expected_version: Annotated[
            str | None,
            Field(
                description="The `version` from the dry run the user saw: if the job changed since, nothing is "
                "sent and the error lists what changed."
            ),
        ] = None,
    ) -> Annotated[CallToolResult, EditResult] | InputRequiredResult:
        return await run_tool(
            deps,
            ctx,
            NAME,
            lambda cred, confirmer: deps.operations.edit_job(
                job_id,
                body,
                dry_run=dry_run,
                replace=replace,
                expected_version=expected_version,
                credential=cred,
                confirmer=confirmer,
            ),
        )

    return edit_job


SPEC = ToolSpec(NAME, DESCRIPTION, build)
