"""Refused starts through the real command: exactly one line on stderr, exit status 2, and --help lists every option.

The rules themselves are tested without a process in tests/unit/test_config_fail_closed.py and test_http_config.py.
"""

from __future__ import annotations

import subprocess

import pytest

from qovery_job_mcp.config import (
    OPTIONS,
)
from tests.support.constants import API_KEY
from tests.support.helpers import PYTHON, run_cli, subprocess_env

KEY = {"QOVERY_API_KEY": API_KEY}


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        ((), {**KEY, "QOVERY_MCP_READ_ONLY": "maybe"}, "QOVERY_MCP_READ_ONLY must be one of"),
        (("--demo",), {"QOVERY_MCP_READ_ONLY": "maybe"}, "QOVERY_MCP_READ_ONLY must be one of"),
        (
            ("--demo", "--exclude-tools", "get-job-id,get-job-status,list-last-job-commits", "--read-only"),
            {},
            "No tool",
        ),
        ((), {**KEY, "QOVERY_API_URL": "ftp://x"}, "QOVERY_API_URL must be"),
        (
            ("--demo", "--toolsets", "jobs,deploi"),
            {},
            "--toolsets must be a comma list of jobs, deploy; unknown 'deploi'",
        ),
        (("--demo",), {"QOVERY_MCP_TOOLSETS": "deployments"}, "QOVERY_MCP_TOOLSETS must be a comma list"),
        (("--transport", "http", "--port", "0"), KEY, "--port must be a whole number"),
    ],
)
def test_every_refused_start_is_exactly_one_line_and_exit_2(
    args: tuple[str, ...], env: dict[str, str], needle: str
) -> None:
    proc = run_cli(*args, **env)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr  # no DEMO MODE banner before the refusal
    assert lines[0].startswith("qovery-job-mcp: ")
    assert needle in lines[0]


def test_help_lists_every_option_its_variable_its_default_and_the_credentials() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0
    flat = " ".join(proc.stdout.split())
    for option in OPTIONS:
        assert option.variable in flat
        if option.flag:
            assert option.flag in flat
        assert f"Default: {option.default_text()}." in flat
    for credential in ("QOVERY_API_KEY", "QOVERY_API_URL", "QOVERY_TIMEOUT", "QOVERY_MCP_AUTH_TOKEN"):
        assert credential in flat


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--host", "0.0.0.0"], KEY, "--allow-unauthenticated"),
        ([], {"QOVERY_MCP_AUTH_TOKEN": "s3cret"}, "QOVERY_MCP_AUTH_TOKEN is set but QOVERY_API_KEY is not"),
        (["--tools", "get-job-id,launch-rocket"], KEY, "Valid names: get-job-id"),
    ],
)
def test_refused_start_is_one_line_exit_2(args: list[str], env: dict[str, str], expected: str) -> None:
    proc = subprocess.run(
        [PYTHON, "-m", "qovery_job_mcp", "--transport", "http", "--port", "1", *args],
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("qovery-job-mcp: ")
    assert expected in lines[0]
    assert proc.stdout == ""
