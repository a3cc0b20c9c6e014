"""Qovery's rate-limit headers read as the issue says, and keys that hold no secret."""

from __future__ import annotations

import pytest

from qovery_job_mcp.audit import caller_fingerprint
from qovery_job_mcp.store.keys import credential_hash, marker_digest, reset_time, upstream_from_headers

NOW = 1_800_000_000.0
TOKEN = "qov_test_0123456789abcdefSECRET"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1800000060", 1_800_000_060.0),  # above 10^9: a Unix time
        ("60", NOW + 60),  # below: seconds from now
        ("1000000000", None),  # exactly 10^9: seconds from now, past any believable horizon
        ("0.5", NOW + 0.5),
        ("1700000000", None),  # a Unix time in the past says nothing
        ("soon", None),
        ("-5", None),
        ("nan", None),
        (None, None),
    ],
)
def test_a_reset_above_10_9_is_a_unix_time_and_below_it_seconds_from_now(
    value: str | None, expected: float | None
) -> None:
    assert reset_time(value, NOW) == expected


def test_the_headers_become_absolute_hints() -> None:
    hints = upstream_from_headers({"X-RateLimit-Remaining": "17", "X-RateLimit-Reset": "120"}, NOW)
    assert hints.remaining == 17
    assert hints.reset_at == NOW + 120
    assert hints.blocked_until is None
    assert not hints.is_empty()


def test_a_429_retry_after_blocks_until_then() -> None:
    hints = upstream_from_headers({}, NOW, retry_after_seconds=30)
    assert hints.blocked_until == NOW + 30
    assert hints.remaining is None


@pytest.mark.parametrize("retry_after", [None, 0.0, 10 * 24 * 3600.0])
def test_no_or_absurd_retry_after_blocks_nothing(retry_after: float | None) -> None:
    assert upstream_from_headers({"X-RateLimit-Remaining": "x"}, NOW, retry_after).is_empty()


def test_keys_hold_hashes_never_the_secret() -> None:
    key = credential_hash(TOKEN)
    assert TOKEN not in key
    assert "SECRET" not in key
    assert key == caller_fingerprint(TOKEN), "the same name the audit trail gives the caller"
    assert credential_hash(f"Token {TOKEN}") == key, "with or without its scheme, one budget"
    with pytest.raises(ValueError, match="empty"):
        credential_hash("")
    digest = marker_digest("sealed-state")
    assert len(digest) == 64
    assert digest == marker_digest(b"sealed-state")
    assert "sealed" not in digest
