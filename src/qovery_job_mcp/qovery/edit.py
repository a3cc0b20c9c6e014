"""What Qovery accepts (JobRequest), and how an edit becomes the full request to PUT.

Qovery's PUT replaces the whole job, so an edit must send every setting the caller did not mean to
change, including the ones this server has never heard of. `job_to_request` therefore starts from
everything the job has and removes only what is known to be response-only. The merged request is
checked against Qovery's *published* JobRequest schema (job_request.schema.json, extracted from the
OpenAPI document), and this server's own stricter rules apply only to the values the edit changes:
an edit of one field is never refused because of another field's current value.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from typing_extensions import TypedDict

from qovery_job_mcp.qovery.errors import InvalidInputError, quote_input, unknown_name_sentence
from qovery_job_mcp.qovery.request_checks import (
    check_sizes,
    refuse_malformed_groups,
    refuse_non_finite,
)
from qovery_job_mcp.qovery.request_checks import (
    pointer as pointer,  # re-exported: JSON Pointers are part of what an edit's changes mean
)
from qovery_job_mcp.qovery.request_checks import (
    pointer_parts as pointer_parts,
)

#: Top-level JobResponse fields that JobRequest does not take (Qovery computes them).
RESPONSE_ONLY_FIELDS = frozenset(
    {"id", "created_at", "updated_at", "environment", "maximum_cpu", "maximum_memory", "maximum_gpu"}
    | {"service_type", "job_type"}
)
#: ApplicationGitRepository fields that ApplicationGitRepositoryRequest does not take.
GIT_RESPONSE_ONLY_FIELDS = frozenset(
    {"has_access", "deployed_commit_id", "deployed_commit_date", "deployed_commit_contributor"}
    | {"deployed_commit_tag", "git_token_name"}
)
LIFECYCLE_EVENTS = ("on_start", "on_stop", "on_delete")
#: The schedule members JobRequest knows; the response answers a missing one as null.
SCHEDULE_MEMBERS = frozenset({*LIFECYCLE_EVENTS, "cronjob", "lifecycle_type"})
JOB_TYPES = ("CRON", "LIFECYCLE")


class Change(TypedDict):
    path: str
    before: Any
    after: Any


class EditPlan(TypedDict):
    request: dict[str, Any]
    changes: list[Change]
    #: The version of the job's settings before the edit (see `version_of`).
    version: str
    #: The job's settings before the edit, as a full request (what `undo_replace` sends back).
    previous: dict[str, Any]


# ---------------------------------------------------------------------------------------------
# From the job as Qovery returns it to the request that leaves it unchanged
# ---------------------------------------------------------------------------------------------


def job_to_request(job: Mapping[str, Any]) -> dict[str, Any]:
    """The full JobRequest that would leave `job` exactly as it is, unknown fields included."""
    request = {key: copy.deepcopy(value) for key, value in job.items() if key not in RESPONSE_ONLY_FIELDS}
    # JobRequest's description is not nullable. A null architecture ("cluster default") is kept: the
    # request leaves the job as it is, and an undo can restore it.
    if request.get("description", ...) is None:
        del request["description"]
    if not isinstance(request.get("healthchecks"), dict):
        request["healthchecks"] = {}
    source = request.get("source")
    if isinstance(source, dict):
        image = source.get("image")
        if isinstance(image, dict):
            registry = image.pop("registry", None)
            if not image.get("registry_id") and isinstance(registry, dict) and registry.get("id"):
                image["registry_id"] = registry["id"]
        docker = source.get("docker")
        if isinstance(docker, dict) and isinstance(docker.get("git_repository"), dict):
            git = docker["git_repository"]
            docker["git_repository"] = {k: v for k, v in git.items() if k not in GIT_RESPONSE_ONLY_FIELDS}
        for kind in ("image", "docker"):
            if kind in source and source[kind] is None:
                del source[kind]
    schedule = request.get("schedule")
    if isinstance(schedule, dict):
        # The response says "no such event" with null; the request's events are objects or absent.
        # A null under a name this server does not know is Qovery's to interpret: it is sent as is.
        request["schedule"] = {
            key: value for key, value in schedule.items() if value is not None or key not in SCHEDULE_MEMBERS
        }
    for groups in ("annotations_groups", "labels_groups"):
        if isinstance(request.get(groups), list):
            # An entry without an id is kept as it is, never dropped: plan_edit refuses to send it back.
            request[groups] = [
                {"id": group["id"]} if isinstance(group, dict) and "id" in group else group
                for group in request[groups]
            ]
    return request


def version_of(request: Mapping[str, Any]) -> str:
    """An opaque version of a job's settable settings: deployments and status changes leave it alone.

    A short hash of the canonical request, so two reads of an unchanged job agree, and any change to
    a setting (known to this server or not) gives another version.
    """
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# Merge, diff, undo
# ---------------------------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: objects merge, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def diff(before: Any, after: Any, parts: list[str] | None = None) -> list[Change]:
    """Leaf-level differences as JSON Pointer paths; arrays compare whole, as merge patch replaces them."""
    parts = parts or []
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[Change] = []
        for key in sorted(before.keys() | after.keys(), key=str):
            changes += diff(before.get(key), after.get(key), [*parts, str(key)])
        return changes
    if before == after:
        return []
    return [{"path": pointer(parts), "before": before, "after": after}]


def undo_patch(changes: Iterable[Change]) -> dict[str, Any]:
    """The merge patch that restores every changed value: a removed field comes back, an added one goes."""
    undo: dict[str, Any] = {}
    for change in changes:
        parts = pointer_parts(change["path"])
        node = undo
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = copy.deepcopy(change["before"])
    return undo


# ---------------------------------------------------------------------------------------------
# The published schema, and this server's rules for what the edit changes
# ---------------------------------------------------------------------------------------------


@cache
def _published_schema() -> dict[str, Any]:
    text = resources.files("qovery_job_mcp.qovery").joinpath("job_request.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def published_job_request_schema() -> dict[str, Any]:
    """A copy of Qovery's published JobRequest schema (for the REST adapter's OpenAPI document)."""
    return copy.deepcopy(_published_schema())


@cache
def _validator() -> Any:
    # jsonschema is imported on the first edit only: reads and the stdio start-up never pay for it.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_published_schema())


def _resolve(schema: Any) -> dict[str, Any]:
    """The object schema at one level: through $ref, a one-element allOf and a nullable anyOf."""
    defs = _published_schema()["$defs"]
    while isinstance(schema, dict):
        if "$ref" in schema:
            schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        elif "anyOf" in schema:
            options = [s for s in schema["anyOf"] if s != {"type": "null"}]
            schema = options[0] if len(options) == 1 else {}
        else:
            return schema
    return {}


def _refuse_unknown_names(patch: Mapping[str, Any], schema: Any, current: Any, parts: list[str]) -> None:
    """A name the published schema does not declare and the job does not have is a slip, not a field."""
    level = _resolve(schema)
    # Some published schemas require names they do not list under properties (the git repository's owner).
    required: Mapping[str, Any] = {key: {} for key in level.get("required") or ()}
    declared: Mapping[str, Any] = {**required, **(level.get("properties") or {})}
    existing = current if isinstance(current, dict) else {}
    for name, value in patch.items():
        if not parts and name in RESPONSE_ONLY_FIELDS:
            raise InvalidInputError(
                f"{name} cannot be changed with edit-job (Qovery computes it); remove it from body."
            )
        if declared and name not in declared and name not in existing:
            where = pointer([*parts, name])
            raise InvalidInputError(
                unknown_name_sentence(
                    f"field {quote_input(where)} in body", name, [*declared, *existing], "Nothing was sent."
                )
            )
        if isinstance(value, dict) and name in declared:
            _refuse_unknown_names(value, declared[name], existing.get(name), [*parts, name])


def _related(error_parts: tuple[Any, ...], changed: list[tuple[str, ...]]) -> bool:
    error = tuple(str(p) for p in error_parts)
    return any(c[: len(error)] == error or error[: len(c)] == c for c in changed)


def _check_published_schema(request: dict[str, Any], changed: list[tuple[str, ...]]) -> None:
    from jsonschema.exceptions import best_match

    problems = []
    for found in _validator().iter_errors(request):
        error = found
        while error.context:
            # "is not valid under any of the given schemas" says nothing: name the deepest reason, and
            # not "is not of type 'null'" when a value was given: what the value lacks is the reason.
            reasons = [
                e for e in error.context if not (e.validator == "type" and e.validator_value == "null")
            ]
            error = best_match(reasons or error.context)
        if _related(tuple(error.absolute_path), changed):
            where = pointer(str(p) for p in error.absolute_path) or "the job"
            if error.validator == "type":
                # jsonschema's own message repeats the whole value; a caller's value is quoted, shortened.
                problems.append(
                    f"{where}: {quote_input(error.instance)} is not of type {error.validator_value!r}"
                )
            else:
                problems.append(f"{where}: {quote_input(error.message)[1:-1]}")
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise InvalidInputError(
            f"The edit does not fit Qovery's published JobRequest schema: {'; '.join(problems[:3])}{more}. "
            "Nothing was sent."
        )


def _check_changed_values(job: Mapping[str, Any], request: dict[str, Any], changed: set[str]) -> None:
    """This server's rules, applied to the values the edit sets or removes, and to nothing else."""
    from qovery_job_mcp.qovery import schedule as cron

    job_type = job.get("job_type")
    for field, maximum in (("cpu", "maximum_cpu"), ("memory", "maximum_memory")):
        if f"/{field}" in changed and field in request:
            value, limit = request[field], job.get(maximum)
            unit = "millicores" if field == "cpu" else "MB"
            if isinstance(value, int) and (value < 1 or (isinstance(limit, int) and value > limit)):
                raise InvalidInputError(
                    f"{field} must be from 1 to {limit} {unit} (this job's {maximum}), got {value}. Nothing was sent."
                )
    schedule: dict[str, Any] = request["schedule"] if isinstance(request.get("schedule"), dict) else {}
    schedule_changed = any(path.startswith("/schedule") for path in changed)
    if schedule_changed and job_type == "LIFECYCLE":
        if "cronjob" in schedule:
            raise InvalidInputError(
                "This is a LIFECYCLE job: it has no cron schedule, so schedule.cronjob cannot be set. "
                "Change schedule.on_start / on_stop / on_delete instead, or create a CRON job."
            )
        if not any(isinstance(schedule.get(event), dict) for event in LIFECYCLE_EVENTS):
            raise InvalidInputError(
                "A LIFECYCLE job needs at least one of schedule.on_start, on_stop or on_delete ({} enables an "
                "event without a command); the edit removes them all. Nothing was sent."
            )
    if schedule_changed and job_type == "CRON":
        events = [key for key in (*LIFECYCLE_EVENTS, "lifecycle_type") if f"/schedule/{key}" in changed]
        events += [
            key
            for key in (*LIFECYCLE_EVENTS, "lifecycle_type")
            if any(p.startswith(f"/schedule/{key}/") for p in changed)
        ]
        if events:
            raise InvalidInputError(
                f"This is a CRON job: {', '.join(sorted({'schedule.' + e for e in events}))} only apply to LIFECYCLE "
                "jobs. Change schedule.cronjob (scheduled_at, timezone, entrypoint, arguments) instead."
            )
        cronjob: dict[str, Any] = schedule["cronjob"] if isinstance(schedule.get("cronjob"), dict) else {}
        if "/schedule/cronjob/scheduled_at" in changed:
            cron.check_cron(cronjob.get("scheduled_at"))
        if "/schedule/cronjob/timezone" in changed and cronjob.get("timezone") is not None:
            cron.check_timezone(cronjob.get("timezone"))
    if any(path.startswith("/source") for path in changed):
        source: dict[str, Any] = request["source"] if isinstance(request.get("source"), dict) else {}
        kinds = [kind for kind in ("image", "docker") if source.get(kind) is not None]
        if len(kinds) != 1:
            raise InvalidInputError(
                "The job's source must be exactly one of source.image or source.docker "
                f"(the edit leaves {len(kinds)}); set one and null the other. Nothing was sent."
            )


