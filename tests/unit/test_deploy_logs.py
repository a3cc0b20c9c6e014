"""Log selection and the failure tail: one job's lines, bounded, errors first, Qovery's explanations kept."""

from __future__ import annotations

from typing import Any

import pytest

import qovery_job_mcp.operations.deploy_logs as logs

JOB = "job-1"


def line(
    n: int,
    *,
    level: str = "info",
    job: str = JOB,
    execution: str = "x1",
    text: str | None = None,
    error: dict[str, Any] | None = None,
    transmitter_type: str = "Job",
) -> dict[str, Any]:
    return {
        "type": level,
        "timestamp": f"2026-12-01T10:{n // 60:02d}:{n % 60:02d}.000Z",
        "details": {"execution_id": execution, "transmitter": {"type": transmitter_type, "id": job}},
        "error": error,
        "message": {"safe_message": text if text is not None else f"line {n}"},
    }


ENTRIES = [
    line(3),
    line(1, transmitter_type="Environment", job="env-1"),
    line(2, job="other-job"),
    line(4, level="error", error={"user_log_message": "it broke", "hint_message": "fix it"}),
    line(5, execution="x0"),
    line(0),
]


@pytest.mark.parametrize(
    ("execution", "count", "errors_only", "messages", "omitted"),
    [
        (None, 100, False, ["line 0", "line 3", "line 4", "line 5"], 0),
        ("x1", 100, False, ["line 0", "line 3", "line 4"], 0),
        ("x1", 2, False, ["line 3", "line 4"], 1),
        ("x1", 1, False, ["line 4"], 2),
        ("x1", 100, True, ["line 4"], 0),
        ("x9", 100, False, [], 0),
    ],
)
def test_select_lines(
    execution: str | None, count: int, errors_only: bool, messages: list[str], omitted: int
) -> None:
    chosen = logs.select_lines(ENTRIES, JOB, execution_id=execution, lines=count, errors_only=errors_only)
    assert [logs.line_message(e) for e in chosen["lines"]] == messages
    assert chosen["omitted"] == omitted
    assert chosen["total"] == len(messages) + omitted


def test_select_lines_skips_what_is_not_a_line() -> None:
    chosen = logs.select_lines([None, "text", line(1)], JOB, execution_id=None, lines=10)  # type: ignore[list-item]
    assert len(chosen["lines"]) == 1


@pytest.mark.parametrize(
    ("entries", "first", "count", "omitted"),
    [
        # Errors first, then the newest other lines in order.
        ([line(1), line(2, level="error"), line(3)], "ERROR line 2", 3, 0),
        # At most 50 lines: errors take the budget before the others.
        ([line(n) for n in range(100)] + [line(200, level="error")], "ERROR line 200", 50, 51),
        ([line(n, level="error") for n in range(80)], "ERROR line 0", 50, 30),
        # At most 8 KB: 500-character lines, about 16 of them.
        ([line(n, text="x" * 2000) for n in range(40)], "INFO x", 16, 24),
        ([], None, 0, 0),
    ],
)
def test_failure_tail_bounds(
    entries: list[dict[str, Any]], first: str | None, count: int, omitted: int
) -> None:
    tail = logs.failure_tail(entries)
    assert len(tail["lines"]) == count
    assert tail["omitted"] == omitted
    assert sum(len(text.encode()) + 1 for text in tail["lines"]) <= logs.TAIL_MAX_BYTES
    assert all(len(text) <= logs.LINE_MAX_CHARS for text in tail["lines"])
    if first is not None:
        assert first in tail["lines"][0]


def test_failure_tail_keeps_newest_other_lines_in_order() -> None:
    tail = logs.failure_tail([line(n) for n in range(60)] + [line(99, level="error")])
    assert tail["lines"][0].endswith("ERROR line 99")
    assert tail["lines"][1].endswith("line 11")
    assert tail["lines"][-1].endswith("line 59")


def test_failure_tail_carries_qovery_explanations_once() -> None:
    broke = {"user_log_message": "it broke", "hint_message": "fix it", "tag": "X"}
    tail = logs.failure_tail([line(1, level="error", error=broke), line(2, level="error", error=dict(broke))])
    assert tail["errors"] == [{"user_log_message": "it broke", "hint_message": "fix it"}]


def test_an_error_object_makes_an_error_line_whatever_its_type() -> None:
    entry = line(1, level="info", error={"user_log_message": "bad"})
    assert logs.is_error_line(entry)
    assert logs.compact_line(entry)["error"] == {"user_log_message": "bad"}


def test_compact_line_cuts_long_messages() -> None:
    compact = logs.compact_line(line(1, text="y" * 5000))
    assert len(compact["message"]) == logs.LINE_MAX_CHARS
    assert "error" not in compact
