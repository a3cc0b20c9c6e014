"""The five job operations: validation, the Qovery call, and the shape of the answer.

The MCP tools and the REST adapter are thin shells around this class, so both surfaces validate
the same way, send the same requests and say the same sentences when something goes wrong.
"""

from __future__ import annotations

import re
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio

from qovery_job_mcp.qovery.client import QoveryClient, not_found_error, response_attempts
from qovery_job_mcp.qovery.edit import EditPlan, diff, job_to_request, plan_edit, undo_patch, version_of
from qovery_job_mcp.qovery.errors import (
    InvalidInputError,
    JobNotFoundError,
    UnexpectedAnswerError,
    VersionMismatchError,
    quote_input,
    unknown_name_sentence,
)
from qovery_job_mcp.qovery.models import (
    NOTHING_CHANGED,
    CommitList,
    CommitsAnswer,
    DeleteResult,
    EditResult,
    Job,
    JobStatus,
    parse_answer,
)

DEFAULT_COMMIT_LIMIT = 20
MAX_COMMIT_LIMIT = 100
# A git commit SHA (abbreviated or full, SHA-1 or SHA-256); Qovery declares these as uuid, wrongly.
GIT_SHA_RE = re.compile(r"^[0-9a-fA-F]{4,64}$")
#: What edit-job's `version` looks like (qovery.edit.version_of).
VERSION_RE = re.compile(r"[0-9a-f]{16}")


# ---------------------------------------------------------------------------------------------
# The operation catalog: one place for each operation's name, title and safety class
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OperationSpec:
    """What every adapter needs to know about an operation before it runs: its name and safety class."""

    name: str
    title: str
    read_only: bool
    destructive: bool


CATALOG: tuple[OperationSpec, ...] = (
    OperationSpec("get-job-id", "Get job", read_only=True, destructive=False),
    OperationSpec("edit-job", "Edit job", read_only=False, destructive=False),
    OperationSpec("delete-job", "Delete job", read_only=False, destructive=True),
    OperationSpec("list-last-job-commits", "List last job commits", read_only=True, destructive=False),
    OperationSpec("get-job-status", "Get job status", read_only=True, destructive=False),
)
OPERATION_NAMES: tuple[str, ...] = tuple(spec.name for spec in CATALOG)
SPECS: Mapping[str, OperationSpec] = {spec.name: spec for spec in CATALOG}


class UnknownOperationError(ValueError):
    """A --tools / --exclude-tools name that is not one of the five operations."""


