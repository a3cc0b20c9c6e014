"""The two writes, edit-job and delete-job, as `WriteSteps` for the one write flow (write_flow.py).

Each says how to read and plan, what to ask, what a yes is bound to, how to send, and what a stopped write
returns; the order, the confirmation and the lock are the flow's. A new write (deploy, stop) is one more class
here and one `run_write` call in `JobOperations`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from qovery_job_mcp.audit import note as audit_note
from qovery_job_mcp.operations.confirming import JobRef, Question, plan_hash
from qovery_job_mcp.operations.write_flow import Look
from qovery_job_mcp.qovery.edit import EditPlan, diff, job_to_request, version_of
from qovery_job_mcp.qovery.errors import JobNotFoundError, VersionMismatchError, quote_input
from qovery_job_mcp.qovery.models import DeleteResult, EditResult
from qovery_job_mcp.qovery.request_checks import DELETE_ADVICE, non_finite_paths, refuse_non_finite

DELETE_CONSEQUENCE = (
    "Deletion cannot be undone: Qovery removes the job, its history and its Kubernetes resources."
)
EDIT_CONSEQUENCE = "Qovery applies the new settings at the job's next deployment."
DESTRUCTIVE_CONSEQUENCE = "Qovery keeps no copy of what it drops; only this call's `undo` brings it back."


def _holds_null(body: Any) -> bool:
    """A null anywhere in an edit's body: it may remove a whole section (decided on the plan)."""
    if body is None:
        return True
    if isinstance(body, dict):
        return any(_holds_null(value) for value in body.values())
    return False


def removed_sections(changes: Any) -> list[str]:
    """The paths of the whole sections (a non-empty object or list) an edit's changes remove."""
    return [
        str(change["path"])
        for change in changes
        if change["after"] is None and isinstance(change["before"], (dict, list)) and change["before"]
    ]


def job_version(job: Mapping[str, Any]) -> str:
    """The version of a job as read (what an edit's `expected_version` or REST's If-Match compares with)."""
    return version_of(job_to_request(job))


class JobCalls(Protocol):
    """The Qovery calls the writes are made of (`JobOperations` provides them)."""

    async def fetch_job(self, job_id: str, credential: str | None) -> dict[str, Any]: ...

    async def plan(
        self, job_id: str, body: Any, *, replace: bool, expected_version: str | None, credential: str | None
    ) -> tuple[dict[str, Any], EditPlan]: ...

    async def apply(
        self, job_id: str, job: dict[str, Any], plan: EditPlan, *, credential: str | None
    ) -> EditResult: ...

    def edited(
        self,
        job_id: str,
        plan: EditPlan,
        updated: dict[str, Any],
        *,
        credential: str | None,
        answer_lost: bool,
    ) -> EditResult: ...

    async def delete_read_job(
        self, job_id: str, job: dict[str, Any], *, skip_reconcile: bool = False, credential: str | None = None
    ) -> DeleteResult: ...


def deleted_result(job_id: str, job: Mapping[str, Any], *, answer_lost: bool = False) -> DeleteResult:
    """delete-job's answer for a job that is deleted; `settings` hold what would recreate it."""
    name = str(job.get("name"))
    if answer_lost:
        message = (
            f"Job {name!r} is deleted: Qovery's answer to the DELETE was lost, and a fresh read finds the job gone. "
            "`settings` holds what would recreate it."
        )
    else:
        message = (
            f"Qovery accepted the deletion of {name!r}; its resources are torn down in the background. "
            "`settings` holds what would recreate it."
        )
    return {
        "job_id": job_id,
        "deleted": True,
        "message": message,
        "name": name,
        "job_type": str(job.get("job_type")),
        "settings": job_to_request(job) if job else {},
    }


def missing_job_result(job_id: str) -> DeleteResult:
    """delete-job's answer for a job that is not there: not an error (a retried delete lands here)."""
    audit_note(outcome="failed", status=404, reason="not-found")
    return {
        "job_id": job_id,
        "deleted": False,
        "message": f"No job with id {job_id} exists (already deleted, or not visible to these credentials); "
        "nothing was deleted.",
    }


