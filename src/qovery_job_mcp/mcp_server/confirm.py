"""Writes that ask the user first, through the MCP client (the `--confirm` policy).

delete-job asks under every policy but `off`; a real edit asks under `writes` and `strict`. The
question names the job and says what happens; the answer is bound to the tool, the job id and
the job's `version` (and, for an edit, a hash of the planned request), so what the user confirmed
is what is applied. After a yes the job is read again under its edit lock and compared: if it
changed, nothing is sent and the result says so.

A client that cannot ask (no form elicitation) relies on its own approval of destructive tools,
except under `strict`, where the write is refused. REST never asks: it has no interactive client.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context

from qovery_job_mcp import audit
from qovery_job_mcp.boundary import Passthrough
from qovery_job_mcp.config import ConfirmPolicy
from qovery_job_mcp.confirmation import Answer, Confirmation, JobRef, Outcome, ask, compare, plan_hash
from qovery_job_mcp.operations import (
    JobOperations,
    check_edit_arguments,
    job_version,
    missing_job_result,
    validate_job_id,
)
from qovery_job_mcp.qovery.edit import EditPlan
from qovery_job_mcp.qovery.errors import (
    ConfirmationRequiredError,
    InvalidInputError,
    JobNotFoundError,
    quote_input,
)
from qovery_job_mcp.qovery.models import DeleteResult, EditResult

DELETE_CONSEQUENCE = (
    "Deletion cannot be undone: Qovery removes the job, its history and its Kubernetes resources."
)
EDIT_CONSEQUENCE = "Qovery applies the new settings at the job's next deployment."


def asks_before(policy: ConfirmPolicy, tool: str) -> bool:
    if policy == "off":
        return False
    return tool == "delete-job" or policy in ("writes", "strict")


def _job_ref(job: dict[str, Any]) -> JobRef:
    return JobRef(id=str(job["id"]), name=str(job.get("name")), type=str(job.get("job_type")))


def _change_lines(plan: EditPlan) -> list[str]:
    return [
        f"{change['path']}: {quote_input(change['before'])} -> {quote_input(change['after'])}"
        for change in plan["changes"]
    ]


def _settle(answer: Answer, policy: ConfirmPolicy, what: str) -> Answer | Passthrough | None:
    """None to go ahead; an Answer that stops the write; a Passthrough to hand the client its question."""
    if answer.outcome is Outcome.PENDING:
        return Passthrough(answer.input_required)
    if answer.outcome is Outcome.UNSUPPORTED:
        if policy == "strict":
            audit.note(confirmed="not-asked")
            raise ConfirmationRequiredError(
                f"{answer.message} This server's policy (QOVERY_MCP_CONFIRM=strict) requires the user's "
                f"confirmation to {what}, so nothing was sent to Qovery. Use a client that supports form "
                "elicitation, or ask the server's operator for another policy."
            )
        audit.note(confirmed="not-asked")
        return None
    if answer.confirmed:
        audit.note(confirmed="yes")
        return None
    # The user said yes to a job that has changed since: a yes, refused all the same.
    said = "yes" if answer.outcome is Outcome.JOB_CHANGED else "no"
    audit.note(confirmed=said, outcome="refused", reason=answer.reason)
    return answer


async def delete_confirmed(
    operations: JobOperations,
    ctx: Context[Any, Any],
    policy: ConfirmPolicy,
    job_id: Any,
    *,
    skip_reconcile: bool,
    credential: str | None,
) -> DeleteResult | Passthrough:
    job_id = validate_job_id(job_id)
    audit.note(job_id=job_id)
    if not isinstance(skip_reconcile, bool):
        raise InvalidInputError(f"skip_reconcile must be true or false, got {quote_input(skip_reconcile)}.")
    try:
        job = await operations.get_job(job_id, credential=credential)
    except JobNotFoundError:
        return missing_job_result(job_id)
    audit.note(job_name=job.get("name"))
    question = Confirmation(
        tool="delete-job",
        job=_job_ref(job),
        action="delete",
        consequence=DELETE_CONSEQUENCE,
        binding={"version": job_version(job)},
    )
    answer = await ask(ctx, question)
    stop = _settle(answer, policy, "delete a job")
    if isinstance(stop, Passthrough):
        return stop
    if stop is not None:
        return _delete_declined(job, stop.message)
    if answer.confirmed:  # time passed while the user thought: is it still the job they were shown?
        try:
            now = await operations.get_job(job_id, credential=credential)
        except JobNotFoundError:
            return missing_job_result(job_id)
        changed = compare(question, question.binding, {"version": job_version(now)})
        if not changed.confirmed:
            audit.note(outcome="refused", reason=changed.reason)
            return _delete_declined(now, changed.message)
        job = now
    return await operations.delete_read_job(job, skip_reconcile=skip_reconcile, credential=credential)


def _delete_declined(job: dict[str, Any], message: str) -> DeleteResult:
    return {
        "job_id": str(job["id"]),
        "deleted": False,
        "message": message,
        "name": str(job.get("name")),
        "job_type": str(job.get("job_type")),
    }


async def edit_confirmed(
    operations: JobOperations,
    ctx: Context[Any, Any],
    policy: ConfirmPolicy,
    job_id: Any,
    body: Any,
    *,
    replace: bool,
    expected_version: Any,
    credential: str | None,
) -> EditResult | Passthrough:
    """A real edit under `writes`/`strict`: plan, ask with the changes, then re-plan under the lock and apply."""
    job_id = validate_job_id(job_id)
    audit.note(job_id=job_id)
    check_edit_arguments(body, dry_run=False, replace=replace, expected_version=expected_version)
    job, plan = await operations.plan(
        job_id, body, replace=replace, expected_version=expected_version, credential=credential
    )
    if not plan["changes"]:
        return await operations.apply(job, plan, credential=credential)  # sends nothing, says so
    question = Confirmation(
        tool="edit-job",
        job=_job_ref(job),
        action="edit",
        consequence=EDIT_CONSEQUENCE,
        changes=_change_lines(plan),
        binding={"version": job_version(job), "plan": plan_hash(plan["request"])},
    )
    answer = await ask(ctx, question)
    stop = _settle(answer, policy, "edit a job")
    if isinstance(stop, Passthrough):
        return stop
    if stop is not None:
        return _edit_declined(plan, stop.message)
    if not answer.confirmed:  # not asked (the client cannot): as without confirmation
        async with operations.edit_lock(job_id):
            job, plan = await operations.plan(
                job_id, body, replace=replace, expected_version=expected_version, credential=credential
            )
            return await operations.apply(job, plan, credential=credential)
    async with operations.edit_lock(job_id):
        job, plan = await operations.plan(
            job_id, body, replace=replace, expected_version=expected_version, credential=credential
        )
        now = {"version": job_version(job), "plan": plan_hash(plan["request"])}
        changed = compare(question, question.binding, now)
        if not changed.confirmed:
            audit.note(outcome="refused", reason=changed.reason)
            return _edit_declined(plan, changed.message)
        return await operations.apply(job, plan, credential=credential)


def _edit_declined(plan: EditPlan, message: str) -> EditResult:
    return {
        "dry_run": False,
        "applied": False,
        "changes": plan["changes"],
        "version": plan["version"],
        "request": plan["request"],
        "message": message,
    }
