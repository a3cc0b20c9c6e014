"""Checks on the request an edit would send that no schema expresses: finite numbers, sizes, group entries.

Separate from edit.py (merge, diff, undo, the published schema) so each stays one job; the JSON
Pointer helpers live here because these checks name what they refuse by pointer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from qovery_job_mcp.qovery.errors import InvalidInputError


def pointer(parts: Iterable[str]) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def pointer_parts(path: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]


def _non_finite_paths(value: Any, parts: list[str]) -> Iterator[str]:
    """JSON Pointers of every NaN or infinite number in `value` (Python's json reads `NaN` and `1e400`)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield pointer(parts)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite_paths(item, [*parts, str(key)])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite_paths(item, [*parts, str(index)])


def non_finite_paths(value: Any) -> list[str]:
    """JSON Pointers of every NaN or infinite number in `value`: no result holding one can be written as JSON."""
    return list(_non_finite_paths(value, []))


EDIT_ADVICE = (
    "Qovery answered it that way, or the edit sets it. Set a finite value there in the same edit, "
    "or fix it in the Qovery console."
)
DELETE_ADVICE = (
    "Qovery answered it that way, so the settings that would recreate the job cannot be given back. Fix it in "
    "the Qovery console first (or delete the job there)."
)


def refuse_non_finite(request: Mapping[str, Any], advice: str = EDIT_ADVICE) -> None:
    """A request holding NaN or Infinity cannot be sent as JSON: refuse it, naming where, before any write.

    A delete is refused too: its result gives back the settings that would recreate the job, and a job that
    was deleted must never be reported as a failure because that result could not be written.
    """
    paths = list(_non_finite_paths(request, []))
    if paths:
        raise InvalidInputError(
            f"The job's settings hold a number JSON cannot carry (NaN or Infinity) at {', '.join(paths[:5])}: "
            f"{advice} Nothing was sent."
        )


#: Bounds on what an edit may set, by what Qovery accepts (its other descriptions stop at 255) and
#: what an answer can carry back (a 2 MB string is echoed in the result and the request).
MAX_CHARS = {"/name": 255, "/description": 255}
MAX_STRING_CHARS = 65_536


def check_sizes(changes: Iterable[Mapping[str, Any]]) -> None:
    for change in changes:
        after = change["after"]
        strings = [after] if isinstance(after, str) else []
        strings += [item for item in after if isinstance(item, str)] if isinstance(after, list) else []
        limit = MAX_CHARS.get(change["path"], MAX_STRING_CHARS)
        longest = max((len(text) for text in strings), default=0)
        if longest > limit:
            raise InvalidInputError(
                f"{change['path']} may hold at most {limit} characters, got {longest}. Nothing was sent."
            )


def refuse_malformed_groups(request: Mapping[str, Any]) -> None:
    """Entries Qovery answered without an id cannot be sent back as they are, and must not vanish unsaid."""
    malformed = [
        pointer([groups, str(index)])
        for groups in ("annotations_groups", "labels_groups")
        if isinstance(request.get(groups), list)
        for index, group in enumerate(request[groups])
        if not (isinstance(group, dict) and set(group) == {"id"})
    ]
    if malformed:
        raise InvalidInputError(
            f"The job as Qovery returned it holds group entries without an id at {', '.join(malformed[:5])}: "
            "this server cannot send them back unchanged, and will not drop them unsaid. Replace the list in "
            'this edit (e.g. "labels_groups": [{"id": "…"}]) or fix it in the Qovery console. Nothing was sent.'
        )
