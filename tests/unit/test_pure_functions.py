"""Plain unit tests of the pure functions every adapter relies on: no server, no network.

The end-to-end tests prove the tools behave; these pin the rules underneath them (the merge-patch
RFC, the diff and undo that edit results carry, Retry-After, the Authorization header, credential
parsing, redaction and the closest-name hint), so a regression names the function that broke.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qovery_job_mcp.boundary import secrets_in_play
from qovery_job_mcp.qovery.edit import diff, merge_patch, pointer, pointer_parts, undo_patch, version_of
from qovery_job_mcp.qovery.errors import closest_name, quote_input, unknown_name_sentence
from qovery_job_mcp.qovery.retry_policy import parse_retry_after
from qovery_job_mcp.qovery.transport import authorization_header
from qovery_job_mcp.redaction import REDACTED, json_text, occurs_in_json, redact, redact_value
from qovery_job_mcp.web.credentials import caller_credential

# RFC 7386, Appendix A: every example, as (original, patch, result).
RFC_7386_EXAMPLES: list[tuple[Any, Any, Any]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "result"), RFC_7386_EXAMPLES)
def test_merge_patch_follows_rfc_7386_appendix_a(original: Any, patch: Any, result: Any) -> None:
    assert merge_patch(original, patch) == result


def test_merge_patch_leaves_its_inputs_alone() -> None:
    original = {"a": {"b": [1]}}
    patch = {"a": {"c": {"d": 1}}}
    merged = merge_patch(original, patch)
    merged["a"]["b"].append(2)
    merged["a"]["c"]["d"] = 2
    assert original == {"a": {"b": [1]}}
    assert patch == {"a": {"c": {"d": 1}}}


def test_diff_reports_leaves_as_json_pointers_and_arrays_whole() -> None:
    before = {"name": "a", "source": {"image": {"tag": "1"}}, "args": ["x"], "a/b": 1, "gone": True}
    after = {"name": "a", "source": {"image": {"tag": "2"}}, "args": ["x", "y"], "a/b": 2, "new~": 0}
    assert diff(before, after) == [
        {"path": "/a~1b", "before": 1, "after": 2},
        {"path": "/args", "before": ["x"], "after": ["x", "y"]},
        {"path": "/gone", "before": True, "after": None},
        {"path": "/new~0", "before": None, "after": 0},
        {"path": "/source/image/tag", "before": "1", "after": "2"},
    ]
    assert diff(before, before) == []


def test_pointer_escapes_round_trip() -> None:
    parts = ["a/b", "c~d", "plain"]
    assert pointer(parts) == "/a~1b/c~0d/plain"
    assert pointer_parts(pointer(parts)) == parts


def test_undo_patch_restores_the_original() -> None:
    before = {"description": "old", "schedule": {"cronjob": {"scheduled_at": "0 3 * * *"}}, "tmp": 1}
    after = {"description": "new", "schedule": {"cronjob": {"scheduled_at": "0 4 * * *"}}, "added": "x"}
    undo = undo_patch(diff(before, after))
    assert undo == {
        "added": None,
        "description": "old",
        "schedule": {"cronjob": {"scheduled_at": "0 3 * * *"}},
        "tmp": 1,
    }
    assert merge_patch(after, undo) == before


def test_version_ignores_key_order_and_sees_every_setting() -> None:
    assert version_of({"a": 1, "b": {"c": 2}}) == version_of({"b": {"c": 2}, "a": 1})
    assert version_of({"a": 1}) != version_of({"a": 2})
    assert version_of({"a": 1}) != version_of({"a": 1, "unknown_next_month": None})


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("7", 7.0),
        (" 12 ", 12.0),
        ("soon", None),
        ("-3", None),
        ("Wed, 02 Dec 2026 10:00:30 GMT", 30.0),
        ("Wed, 02 Dec 2026 09:59:00 GMT", 0.0),  # a date in the past: no wait, not a negative one
        ("9" * 400, 86_400.0),  # issue 19 #11: a 400-digit header is "longer than a day", never infinity
        ("90000", 86_400.0),
        ("\u00b2", None),  # '²' passes str.isdigit(), not as a number of seconds
        ("Wed, 02 Dec 2099 10:00:30 GMT", 86_400.0),
    ],
)
def test_retry_after_takes_seconds_or_an_http_date(value: str | None, seconds: float | None) -> None:
    now = datetime(2026, 12, 2, 10, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after(value, now=now) == seconds


@pytest.mark.parametrize(
    ("credential", "header"),
    [
        ("qov_abc123", "Token qov_abc123"),
        ("  qov_abc123 ", "Token qov_abc123"),
        ("opaque-legacy-token", "Token opaque-legacy-token"),
        ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"),
        ("token qov_abc", "Token qov_abc"),
        ("BEARER eyJ.a.b", "Bearer eyJ.a.b"),
        ("Bearer qov_abc", "Bearer qov_abc"),  # a scheme the caller chose is kept, even a wrong one
    ],
)
def test_authorization_header_rules(credential: str, header: str) -> None:
    assert authorization_header(credential) == header


@pytest.mark.parametrize(
    ("authorization", "credential"),
    [
        (None, None),
        ("", None),
        ("qov_abc", None),  # no scheme
        ("Basic dXNlcjpwYXNz", None),  # a scheme Qovery does not take
        ("Token ", None),
        ("Token qov a", None),  # whitespace inside the value
        ("Token qov\x00a", None),
        ("token qov_abc", "Token qov_abc"),
        ("  Bearer   eyJ.a.b  ", "Bearer eyJ.a.b"),
    ],
)
def test_caller_credential_parsing(authorization: str | None, credential: str | None) -> None:
    assert caller_credential(authorization) == credential


def test_secrets_in_play_include_the_bare_caller_credential() -> None:
    assert secrets_in_play(["qov_server", None, ""], "Token qov_caller") == (
        "qov_server",
        "Token qov_caller",
        "qov_caller",
    )
    assert secrets_in_play([None], None) == ()


def test_redaction_scrubs_text_and_every_level_of_a_value() -> None:
    secrets = ("Token qov_caller", "qov_caller", None, "ab")
    assert redact("sent Token qov_caller, echoed qov_caller; ab stays", secrets) == (
        f"sent {REDACTED}, echoed {REDACTED}; ab stays"
    )
    value = {"env": [{"qov_caller": "x", "v": "Token qov_caller"}], "n": 3, "ok": None}
    assert redact_value(value, secrets) == {"env": [{REDACTED: "x", "v": REDACTED}], "n": 3, "ok": None}


# Secrets and values with what JSON escapes (quote, backslash, control characters) and what it does not
# (non-ASCII, astral, U+2028, DEL), and secrets too short to be redacted.
ALPHABET = 'qov_"\\\n\t\x00\x1f\x7f\u00e9\u2028\U0001f600ab'
SECRETS = st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=8), max_size=3)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=ALPHABET, max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(alphabet=ALPHABET, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(value=JSON_VALUES, secrets=SECRETS)
def test_a_value_is_walked_for_secrets_whenever_its_json_text_holds_one(
    value: Any, secrets: list[str]
) -> None:
    """The boundary skips the redaction walk when the serialized answer holds no secret: never wrongly.

    The text is made by the serializer the boundary uses, so a change to how it escapes shows here.
    """
    text = json_text(value)
    if redact_value(value, tuple(secrets)) != value:
        assert occurs_in_json(text, secrets)


def test_a_secret_is_found_in_json_text_in_its_escaped_form() -> None:
    value = {"command": 'echo "qov_x\\y"', "name": "caf\u00e9-qov"}
    text = json_text(value)
    assert occurs_in_json(text, ["qov_x\\y"])  # the text holds it with its backslash doubled
    assert occurs_in_json(text, ["\u00e9-qov"])
    assert occurs_in_json(text, ['"qov_x'])  # a quote in a secret: found escaped, as \"qov_x
    assert not occurs_in_json(text, ["qov_z", "ab", None, ""])  # absent, or too short to be redacted


@pytest.mark.parametrize(
    ("slip", "meant"),
    [
        ("dryRun", "dry_run"),
        ("dry-run", "dry_run"),
        ("DRY_RUN", "dry_run"),
        ("jobid", "job_id"),
        ("bdy", "body"),
    ],
)
def test_closest_name_finds_what_a_slip_meant(slip: str, meant: str) -> None:
    assert closest_name(slip, ("job_id", "body", "dry_run", "replace", "expected_version")) == meant


def test_unknown_name_sentence_names_the_slip_and_the_fix() -> None:
    assert unknown_name_sentence(
        "argument 'dryRun'", "dryRun", ["job_id", "dry_run"], "Nothing was sent."
    ) == ("unknown argument 'dryRun': did you mean 'dry_run'? Nothing was sent.")
    assert unknown_name_sentence("argument 'zzz'", "zzz", ["job_id", "job_id"], "Nothing was sent.") == (
        "unknown argument 'zzz'; valid names: job_id. Nothing was sent."
    )


def test_quoted_inputs_are_shortened() -> None:
    quoted = quote_input("x" * 10_000)
    assert len(quoted) < 200
    assert "10000 characters" in quoted
    assert quote_input(5) == "5"


def test_a_null_under_an_unknown_schedule_name_is_kept() -> None:
    """Found by the round-trip property: only the known schedule members answered as null are dropped."""
    from qovery_job_mcp.qovery.edit import job_to_request

    job = {
        "job_type": "CRON",
        "name": "n",
        "healthchecks": {},
        "schedule": {"future_option": None, "on_start": None, "cronjob": {"scheduled_at": "0 2 * * *"}},
    }
    assert job_to_request(job)["schedule"] == {
        "future_option": None,
        "cronjob": {"scheduled_at": "0 2 * * *"},
    }
