"""Configuration fails closed: a value that is not understood stops the start, in one line, exit 2.

A typo in a safety switch (`QOVERY_MCP_READ_ONLY=maybe`) must never quietly turn it off, a URL that
is not one must not be blamed on Qovery later, and a selection that leaves no tool is a mistake. The
documentation's table of options (checked in tests/e2e/test_docs_site.py) and `--help` are both built from
the one table in config.py.
"""

from __future__ import annotations

import re

import pytest

from qovery_job_mcp.config import OPTIONS, ConfigError, load_settings

KEY = {"QOVERY_API_KEY": "qov_test_key"}


@pytest.mark.parametrize("word", ["maybe", "2", "enabled", "tru", "y"])
@pytest.mark.parametrize(
    "variable",
    [o.variable for o in OPTIONS if o.switch],
)
def test_a_boolean_accepts_only_the_documented_spellings(variable: str, word: str) -> None:
    with pytest.raises(ConfigError, match=rf"{variable} must be one of 1, true, yes, on \(on\) or 0, false"):
        load_settings([], {**KEY, variable: word})


@pytest.mark.parametrize(
    ("word", "on"), [("1", True), ("TRUE", True), ("On", True), ("no", False), ("0", False)]
)
def test_read_only_spellings(word: str, on: bool) -> None:
    assert load_settings([], {**KEY, "QOVERY_MCP_READ_ONLY": word}).read_only is on


def test_an_empty_variable_is_an_unset_one() -> None:
    assert load_settings([], {**KEY, "QOVERY_MCP_READ_ONLY": "", "QOVERY_TIMEOUT": " "}).timeout == 30.0


@pytest.mark.parametrize(
    "url",
    ["notaurl", "ftp://x", "http://api.qovery.com", "https://", "//api.qovery.com", "http://10.0.0.1:8080"],
)
def test_the_api_url_must_be_https_or_loopback_http(url: str) -> None:
    with pytest.raises(ConfigError, match="QOVERY_API_URL must be an absolute https:// URL"):
        load_settings([], {**KEY, "QOVERY_API_URL": url})


@pytest.mark.parametrize(
    "url", ["https://api.qovery.com/", "http://127.0.0.1:8123", "http://localhost:1", "http://[::1]:9"]
)
def test_accepted_api_urls(url: str) -> None:
    assert load_settings([], {**KEY, "QOVERY_API_URL": url}).api_url == url.rstrip("/")


@pytest.mark.parametrize(
    "argv",
    [
        ["--exclude-tools", "get-job-id,edit-job,delete-job,list-last-job-commits,get-job-status"],
        ["--read-only", "--tools", "edit-job"],
        ["--tools", "delete-job", "--exclude-tools", "delete-job"],
    ],
)
def test_zero_offered_tools_is_an_error(argv: list[str]) -> None:
    with pytest.raises(ConfigError, match="No tool would be offered"):
        load_settings(argv, KEY)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"QOVERY_MCP_CONFIRM": "sometimes"},
            "QOVERY_MCP_CONFIRM must be one of delete, writes, strict, off",
        ),
        ({"QOVERY_AUTH_SCHEME": "token"}, "QOVERY_AUTH_SCHEME must be one of Token, Bearer"),
        ({"QOVERY_MCP_STATE_KEY": "short"}, "QOVERY_MCP_STATE_KEY must be at least 32 bytes"),
        ({"QOVERY_DEADLINE": "inf"}, "QOVERY_DEADLINE must be a number of seconds greater than 0"),
        ({"QOVERY_MCP_SHUTDOWN_GRACE": "-1"}, "QOVERY_MCP_SHUTDOWN_GRACE must be a number of seconds"),
        ({"QOVERY_MCP_PORT": "80.5"}, "QOVERY_MCP_PORT must be a whole number from 1 to 65535"),
    ],
)
def test_other_values_are_parsed_strictly(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings([], {**KEY, **env})


def test_the_demo_ignores_a_real_key_and_says_so() -> None:
    settings = load_settings(["--demo"], {"QOVERY_API_KEY": "qov_real_user_key"})
    assert settings.api_key is None
    assert settings.demo_ignored_api_key
    assert "qov_real_user_key" not in repr(settings)
