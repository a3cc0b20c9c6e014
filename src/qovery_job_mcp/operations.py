"""The five job operations: validation, the Qovery call, and the shape of the answer.

The MCP tools and the REST adapter are thin shells around this class, so both surfaces validate
the same way, send the same requests and say the same sentences when something goes wrong.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from qovery_job_mcp.errors import InvalidInputError, UnexpectedAnswerError, quote_input
from qovery_job_mcp.jobs import (
    NOTHING_CHANGED,
    CommitsAnswer,
    Job,
    JobStatus,
    parse_answer,
    plan_edit,
)
from qovery_job_mcp.qovery_client import QoveryClient, not_found_error

DEFAULT_COMMIT_LIMIT = 20
MAX_COMMIT_LIMIT = 100
# A git commit SHA (abbreviated or full, SHA-1 or SHA-256); Qovery declares these as uuid, wrongly.
GIT_SHA_RE = re.compile(r"^[0-9a-fA-F]{4,64}$")


def validate_job_id(job_id: Any) -> str:
    """A canonical lowercase UUID, or InvalidInputError; keeps path tricks away from Qovery."""
    if isinstance(job_id, str) and len(job_id) <= 64:
        try:
            parsed = uuid.UUID(job_id.strip())
        except ValueError:
            pass
        else:
            if job_id.strip().lower() in (str(parsed), parsed.hex):
                return str(parsed)
    raise invalid_job_id(job_id)


def invalid_job_id(job_id: Any) -> InvalidInputError:
    """The one sentence for a job id that is not a UUID (the REST adapter checks its path with it too)."""
    return InvalidInputError(
        f"job_id must be a job's UUID such as 7c9e2f14-3b8a-4d61-a0f5-9e2d4c6b8a17, got {quote_input(job_id)}. "
        "Copy it from the Qovery console URL or from a previous tool result."
    )


def validate_commit_ref(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and GIT_SHA_RE.match(value.strip()):
        return value.strip()
    raise InvalidInputError(
        f"{name} must be a git commit SHA (4 to 64 hex characters), got {quote_input(value)}."
    )


def validate_limit(limit: Any) -> int:
    if limit is None:
        return DEFAULT_COMMIT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_COMMIT_LIMIT:
        raise InvalidInputError(
            f"limit must be a whole number from 1 to {MAX_COMMIT_LIMIT}, got {quote_input(limit)}."
        )
    return limit


# Qovery's job documents nest about six levels deep; a caller's edit or an answer ten times deeper
# is garbage, and past a few hundred levels the JSON tooling itself gives up (RecursionError, or
# the SDK's serializer refusing the result), so both are refused up front with a sentence.
MAX_NESTING = 64


def nesting_exceeds(value: Any, limit: int = MAX_NESTING) -> bool:
    """True when `value` nests dicts/lists deeper than `limit`; iterative, so any depth is safe."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


#: What to say when the answer to a PUT cannot be read: the edit itself may well have been applied.
EDIT_MAY_HAVE_LANDED = (
    "Qovery may have applied the edit anyway: read the job with get-job-id before retrying."
)


def _json(response: Any, what: str, consequence: str = NOTHING_CHANGED) -> Any:
    try:
        payload = response.json()
    except (ValueError, RecursionError):
        # RecursionError: a body nested thousands deep is not a JSON document anyone can use.
        raise UnexpectedAnswerError(
            f"Qovery answered unexpectedly (HTTP {response.status_code}): the {what} is not JSON. {consequence}"
        ) from None
    if nesting_exceeds(payload):
        raise UnexpectedAnswerError(
            f"Qovery answered unexpectedly (HTTP {response.status_code}): the {what} is nested more than "
            f"{MAX_NESTING} levels deep. {consequence}"
        )
    return payload


class JobOperations:
    """One instance per process; `credential` on each call carries a caller's own Qovery credential."""

    def __init__(self, client: QoveryClient) -> None:
        self.client = client

    async def get_job(self, job_id: Any, *, credential: str | None = None) -> dict[str, Any]:
        job_id = validate_job_id(job_id)
        return await self._fetch_job(job_id, credential)

    async def _fetch_job(self, job_id: str, credential: str | None) -> dict[str, Any]:
        response = await self.client.request("GET", f"/job/{job_id}", credential=credential)
        if response.status_code == 404:
            raise not_found_error(job_id)
        payload = _json(response, "job")
        parse_answer(Job, payload, "job")
        return dict(payload)

    async def get_status(self, job_id: Any, *, credential: str | None = None) -> dict[str, Any]:
        job_id = validate_job_id(job_id)
        response = await self.client.request("GET", f"/job/{job_id}/status", credential=credential)
        if response.status_code == 404:
            raise not_found_error(job_id)
        payload = _json(response, "status")
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
    ) -> dict[str, Any]:
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
        payload = _json(response, "commit list")
        parse_answer(CommitsAnswer, payload, "commit list")
        commits = list(payload["results"])
        return {"results": commits[:limit], "total": len(commits), "truncated": len(commits) > limit}

    async def delete_job(
        self, job_id: Any, *, skip_reconcile: bool = False, credential: str | None = None
    ) -> dict[str, Any]:
        job_id = validate_job_id(job_id)
        if not isinstance(skip_reconcile, bool):
            raise InvalidInputError(
                f"skip_reconcile must be true or false, got {quote_input(skip_reconcile)}."
            )
        params = {"skipReconcile": "true"} if skip_reconcile else None
        response = await self.client.request("DELETE", f"/job/{job_id}", params=params, credential=credential)
        if response.status_code == 404:
            return {
                "job_id": job_id,
                "deleted": False,
                "message": f"No job with id {job_id} exists (already deleted, or not visible to these credentials); "
                "nothing was deleted.",
            }
        return {
            "job_id": job_id,
            "deleted": True,
            "message": "Qovery accepted the deletion; the job's resources are torn down in the background "
            "(get-job-status reports DELETING, then the job is gone).",
        }

    async def edit_job(
        self,
        job_id: Any,
        body: Any,
        *,
        dry_run: bool = False,
        replace: bool = False,
        credential: str | None = None,
    ) -> dict[str, Any]:
        job_id = validate_job_id(job_id)
        if not isinstance(body, dict):
            raise InvalidInputError(
                f"body must be a JSON object of fields to change, got {quote_input(body)}."
            )
        if not body:
            plan_edit({}, body, replace=replace)  # raises the empty-body sentence
        if nesting_exceeds(body):
            raise InvalidInputError(
                f"body is nested more than {MAX_NESTING} levels deep; job settings are only a few levels "
                "deep. Send only the fields to change."
            )
        job = await self._fetch_job(job_id, credential)
        request, changes = plan_edit(job, body, replace=replace)
        if dry_run:
            return {
                "dry_run": True,
                "request": request,
                "changes": changes,
                "message": f"Dry run: {len(changes)} change(s); nothing was sent to Qovery.",
            }
        if not changes:
            return {
                "dry_run": False,
                "job": job,
                "changes": [],
                "message": "The edit changes nothing; no request was sent to Qovery.",
            }
        response = await self.client.request(
            "PUT", f"/job/{job_id}", json_body=request, credential=credential
        )
        if response.status_code == 404:
            raise not_found_error(job_id)
        updated = _json(response, "edited job", EDIT_MAY_HAVE_LANDED)
        parse_answer(Job, updated, "edited job", EDIT_MAY_HAVE_LANDED)
        return {
            "dry_run": False,
            "job": updated,
            "changes": changes,
            "message": f"Job updated: {len(changes)} change(s) applied. Qovery applies them at the next deployment.",
        }
