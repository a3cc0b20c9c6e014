"""What the store is keyed by, and what Qovery's rate-limit headers mean: pure functions.

Keys never hold a credential or a confirmation state, only keyed hashes of them: a credential is
named by the audit trail's fingerprint (the same `cred:…` an operator sees on audit lines), a
used marker by a SHA-256 of what was used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from qovery_job_mcp.audit import caller_fingerprint
from qovery_job_mcp.store.base import UpstreamBudget

#: A reset value above this is a Unix time; at or below it, seconds from now (Qovery does not say).
UNIX_TIME_THRESHOLD = 1_000_000_000
#: An upstream hint further away than this is not believed (a garbled header must not block a day).
MAX_UPSTREAM_HORIZON_SECONDS = 24 * 3600.0


def credential_hash(credential: str) -> str:
    """The name a credential's budget is kept and measured under: `cred:` and 12 hex digits, never the credential."""
    if not credential:
        raise ValueError("a request budget belongs to a credential; got an empty one")
    return caller_fingerprint(credential)


def marker_digest(value: str | bytes) -> str:
    """The key a single-use marker is recorded under: a SHA-256 of the value, never the value."""
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and value >= 0 else None  # not NaN, not negative


def reset_time(value: str | None, now: float) -> float | None:
    """X-RateLimit-Reset as a Unix time: above 10^9 it is one already, otherwise seconds from now."""
    number = _number(value)
    if number is None:
        return None
    at = number if number > UNIX_TIME_THRESHOLD else now + number
    return at if now < at <= now + MAX_UPSTREAM_HORIZON_SECONDS else None


def upstream_from_headers(
    headers: Mapping[str, str], now: float, retry_after_seconds: float | None = None
) -> UpstreamBudget:
    """Qovery's budget hints on one answer: X-RateLimit-Remaining/-Reset and a 429's Retry-After.

    `headers` is case-insensitive when it is httpx's; plain dicts are looked up in both spellings.
    `retry_after_seconds` is the client's reading of Retry-After (delta-seconds or HTTP-date).
    """

    def header(name: str) -> str | None:
        found = headers.get(name)
        return found if found is not None else headers.get(name.lower())

    remaining_number = _number(header("X-RateLimit-Remaining"))
    remaining = int(remaining_number) if remaining_number is not None else None
    reset_at = reset_time(header("X-RateLimit-Reset"), now)
    blocked_until = None
    if retry_after_seconds is not None and 0 < retry_after_seconds <= MAX_UPSTREAM_HORIZON_SECONDS:
        blocked_until = now + retry_after_seconds
    return UpstreamBudget(remaining=remaining, reset_at=reset_at, blocked_until=blocked_until)
