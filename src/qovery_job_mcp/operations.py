"""The five job operations: validation, the Qovery call, and the shape of the answer.

The MCP tools and the REST adapter are thin shells around this class, so both surfaces validate
the same way, send the same requests and say the same sentences when something goes wrong.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qovery_job_mcp.qovery.client import QoveryClient, not_found_error
from qovery_job_mcp.qovery.errors import InvalidInputError, UnexpectedAnswerError, quote_input
from qovery_job_mcp.qovery.models import (
    NOTHING_CHANGED,
    CommitsAnswer,
    Job,
    JobStatus,
    parse_answer,
    plan_edit,
)

DEFAULT_COMMIT_LIMIT = 20
MAX_COMMIT_LIMIT = 100
# A git commit SHA (abbreviated or full, SHA-1 or SHA-256); Qovery declares these as uuid, wrongly.
GIT_SHA_RE = re.compile(r"^[0-9a-fA-F]{4,64}$")


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


def closest_name(name: str, valid: Iterable[str]) -> str | None:
    """The valid name a slip most likely meant: `dryRun` and `dry-run` both mean `dry_run`."""
    import difflib

    valid = tuple(valid)

    def squash(text: str) -> str:
        return text.replace("_", "").replace("-", "").lower()

    for candidate in valid:
        if squash(candidate) == squash(name):
            return candidate
    matches = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_name_sentence(what: str, name: str, valid: Iterable[str], consequence: str) -> str:
    valid = tuple(valid)
    guess = closest_name(name, valid)
    hint = f": did you mean {guess!r}?" if guess else f"; valid names: {', '.join(valid)}."
    return f"unknown {what} {quote_input(name)}{hint} {consequence}"


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
                    f"{name} must be from {low} to {high}, got {value}. Nothing was sent."
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
