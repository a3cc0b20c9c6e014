"""Which log lines a caller sees, as pure functions: one job's lines, bounded, and a failure's tail.

Qovery's environment logs mix every service of the environment (and the environment itself);
only the lines whose transmitter is the job are kept. Both the log listing and a failed deploy's
tail are small by construction: a line count, a byte budget and a cut per line.

Every text is scrubbed of the `secrets` in play on its decoded value *before* it is cut: a key
that the 500-character cut splits leaves only its head, which no later search for the whole key
finds, and a key a job printed with JSON escapes (`\u0071ov_…`) is found only once decoded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from typing_extensions import TypedDict

from qovery_job_mcp.redaction import redact

#: A failed deploy's tail: at most this many lines, this many bytes, this many characters a line.
TAIL_MAX_LINES = 50
TAIL_MAX_BYTES = 8 * 1024
LINE_MAX_CHARS = 500
#: Distinct error explanations (user_log_message, hint_message) kept in a tail.
TAIL_MAX_ERRORS = 5
#: A line's timestamp and level are Qovery's short strings; anything longer is cut to this.
FIELD_MAX_CHARS = 64
Secrets = tuple[str, ...]


class LogSelection(TypedDict):
    lines: list[dict[str, Any]]
    total: int
    omitted: int


class ErrorExplanation(TypedDict, total=False):
    user_log_message: str
    hint_message: str


class LogTail(TypedDict):
    lines: list[str]
    errors: list[ErrorExplanation]
    omitted: int


def cut(text: str, limit: int = LINE_MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: Any, secrets: Secrets, limit: int = LINE_MAX_CHARS) -> str:
    """A text as it leaves: scrubbed whole (decoded), then cut."""
    return cut(redact(str(value), secrets), limit)


def is_error_line(entry: Mapping[str, Any]) -> bool:
    """An error line: Qovery's `type` says so, or the line carries an `error` object."""
    return str(entry.get("type") or "").lower() == "error" or bool(entry.get("error"))


def line_message(entry: Mapping[str, Any]) -> str:
    """The text of a line: its safe message, else the error's message for the user."""
    message = entry.get("message") or {}
    error = entry.get("error") or {}
    return str(message.get("safe_message") or error.get("user_log_message") or "")


def line_text(entry: Mapping[str, Any], secrets: Secrets = ()) -> str:
    """One line as a person reads it: "2026-11-30T01:00:12Z ERROR message", scrubbed, cut to LINE_MAX_CHARS."""
    level = cut(str(entry.get("type") or "info").upper(), FIELD_MAX_CHARS)
    return shown(
        f"{cut(str(entry.get('timestamp', '')), FIELD_MAX_CHARS)} {level} {line_message(entry)}", secrets
    )


def from_job(entry: Mapping[str, Any], job_id: str, execution_id: str | None) -> bool:
    details = entry.get("details") or {}
    transmitter = details.get("transmitter") or {}
    if transmitter.get("id") != job_id:
        return False
    return execution_id is None or details.get("execution_id") == execution_id


def select_lines(
    entries: Iterable[Mapping[str, Any]],
    job_id: str,
    *,
    execution_id: str | None,
    lines: int,
    errors_only: bool = False,
) -> LogSelection:
    """The job's lines (of one execution when given), oldest first, the newest `lines` of them kept."""
    mine = [dict(e) for e in entries if isinstance(e, Mapping) and from_job(e, job_id, execution_id)]
    if errors_only:
        mine = [e for e in mine if is_error_line(e)]
    mine.sort(key=lambda e: str(e.get("timestamp") or ""))
    kept = mine[-lines:] if lines > 0 else []
    return {"lines": kept, "total": len(mine), "omitted": len(mine) - len(kept)}


def explanations(entries: Sequence[Mapping[str, Any]], secrets: Secrets = ()) -> list[ErrorExplanation]:
    """Qovery's own words about the failure: each distinct user_log_message and hint_message, scrubbed, cut."""
    found: list[ErrorExplanation] = []
    for entry in entries:
        error = entry.get("error") or {}
        item: ErrorExplanation = {}
        for key in ("user_log_message", "hint_message"):
            value = error.get(key)
            if isinstance(value, str) and value.strip():
                item[key] = shown(value.strip(), secrets)
        if item and item not in found:
            found.append(item)
        if len(found) >= TAIL_MAX_ERRORS:
            break
    return found


def failure_tail(entries: Sequence[Mapping[str, Any]], secrets: Secrets = ()) -> LogTail:
    """A failed deployment's tail: error lines first, then its last other lines, within the bounds.

    `entries` are one execution's lines, oldest first. The one TAIL_MAX_BYTES budget covers the whole tail: Qovery's
    explanations first (its own words for why it failed), then error lines, then the last other lines. What does not
    fit is counted in `omitted` (lines) or left out (explanations).
    """
    errors = [e for e in entries if is_error_line(e)]
    others = [e for e in entries if not is_error_line(e)]
    chosen: list[str] = []
    said: list[ErrorExplanation] = []
    used = 0
    for item in explanations(errors, secrets):
        size = len(item.get("user_log_message", "").encode()) + len(item.get("hint_message", "").encode()) + 2
        if used + size <= TAIL_MAX_BYTES // 2:  # half at most: the lines show where it failed
            said.append(item)
            used += size

    def take(entry: Mapping[str, Any]) -> bool:
        nonlocal used
        text = line_text(entry, secrets)
        size = len(text.encode("utf-8")) + 1
        if len(chosen) >= TAIL_MAX_LINES or used + size > TAIL_MAX_BYTES:
            return False
        chosen.append(text)
        used += size
        return True

    for entry in errors:
        if not take(entry):
            break
    error_part = chosen[:]
    chosen.clear()
    room_lines = TAIL_MAX_LINES - len(error_part)
    # The last other lines, newest last: fill from the end, then restore their order.
    for entry in reversed(others):
        if len(chosen) >= room_lines or not take(entry):
            break
    other_part = list(reversed(chosen))
    shown = len(error_part) + len(other_part)
    return {
        "lines": error_part + other_part,
        "errors": said,
        "omitted": len(entries) - shown,
    }


def compact_line(line: Mapping[str, Any], secrets: Secrets = ()) -> dict[str, Any]:
    """A log line as a caller reads it: time, level, message, and Qovery's error when there is one; each scrubbed
    and cut (the time and level to FIELD_MAX_CHARS: Qovery's are short, a longer one is not theirs)."""
    compact: dict[str, Any] = {
        "timestamp": shown(line.get("timestamp"), secrets, FIELD_MAX_CHARS),
        "type": shown(line.get("type"), secrets, FIELD_MAX_CHARS),
        "message": shown(line_message(line), secrets),
    }
    error = line.get("error")
    if isinstance(error, Mapping) and error:
        compact["error"] = {
            key: shown(error[key], secrets)
            for key in ("tag", "user_log_message", "hint_message")
            if error.get(key)
        }
    return compact
