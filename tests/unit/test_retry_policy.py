"""The retry policy as a table: from one failed attempt's facts, the wait before the next one, or stop (None)."""

from __future__ import annotations

import pytest

from qovery_job_mcp.qovery.retry_policy import RetryPolicy

POLICY = RetryPolicy(max_attempts=3, backoff_initial=0.5, backoff_max=8.0)


@pytest.mark.parametrize(
    ("attempt", "status", "retry_after", "remaining", "jitter", "expected"),
    [
        # backoff doubles per failed attempt, scaled by 0.5 + jitter / 2
        (1, None, None, 45.0, 0.0, 0.25),
        (1, None, None, 45.0, 1.0, 0.5),
        (2, 503, None, 45.0, 1.0, 1.0),
        (2, 502, None, 45.0, 0.5, 0.75),
        # Retry-After is honoured as given, jitter or not
        (1, 429, 7.0, 45.0, 0.0, 7.0),
        (1, 503, 0.0, 45.0, 0.9, 0.0),
        # the last attempt allowed: stop
        (3, 503, None, 45.0, 0.0, None),
        (3, 429, 1.0, 45.0, 0.0, None),
        # a wait that would reach the deadline is not started
        (1, 429, 60.0, 45.0, 0.0, None),
        (1, 429, 45.0, 45.0, 0.0, None),
        (1, None, None, 0.2, 0.0, None),
        # not worth retrying: a client error, or Qovery's own failure that retrying will not fix
        (1, 400, None, 45.0, 0.0, None),
        (1, 500, None, 45.0, 0.0, None),
    ],
)
def test_next_wait(
    attempt: int,
    status: int | None,
    retry_after: float | None,
    remaining: float,
    jitter: float,
    expected: float | None,
) -> None:
    got = POLICY.next_wait(
        attempt=attempt, status=status, retry_after=retry_after, remaining=remaining, jitter=jitter
    )
    assert got == expected


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(max_attempts=10, backoff_initial=0.5, backoff_max=8.0)
    waits = [
        policy.next_wait(attempt=n, status=None, retry_after=None, remaining=1e9, jitter=1.0)
        for n in range(1, 9)
    ]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]


def test_one_attempt_means_no_retry() -> None:
    policy = RetryPolicy(max_attempts=1)
    assert policy.next_wait(attempt=1, status=503, retry_after=None, remaining=45.0, jitter=0.0) is None


@pytest.mark.parametrize(("status", "retryable"), [(None, True), (429, True), (502, True), (503, True), (504, True),
                                                   (500, False), (400, False), (401, False), (404, False)])  # fmt: skip
def test_which_failures_are_worth_retrying(status: int | None, retryable: bool) -> None:
    assert RetryPolicy.retryable(status) is retryable
