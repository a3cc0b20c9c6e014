"""Reading a Qovery answer's JSON: one place for what makes an answer unreadable, for every operation.

Not JSON, or nested deeper than MAX_NESTING, is an `UnexpectedAnswerError` with the same sentence for the job
tools and the deploy toolset. `finite=True` also refuses NaN and Infinity (which Python's reader accepts): the
deploy toolset asks for it, because no result can carry them and a deploy must be able to say what it knows
before its result is serialized; an edit reads them and refuses the edit itself, naming where they are.
"""

from __future__ import annotations

import math
from typing import Any

from qovery_job_mcp.operations.validation import MAX_NESTING, nesting_exceeds
from qovery_job_mcp.qovery.errors import UnexpectedAnswerError
from qovery_job_mcp.qovery.models import NOTHING_CHANGED


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        raise ValueError(text)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity, -Infinity


def answer_json(response: Any, what: str, consequence: str = NOTHING_CHANGED, *, finite: bool = False) -> Any:
    """The answer's JSON, or the sentence saying why it cannot be used (`what` names the answer)."""
    try:
        if finite:
            payload = response.json(parse_float=_finite, parse_constant=_no_constant)
        else:
            payload = response.json()
    except (ValueError, RecursionError):
        # RecursionError: a body nested thousands deep is not a JSON document anyone can use.
        holds = ", or holds NaN or Infinity" if finite else ""
        raise UnexpectedAnswerError(
            f"Qovery answered unexpectedly (HTTP {response.status_code}): the {what} is not JSON{holds}. "
            f"{consequence}"
        ) from None
    # A document cannot nest deeper than it has brackets: counting them (in C) spares most answers the walk.
    body: bytes = response.content
    if body.count(b"{") + body.count(b"[") > MAX_NESTING and nesting_exceeds(payload):
        raise UnexpectedAnswerError(
            f"Qovery answered unexpectedly (HTTP {response.status_code}): the {what} is nested more than "
            f"{MAX_NESTING} levels deep. {consequence}"
        )
    return payload