def select_operations(
    *, read_only: bool = False, include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> tuple[str, ...]:
    """The operation names to offer; an unknown name is refused, never silently ignored."""
    include, exclude = tuple(include), tuple(exclude)
    unknown = sorted({*include, *exclude} - set(OPERATION_NAMES))
    if unknown:
        raise UnknownOperationError(
            f"Unknown tool name(s): {', '.join(unknown)}. Valid names: {', '.join(OPERATION_NAMES)}."
        )
    return tuple(
        spec.name
        for spec in CATALOG
        if (not include or spec.name in include)
        and spec.name not in exclude
        and not (read_only and not spec.read_only)
    )


def refusals_for(offered: Iterable[str], *, read_only: bool) -> Mapping[str, str]:
    """For each operation this server does not offer, the sentence that says why and what to do.

    Both adapters say exactly these words: the MCP server as a tool error, REST in its 405 problem.
    """
    offered = tuple(offered)
    offered_text = ", ".join(offered) or "none"
    refusals: dict[str, str] = {}
    for spec in CATALOG:
        if spec.name in offered:
            continue
        if read_only and not spec.read_only:
            refusals[spec.name] = (
                f"{spec.name} is refused: this server runs in read-only mode (--read-only / "
                f"QOVERY_MCP_READ_ONLY), so it cannot change or delete jobs. Tools offered: {offered_text}. "
                "Ask its operator for a server without read-only mode to make this change."
            )
        else:
            refusals[spec.name] = (
                f"{spec.name} is turned off on this server (--tools / --exclude-tools). Tools offered: "
                f"{offered_text}."
            )
    return refusals


def validate_job_id(job_id: Any) -> str:
    """A canonical lowercase UUID, or InvalidInputError; keeps path tricks away from Qovery.

    Only the hyphenated form, in any case, as the console shows it: one rule for every adapter.
    """
    if isinstance(job_id, str) and len(job_id) == 36:
        try:
            parsed = uuid.UUID(job_id)
        except ValueError:
            pass
        else:
            if job_id.lower() == str(parsed):
                return str(parsed)
    raise invalid_job_id(job_id)


def invalid_job_id(job_id: Any) -> InvalidInputError:
    """The one sentence for a job id that is not a UUID (the REST adapter checks its path with it too)."""
    return InvalidInputError(
        f"job_id must be a job's UUID such as 7c9e2f14-3b8a-4d61-a0f5-9e2d4c6b8a17, got {quote_input(job_id)}. "
        "Copy it from the Qovery console URL or from a previous tool result."
    )


def validate_commit_ref(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and GIT_SHA_RE.match(value):
        return value
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


# ---------------------------------------------------------------------------------------------
# Strict arguments: nothing unknown, nothing coerced
# ---------------------------------------------------------------------------------------------

_JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _json_type_name(value: Any) -> str:
    for name, types in _JSON_TYPES.items():
        if isinstance(value, types) and not (name in ("integer", "number") and isinstance(value, bool)):
            return name
    return type(value).__name__


def _accepted_types(schema: Mapping[str, Any]) -> tuple[str, ...]:
    if "type" in schema:
        kinds = schema["type"]
        return tuple(kinds) if isinstance(kinds, list) else (kinds,)
    return tuple(kind for option in schema.get("anyOf", ()) for kind in _accepted_types(option))


def check_arguments(tool: str, arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Refuse, before anything is sent, arguments that the tool's input schema does not allow as they are.

    Unknown names are refused with the closest valid one; values must already have their JSON
    type (no "yes" for true, no "500" for 500, no JSON text for an object), and integers their
    declared range. The SDK's own, lenient, validation then sees only values that pass as they are.
    """
    properties: Mapping[str, Any] = schema.get("properties", {})
    for name in arguments:
        if name not in properties:
            raise InvalidInputError(unknown_name_sentence("argument", name, properties, "Nothing was sent."))
    for name in schema.get("required", ()):
        if name not in arguments:
            raise InvalidInputError(f"{tool} needs the argument {name!r}. Nothing was sent.")
    for name, value in arguments.items():
        accepted = _accepted_types(properties[name])
        got = _json_type_name(value)
        fits = not accepted or got in accepted or (got == "integer" and "number" in accepted)
        if not fits:
            advice = ""
            if "object" in accepted and isinstance(value, str):
                advice = " Send the JSON object itself, not a string that contains JSON."
            elif "boolean" in accepted:
                advice = " Use the JSON booleans true or false."
            elif "integer" in accepted:
                advice = " Use a JSON number such as 20, not a string or a boolean."
            shown = "" if value is None or got in ("object", "array") else f" {quote_input(value)}"
            raise InvalidInputError(
                f"{name} must be {' or '.join(a for a in accepted if a != 'null')}, got {got}{shown}."
                f"{advice} Nothing was sent."
            )
        if got == "integer":
            low, high = properties[name].get("minimum"), properties[name].get("maximum")
            if (low is not None and value < low) or (high is not None and value > high):
                raise InvalidInputError(
                    f"{name} must be a whole number from {low} to {high}, got {value}. Nothing was sent."
                )


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


def job_version(job: Mapping[str, Any]) -> str:
    """The version of a job as read (what an edit's `expected_version` or REST's If-Match compares with)."""
    return version_of(job_to_request(job))


class _PerJobLocks:
    """One lock per job id, from an edit's read to its PUT: two edits of a job in one process never overlap.

    Locks are dropped when nobody holds or waits for them, so the table stays as small as the
    number of jobs being edited right now.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[anyio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, job_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(job_id) or (anyio.Lock(), 0)
        self._locks[job_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[job_id]
            if users <= 1:
                del self._locks[job_id]
            else:
                self._locks[job_id] = (lock, users - 1)


#: How many versions' settings the server remembers, to say what changed since a stale expected_version.
REMEMBERED_VERSIONS = 256


class JobOperations:
    """One instance per process; `credential` on each call carries a caller's own Qovery credential."""

    def __init__(self, client: QoveryClient) -> None:
        self.client = client
        self._edit_locks = _PerJobLocks()
        self._versions: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def _remember(self, version: str, request: dict[str, Any]) -> None:
        self._versions[version] = request
        self._versions.move_to_end(version)
        while len(self._versions) > REMEMBERED_VERSIONS:
            self._versions.popitem(last=False)

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
        payload = _json(response, "commit list")
        parse_answer(CommitsAnswer, payload, "commit list")
        commits = [commit for commit in payload.get("results") or [] if commit is not None]
        return {"results": commits[:limit], "total": len(commits), "truncated": len(commits) > limit}

    async def delete_job(
        self, job_id: Any, *, skip_reconcile: bool = False, credential: str | None = None
    ) -> DeleteResult:
        """Read the job first, so the result names it and keeps the settings that would recreate it.

        The extra GET costs one round trip; in exchange a lost answer to the DELETE can be told
        apart from a job that never existed.
        """
        job_id = validate_job_id(job_id)
        if not isinstance(skip_reconcile, bool):
            raise InvalidInputError(
                f"skip_reconcile must be true or false, got {quote_input(skip_reconcile)}."
            )
        try:
            job = await self._fetch_job(job_id, credential)
        except JobNotFoundError:
            return {
                "job_id": job_id,
                "deleted": False,
                "message": f"No job with id {job_id} exists (already deleted, or not visible to these credentials); "
                "nothing was deleted.",
            }
        return await self.delete_read_job(job, skip_reconcile=skip_reconcile, credential=credential)

    async def delete_read_job(
        self, job: dict[str, Any], *, skip_reconcile: bool = False, credential: str | None = None
    ) -> DeleteResult:
        """The DELETE itself, for a job already read (the confirmation flow reads it to ask the user)."""
        job_id = str(job["id"])
        named: DeleteResult = {
            "job_id": job_id,
            "deleted": True,
            "message": "",
            "name": str(job.get("name")),
            "job_type": str(job.get("job_type")),
            "settings": job_to_request(job),
        }
        params = {"skipReconcile": "true"} if skip_reconcile else None
        response = await self.client.request("DELETE", f"/job/{job_id}", params=params, credential=credential)
        if response.status_code == 404 and response_attempts(response) > 1:
            named["message"] = (
                f"Job {named['name']!r} is deleted: the answer to the first attempt was lost, and the retry found "
                "the job already gone. `settings` holds what would recreate it."
            )
            return named
        if response.status_code == 404:
            return {
                **named,
                "deleted": False,
                "message": f"Job {named['name']!r} disappeared between the read and the delete (deleted by someone "
                "else); this call deleted nothing.",
            }
        named["message"] = (
            f"Qovery accepted the deletion of {named['name']!r}; its resources are torn down in the background. "
            "`settings` holds what would recreate it."
        )
        return named

    async def plan(
        self, job_id: str, body: Any, *, replace: bool, expected_version: str | None, credential: str | None
    ) -> tuple[dict[str, Any], EditPlan]:
        """Read the job and plan the edit; refuse it when the job changed since `expected_version`."""
        job = await self._fetch_job(job_id, credential)
        plan = plan_edit(job, body, replace=replace)
        current = job_to_request(job)
        if expected_version is not None and expected_version != plan["version"]:
            seen = self._versions.get(expected_version)
            self._remember(plan["version"], current)
            raise VersionMismatchError(
                expected_version, plan["version"], diff(seen, current) if seen else None
            )
        self._remember(plan["version"], current)
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
    ) -> EditResult:
        job_id = validate_job_id(job_id)
        check_edit_arguments(body, dry_run=dry_run, replace=replace, expected_version=expected_version)
        if dry_run:
            job, plan = await self.plan(
                job_id, body, replace=replace, expected_version=expected_version, credential=credential
            )
            return dry_run_result(job, plan)
        async with self._edit_locks.hold(job_id):
            job, plan = await self.plan(
                job_id, body, replace=replace, expected_version=expected_version, credential=credential
            )
            return await self.apply(job, plan, credential=credential)

    async def apply(self, job: dict[str, Any], plan: EditPlan, *, credential: str | None) -> EditResult:
        """Send a planned edit; the caller holds the job's edit lock (or knows nobody else edits it)."""
        job_id = str(job["id"])
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
        updated = _json(response, "edited job", EDIT_MAY_HAVE_LANDED)
        parse_answer(Job, updated, "edited job", EDIT_MAY_HAVE_LANDED)
        new_request = job_to_request(updated)
        version = version_of(new_request)
        self._remember(version, new_request)
        undo = undo_patch(plan["changes"])
        return {
            "dry_run": False,
            "job": updated,
            "changes": plan["changes"],
            "version": version,
            "undo": undo,
            "message": f"Job updated: {len(plan['changes'])} change(s) applied; its version is now {version}. "
            "Qovery applies them at the next deployment. To undo, call edit-job with `body` set to `undo` and "
            f"`expected_version` {version!r}.",
        }


def check_edit_arguments(body: Any, *, dry_run: Any, replace: Any, expected_version: Any) -> None:
    """Every edit argument, whatever adapter it came through, before anything is read or sent."""
    if not isinstance(body, dict):
        advice = (
            " Send the JSON object itself, not a string that contains JSON." if isinstance(body, str) else ""
        )
        raise InvalidInputError(
            f"body must be a JSON object of fields to change, got {quote_input(body)}.{advice}"
        )
    for name, value in (("dry_run", dry_run), ("replace", replace)):
        if not isinstance(value, bool):
            raise InvalidInputError(f"{name} must be true or false, got {quote_input(value)}.")
    if expected_version is not None and not (
        isinstance(expected_version, str) and VERSION_RE.fullmatch(expected_version)
    ):
        raise InvalidInputError(
            f"expected_version must be a version string from a previous edit-job result, such as "
            f"'3f9a1c0b7d2e4a68', got {quote_input(expected_version)}."
        )
    if not body:
        plan_edit({"job_type": "CRON"}, body, replace=False)  # raises the empty-body sentence
    if nesting_exceeds(body):
        raise InvalidInputError(
            f"body is nested more than {MAX_NESTING} levels deep; job settings are only a few levels "
            "deep. Send only the fields to change."
        )


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
