"""The five job operations: the Qovery calls and the shape of their answers.

The MCP tools and the REST adapter are thin shells around `JobOperations`; validation comes from
`validation`, so both surfaces send the same requests and say the same sentences.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from qovery_job_mcp.audit import caller_fingerprint
from qovery_job_mcp.audit import note as audit_note
from qovery_job_mcp.config import ConfirmPolicy
from qovery_job_mcp.operations.answers import answer_json
from qovery_job_mcp.operations.confirming import NEVER_ASKS, Confirmer, Passthrough
from qovery_job_mcp.operations.locks import InProcessJobLocks, JobLocks
from qovery_job_mcp.operations.validation import (
    check_edit_arguments,
    validate_commit_ref,
    validate_job_id,
    validate_limit,
)
from qovery_job_mcp.operations.write_flow import run_write
from qovery_job_mcp.operations.writes import DeleteSteps, EditSteps, deleted_result
from qovery_job_mcp.qovery.client import QoveryClient
from qovery_job_mcp.qovery.edit import EditPlan, diff, job_to_request, plan_edit, undo_patch, version_of
from qovery_job_mcp.qovery.errors import (
    AcceptedUnreadablyError,
    InvalidInputError,
    UnexpectedAnswerError,
    VersionMismatchError,
    quote_input,
)
from qovery_job_mcp.qovery.models import (
    CommitList,
    CommitsAnswer,
    DeleteResult,
    EditResult,
    Job,
    JobStatus,
    parse_answer,
    require_same_job,
)
from qovery_job_mcp.qovery.request_checks import non_finite_paths
from qovery_job_mcp.qovery.upstream_errors import not_found_error

#: What to say when the answer to a PUT cannot be read: the edit itself may well have been applied.
EDIT_MAY_HAVE_LANDED = (
    "Qovery may have applied the edit anyway: read the job with get-job-id before retrying."
)


#: How many versions' settings the server remembers, to say what changed since a stale expected_version.
REMEMBERED_VERSIONS = 256


class JobOperations:
    """One instance per process; `credential` on each call carries a caller's own Qovery credential.

    `confirm` is the `--confirm` policy: which writes ask through the caller's `Confirmer` first (REST builds its
    operations with `off`: it has nobody to ask). `locks` serializes the writes to one job (in-process by default).
    """

    def __init__(
        self, client: QoveryClient, *, confirm: ConfirmPolicy = "off", locks: JobLocks | None = None
    ) -> None:
        self.client = client
        self.confirm = confirm
        self.locks: JobLocks = locks or InProcessJobLocks()
        #: (job id, caller fingerprint, version) -> that version's settings: a caller naming a version only ever
        #: sees the settings of the job it edits, as it read them itself.
        self._versions: OrderedDict[tuple[str, str, str], dict[str, Any]] = OrderedDict()

    def _remember(self, job_id: str, credential: str | None, version: str, request: dict[str, Any]) -> None:
        """Keep a version's settings, for this job and this caller only (issue 19 #13)."""
        key = (job_id, caller_fingerprint(credential), version)
        self._versions[key] = request
        self._versions.move_to_end(key)
        while len(self._versions) > REMEMBERED_VERSIONS:
            self._versions.popitem(last=False)

    async def get_job(self, job_id: Any, *, credential: str | None = None) -> dict[str, Any]:
        job_id = validate_job_id(job_id)
        return await self.fetch_job(job_id, credential)

    async def fetch_job(self, job_id: str, credential: str | None) -> dict[str, Any]:
        """Read a job whose id is already validated (404: JobNotFoundError)."""
        response = await self.client.request("GET", f"/job/{job_id}", credential=credential)
        if response.status_code == 404:
            raise not_found_error(job_id)
        payload = answer_json(response, "job")
        parse_answer(Job, payload, "job")
        require_same_job(job_id, payload)
        return dict(payload)

    async def get_status(self, job_id: Any, *, credential: str | None = None) -> dict[str, Any]:
        job_id = validate_job_id(job_id)
        response = await self.client.request("GET", f"/job/{job_id}/status", credential=credential)
        if response.status_code == 404:
            raise not_found_error(job_id)
        payload = answer_json(response, "status")
        parse_answer(JobStatus, payload, "status")
        return dict(payload)

    async def list_commits(
        self,
        job_id: Any,
        *,
        start_id: Any = None,
        git_commit_id: Any = None,
        limit: Any = None,
        credential: str | None = None,
    ) -> CommitList:
        job_id = validate_job_id(job_id)
        params = {
            key: value
            for key, value in (
                ("startId", validate_commit_ref("start_id", start_id)),
                ("gitCommitId", validate_commit_ref("git_commit_id", git_commit_id)),
            )
            if value is not None
        }
        limit = validate_limit(limit)
        response = await self.client.request(
            "GET", f"/job/{job_id}/commit", params=params, credential=credential
        )
        if response.status_code == 404:
            raise not_found_error(job_id)
        payload = answer_json(response, "commit list")
        parse_answer(CommitsAnswer, payload, "commit list")
        commits = [commit for commit in payload.get("results") or [] if commit is not None]
        return {"results": commits[:limit], "total": len(commits), "truncated": len(commits) > limit}

    async def delete_job(
        self,
        job_id: Any,
        *,
        skip_reconcile: bool = False,
        credential: str | None = None,
        confirmer: Confirmer = NEVER_ASKS,
        expected_version: str | None = None,
    ) -> DeleteResult | Passthrough:
        """Read the job first, so the result names it and keeps the settings that would recreate it.

        The extra GET costs one round trip; in exchange a lost answer to the DELETE can be told
        apart from a job that never existed.
        """
        job_id = validate_job_id(job_id)
        audit_note(job_id=job_id)
        if not isinstance(skip_reconcile, bool):
            raise InvalidInputError(
                f"skip_reconcile must be true or false, got {quote_input(skip_reconcile)}."
            )
        steps = DeleteSteps(
            self,
            job_id,
            skip_reconcile=skip_reconcile,
            credential=credential,
            expected_version=expected_version,
        )
        return await run_write(steps, policy=self.confirm, confirmer=confirmer, locks=self.locks)

    async def delete_read_job(
        self, job_id: str, job: dict[str, Any], *, skip_reconcile: bool = False, credential: str | None = None
    ) -> DeleteResult:
        """The DELETE itself, for a job already read (under its lock, by the write flow), to the id the caller named."""
        audit_note(job_id=job_id, job_name=job.get("name"))
        params = {"skipReconcile": "true"} if skip_reconcile else None
        response = await self.client.request("DELETE", f"/job/{job_id}", params=params, credential=credential)
        if response.status_code == 404:
            audit_note(outcome="failed", status=404, reason="not-found")
            return {
                **deleted_result(job_id, job),
                "deleted": False,
                "message": f"Job {str(job.get('name'))!r} disappeared between the read and the delete (deleted by "
                "someone else); this call deleted nothing.",
            }
        return deleted_result(job_id, job)

    async def plan(
        self, job_id: str, body: Any, *, replace: bool, expected_version: str | None, credential: str | None
    ) -> tuple[dict[str, Any], EditPlan]:
        """Read the job and plan the edit; refuse it when the job changed since `expected_version`."""
        job = await self.fetch_job(job_id, credential)
        audit_note(job_name=job.get("name"))
        plan = plan_edit(job, body, replace=replace)
        audit_note(changes=[change["path"] for change in plan["changes"]])
        current = job_to_request(job)
        if expected_version is not None and expected_version != plan["version"]:
            seen = self._versions.get((job_id, caller_fingerprint(credential), expected_version))
            self._remember(job_id, credential, plan["version"], current)
            raise VersionMismatchError(
                expected_version, plan["version"], diff(seen, current) if seen else None
            )
        self._remember(job_id, credential, plan["version"], current)
        return job, plan

    async def edit_job(
        self,
        job_id: Any,
        body: Any,
        *,
        dry_run: bool = False,
        replace: bool = False,
        expected_version: Any = None,
        credential: str | None = None,
        confirmer: Confirmer = NEVER_ASKS,
    ) -> EditResult | Passthrough:
        job_id = validate_job_id(job_id)
        audit_note(job_id=job_id, dry_run=dry_run is True)
        check_edit_arguments(body, dry_run=dry_run, replace=replace, expected_version=expected_version)
        if dry_run:
            job, plan = await self.plan(
                job_id, body, replace=replace, expected_version=expected_version, credential=credential
            )
            return dry_run_result(job, plan)
        steps = EditSteps(
            self, job_id, body, replace=replace, expected_version=expected_version, credential=credential
        )
        return await run_write(steps, policy=self.confirm, confirmer=confirmer, locks=self.locks)

    async def apply(
        self, job_id: str, job: dict[str, Any], plan: EditPlan, *, credential: str | None
    ) -> EditResult:
        """Send a planned edit to the id the caller named; the caller (the write flow) holds the job's lock."""
        if not plan["changes"]:
            return {
                "dry_run": False,
                "job": job,
                "changes": [],
                "version": plan["version"],
                "undo": {},
                "message": "The edit changes nothing; no request was sent to Qovery.",
            }
        response = await self.client.request(
            "PUT", f"/job/{job_id}", json_body=plan["request"], credential=credential
        )
        if response.status_code == 404:
            raise not_found_error(job_id)
        try:
            updated = answer_json(response, "edited job", EDIT_MAY_HAVE_LANDED)
            parse_answer(Job, updated, "edited job", EDIT_MAY_HAVE_LANDED)
            require_same_job(job_id, updated, "edited job")
        except UnexpectedAnswerError as unreadable:
            # The PUT was answered 2xx, so it reached Qovery; an answer that cannot be read (or is about another
            # job) says nothing trustworthy about what landed: the write flow reads the job again and decides.
            raise AcceptedUnreadablyError(
                unreadable.message.replace("nothing was sent", "the PUT was sent"),
                upstream_status=response.status_code,
            ) from None
        odd = non_finite_paths(updated)
        if odd:  # it landed, and no result can carry this answer: the fresh read decides what is said
            raise AcceptedUnreadablyError(
                f"Qovery answered the PUT with HTTP {response.status_code}, but its answer holds a number JSON "
                f"cannot carry (NaN or Infinity) at {', '.join(odd[:5])}: the edit may have landed.",
                upstream_status=response.status_code,
            )
        if version_of(job_to_request(updated)) == plan["version"]:
            # A yes whose answer shows none of the changes: never reported as applied (nor sent again).
            raise AcceptedUnreadablyError(
                f"Qovery answered the PUT with HTTP {response.status_code}, but its answer shows the job exactly as "
                "before the edit: the change did not take there (Qovery may ignore or reset these fields), or it "
                "landed later: it may have landed.",
                upstream_status=response.status_code,
            )
        return self.edited(job_id, plan, updated, credential=credential, answer_lost=False)

    def edited(
        self,
        job_id: str,
        plan: EditPlan,
        updated: dict[str, Any],
        *,
        credential: str | None,
        answer_lost: bool,
    ) -> EditResult:
        """The result of an edit that landed: from Qovery's answer, or from a fresh read after a lost answer."""
        new_request = job_to_request(updated)
        version = version_of(new_request)
        self._remember(job_id, credential, version, new_request)
        how = (
            "Qovery's answer to the PUT was lost, and a fresh read shows the job exactly as planned: "
            if answer_lost
            else ""
        )
        undo_how = "`body` set to `undo`"
        result: EditResult = {
            "dry_run": False,
            "job": updated,
            "changes": plan["changes"],
            "version": version,
            "undo": undo_patch(plan["changes"]),
            "message": "",
        }
        if any(change["before"] is None for change in plan["changes"]):
            # A merge patch's null removes a field: an explicit null it replaced cannot come back that way.
            result["undo_replace"] = plan["previous"]
            undo_how = "`body` set to `undo_replace` and `replace: true` (it restores explicit nulls too)"
        result["message"] = (
            f"Job updated: {how}{len(plan['changes'])} change(s) applied; its version is now {version}. "
            f"Qovery applies them at the next deployment. To undo, call edit-job with {undo_how} and "
            f"`expected_version` {version!r}."
        )
        return result


def dry_run_result(job: Mapping[str, Any], plan: EditPlan) -> EditResult:
    result: EditResult = {
        "dry_run": True,
        "request": plan["request"],
        "changes": plan["changes"],
        "version": plan["version"],
        "message": f"Dry run: {len(plan['changes'])} change(s); nothing was sent to Qovery. To apply, call "
        f"edit-job with the same body and expected_version {plan['version']!r}.",
    }
    next_runs = cron_preview(job, plan["request"])
    if next_runs is not None:
        result["next_runs"] = next_runs
    return result


def cron_preview(job: Mapping[str, Any], request: Mapping[str, Any]) -> list[str] | None:
    """The next five runs of the schedule a CRON job's dry run would send (None for other jobs)."""
    if job.get("job_type") != "CRON":
        return None
    cronjob = (request.get("schedule") or {}).get("cronjob") or {}
    try:
        from qovery_job_mcp.qovery.schedule import next_runs

        return next_runs(cronjob.get("scheduled_at"), cronjob.get("timezone"))
    except (InvalidInputError, ValueError, KeyError):
        return None
