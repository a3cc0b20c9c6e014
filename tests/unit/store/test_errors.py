"""The store's refusals are the package's typed errors, each saying that nothing was sent."""

from __future__ import annotations

from qovery_job_mcp.qovery.errors import JobError
from qovery_job_mcp.store.errors import (
    BudgetSpentError,
    JobBusyError,
    LeaseLostError,
    StateAlreadyUsedError,
    StoreUnavailableError,
)

NOW = 1_800_000_000.0


def test_every_refusal_is_a_job_error_that_sent_nothing() -> None:
    errors: list[JobError] = [
        JobBusyError("job-1", 5.0),
        LeaseLostError("job-1"),
        StateAlreadyUsedError(),
        BudgetSpentError(NOW + 90, now=NOW),
        StoreUnavailableError("redis://:***@redis:6379/0", "ConnectionError"),
    ]
    for error in errors:
        assert isinstance(error, JobError)
        assert "nothing was sent" in error.message
        assert error.kind != "error"
    assert {error.http_status for error in errors} == {409, 429, 503}


def test_a_spent_budget_says_when_to_retry() -> None:
    error = BudgetSpentError(NOW + 89.2, now=NOW)
    assert "Retry after 2027-01-15T08:01:29Z (in 90 s)" in error.message
    assert error.problem_headers() == {"Retry-After": "90"}
    assert error.problem_extra() == {"retry_after_seconds": 90, "retry_at": "2027-01-15T08:01:29Z"}
    assert BudgetSpentError(NOW - 5, now=NOW).problem_headers() == {"Retry-After": "0"}


def test_the_unreachable_sentence() -> None:
    error = StoreUnavailableError("redis://:***@redis:6379/0", "TimeoutError")
    assert (
        error.message
        == "the shared state store at redis://:***@redis:6379/0 is unreachable; nothing was sent."
    )
    assert error.reason == "TimeoutError"