class DeleteSteps:
    """delete-job: the plan is the job as read (None when there is none: a retried delete is not an error)."""

    tool = "delete-job"
    what = "delete a job"
    plan_is_sent = False
    may_destroy = True

    def __init__(
        self,
        operations: JobCalls,
        job_id: str,
        *,
        skip_reconcile: bool,
        credential: str | None,
        expected_version: str | None = None,
    ) -> None:
        self.operations = operations
        self.job_id = job_id
        self.skip_reconcile = skip_reconcile
        self.credential = credential
        self.expected_version = expected_version

    async def read(self) -> dict[str, Any] | None:
        try:
            job = await self.operations.fetch_job(self.job_id, self.credential)
        except JobNotFoundError:
            return None
        refuse_non_finite(job, DELETE_ADVICE)
        version = job_version(job)
        if self.expected_version is not None and self.expected_version != version:
            raise VersionMismatchError(self.expected_version, version, None)  # REST's If-Match: nothing sent
        return job

    def question(self, planned: dict[str, Any] | None) -> Question | None:
        if planned is None:
            return None
        return Question(
            tool=self.tool,
            job=JobRef.of(planned),
            action="delete",
            consequence=DELETE_CONSEQUENCE,
            binding=self.binding(planned) or {},
            destructive=True,
        )

    def binding(self, planned: dict[str, Any] | None) -> Mapping[str, str] | None:
        return None if planned is None else {"version": job_version(planned)}

    async def send(self, planned: dict[str, Any] | None) -> DeleteResult:
        if planned is None:
            return missing_job_result(self.job_id)
        return await self.operations.delete_read_job(
            self.job_id, planned, skip_reconcile=self.skip_reconcile, credential=self.credential
        )

    async def look_again(self, planned: dict[str, Any] | None) -> Look[DeleteResult]:
        """A job that is gone was deleted; one exactly as read may be deleted once more; else it may have landed."""
        try:
            fresh = await self.operations.fetch_job(self.job_id, self.credential)
        except JobNotFoundError:
            return Look(landed=deleted_result(self.job_id, planned or {}, answer_lost=True))
        before = job_version(planned) if planned is not None else None
        now = job_version(fresh)
        if now == before:
            return Look(unchanged=True)
        return Look(
            found=f"the job still there at version {now!r} (it was {before!r} when read): Qovery may be deleting "
            "it, or someone changed it"
        )

    def declined(self, planned: dict[str, Any] | None, message: str) -> DeleteResult:
        job = planned or {}
        return {
            "job_id": self.job_id,
            "deleted": False,
            "message": message,
            "name": str(job.get("name")),
            "job_type": str(job.get("job_type")),
        }


class EditSteps:
    """edit-job: the plan is the job as read and the edit planned on it (a stale expected_version stops it)."""

    tool = "edit-job"
    what = "edit a job"
    plan_is_sent = True

    def __init__(
        self,
        operations: JobCalls,
        job_id: str,
        body: Any,
        *,
        replace: bool,
        expected_version: str | None,
        credential: str | None,
    ) -> None:
        self.operations = operations
        self.job_id = job_id
        self.body = body
        self.replace = replace
        self.expected_version = expected_version
        self.credential = credential
        self.may_destroy = replace or _holds_null(body)

    async def read(self) -> tuple[dict[str, Any], EditPlan]:
        return await self.operations.plan(
            self.job_id,
            self.body,
            replace=self.replace,
            expected_version=self.expected_version,
            credential=self.credential,
        )

    def question(self, planned: tuple[dict[str, Any], EditPlan]) -> Question | None:
        job, plan = planned
        if not plan["changes"]:
            return None  # the edit changes nothing: nothing is sent, nothing to ask
        removed = removed_sections(plan["changes"])
        destructive = bool(removed) or self.replace
        consequence = EDIT_CONSEQUENCE
        if destructive:
            what = f"removes {', '.join(removed)}" if removed else "replaces all the job's settings"
            consequence = f"This edit {what}: {DESTRUCTIVE_CONSEQUENCE} {EDIT_CONSEQUENCE}"
        return Question(
            tool=self.tool,
            job=JobRef.of(job),
            action="replace the settings of" if self.replace else "edit",
            consequence=consequence,
            destructive=destructive,
            changes=[
                f"{change['path']}: {quote_input(change['before'])} -> {quote_input(change['after'])}"
                for change in plan["changes"]
            ],
            binding=self.binding(planned),
        )

    def binding(self, planned: tuple[dict[str, Any], EditPlan]) -> Mapping[str, str]:
        job, plan = planned
        return {"version": job_version(job), "plan": plan_hash(plan["request"])}

    async def send(self, planned: tuple[dict[str, Any], EditPlan]) -> EditResult:
        job, plan = planned
        return await self.operations.apply(self.job_id, job, plan, credential=self.credential)

    async def look_again(self, planned: tuple[dict[str, Any], EditPlan]) -> Look[EditResult]:
        """The job as planned: it landed. As read before: send once more. Otherwise: show how it differs."""
        _, plan = planned
        fresh = await self.operations.fetch_job(self.job_id, self.credential)
        now = job_to_request(fresh)
        version = version_of(now)
        odd = non_finite_paths(fresh)
        if odd:  # no result can carry this job: say what the read shows instead
            what = "the edit as planned" if version == version_of(plan["request"]) else f"version {version!r}"
            return Look(
                found=f"{what}, holding a number JSON cannot carry (NaN or Infinity) at {', '.join(odd[:5])}: fix "
                "it in the Qovery console"
            )
        if version == version_of(plan["request"]):
            landed = self.operations.edited(
                self.job_id, plan, fresh, credential=self.credential, answer_lost=True
            )
            return Look(landed=landed)
        if version == plan["version"]:
            return Look(unchanged=True)
        changes = diff(plan["request"], now)
        shown = "; ".join(
            f"{c['path']} is {quote_input(c['after'])} (planned {quote_input(c['before'])})"
            for c in changes[:5]
        )
        more = f" and {len(changes) - 5} more" if len(changes) > 5 else ""
        return Look(
            found=f"version {version!r}, neither the job as planned nor as it was before: {shown}{more}"
        )

    def declined(self, planned: tuple[dict[str, Any], EditPlan], message: str) -> EditResult:
        _, plan = planned
        return {
            "dry_run": False,
            "applied": False,
            "changes": plan["changes"],
            "version": plan["version"],
            "request": plan["request"],
            "message": message,
        }
