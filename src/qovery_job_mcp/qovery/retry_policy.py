"""The retry policy, pure: from a failed attempt's facts, wait how long before the next one, or stop.

No clock, no sleep, no randomness of its own (the jitter is an argument), no I/O: tests/test_retry_policy.py
checks it as a table. The client (client.py) runs the loop: it measures the time left, draws the jitter, sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 8.0


class Transient(Exception):
    """One failed attempt worth retrying: why, Qovery's status if it answered, and its Retry-After."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """At most `max_attempts` attempts per call; exponential backoff with jitter unless Qovery says how long."""

    max_attempts: int = 3
    backoff_initial: float = BACKOFF_INITIAL
    backoff_max: float = BACKOFF_MAX

    @staticmethod
    def retryable(status: int | None) -> bool:
        """A transport failure or timeout (no status), a rate limit, or a gateway error is worth retrying."""
        return status is None or status in RETRYABLE_STATUSES

    def next_wait(
        self,
        *,
        attempt: int,
        status: int | None,
        retry_after: float | None,
        remaining: float,
        jitter: float,
    ) -> float | None:
        """Seconds to wait after failed attempt number `attempt` (1 for the first), or None to stop.

        `retry_after` is Qovery's Retry-After in seconds, honoured as given; otherwise the backoff doubles from
        `backoff_initial` up to `backoff_max`, scaled by 0.5 + jitter / 2 (`jitter` in [0, 1)). A wait that
        would reach past the call's `remaining` seconds is not started: the call stops and says why.
        """
        if not self.retryable(status) or attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            wait = retry_after
        else:
            backoff = min(self.backoff_max, self.backoff_initial * 2.0 ** (attempt - 1))
            wait = backoff * (0.5 + jitter / 2)
        return None if wait >= remaining else wait


#: The longest wait a parsed Retry-After may say (a day): a 400-digit header is not a number to compute with.
MAX_RETRY_AFTER = 86_400.0
_MAX_DIGITS = 9


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header, in its delta-seconds or HTTP-date form, at most a day.

    Only ASCII digits count (`str.isdigit` takes '²' too); more than nine of them mean "longer than a day".
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return MAX_RETRY_AFTER if len(value) > _MAX_DIGITS else min(float(value), MAX_RETRY_AFTER)
    if len(value) > 64:  # no HTTP-date is that long
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return min(MAX_RETRY_AFTER, max(0.0, (when - now).total_seconds()))