def _switch_source_kind(current: Mapping[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Setting `source.docker` on an image job (or the reverse) replaces the old kind of source."""
    source_patch = body.get("source")
    current_source = current.get("source") or {}
    if not isinstance(source_patch, dict):
        return body
    for new_kind, old_kind in (("docker", "image"), ("image", "docker")):
        if (
            source_patch.get(new_kind) is not None
            and old_kind in current_source
            and old_kind not in source_patch
        ):
            return {**body, "source": {**source_patch, old_kind: None}}
    return body


#: Fields whose null is a value to send ("cluster default"), not a removal, when an edit sets it.
NULL_IS_A_VALUE = ("cpu_architecture",)


def plan_edit(job: Mapping[str, Any], body: Any, *, replace: bool) -> EditPlan:
    """The full JobRequest to PUT for `body`, the changes it makes and the job's current version.

    By default `body` is a merge patch over the job's current settings; with `replace` it is the
    complete request. Either way nothing the caller did not mention can change.
    """
    if not isinstance(body, dict):
        raise InvalidInputError(f"body must be a JSON object of fields to change, got {type(body).__name__}.")
    if not body:
        raise InvalidInputError(
            'body is empty: there is nothing to change. Give the fields to change, e.g. {"cpu": 1000} '
            'or {"source": {"image": {"tag": "1.9.0"}}}.'
        )
    job_type = job.get("job_type")
    if job_type not in JOB_TYPES:
        raise InvalidInputError(
            f"This job's job_type is {quote_input(job_type)}, which this server does not know, so it cannot "
            "tell which schedule rules apply; edit it in the Qovery console. Nothing was sent."
        )
    current = job_to_request(job)
    _refuse_unknown_names(body, _published_schema(), current, [])
    request = copy.deepcopy(body) if replace else merge_patch(current, _switch_source_kind(current, body))
    if not replace:
        request.update({key: None for key in NULL_IS_A_VALUE if key in body and body[key] is None})
    refuse_non_finite(request)
    refuse_malformed_groups(request)
    changes = diff(current, request)
    check_sizes(changes)
    changed_parts = [tuple(pointer_parts(change["path"])) for change in changes]
    _check_published_schema(request, changed_parts)
    _check_changed_values(job, request, {change["path"] for change in changes})
    return {"request": request, "changes": changes, "version": version_of(current), "previous": current}
