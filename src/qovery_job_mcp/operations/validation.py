"""All input validation, before anything is read from or sent to Qovery: one rule and one limit each.

Ids, commit SHAs, limits, nesting, the strict-argument check (nothing unknown, nothing coerced)
and the edit arguments. Both adapters call these, so a value is refused in the same sentence
whichever surface it came through.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from qovery_job_mcp.qovery.edit import plan_edit
from qovery_job_mcp.qovery.errors import (
    InvalidInputError,
    closest_name,
    quote_input,
    unknown_name_sentence,
)

DEFAULT_COMMIT_LIMIT = 20
MAX_COMMIT_LIMIT = 100
# A git commit SHA (abbreviated or full, SHA-1 or SHA-256); Qovery declares these as uuid, wrongly.
GIT_SHA_RE = re.compile(r"^[0-9a-fA-F]{4,64}$")
#: What edit-job's `version` looks like (qovery.edit.version_of).
VERSION_RE = re.compile(r"[0-9a-f]{16}")


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
            given = closest_name(name, [known for known in properties if known in arguments])
            if given is not None and closest_name(name, properties) == given:
                # `jobId` beside `job_id`: suggesting the name already there would not help.
                raise InvalidInputError(
                    f"unknown argument {name!r}: it spells {given!r} a second way, and {given!r} is already "
                    f"given; send it once, as {given!r}. Nothing was sent."
                )
            raise InvalidInputError(
                unknown_name_sentence(f"argument {name!r}", name, properties, "Nothing was sent.")
            )
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
