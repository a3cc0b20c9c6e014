"""The command line: refused starts are one line and exit 2; flags win over environment variables."""

from __future__ import annotations

import pytest

from qovery_job_mcp import __version__
from qovery_job_mcp.config import ConfigError, load_settings
from tests.support.helpers import run_cli


def test_missing_key_is_one_line_and_exit_2() -> None:
    proc = run_cli()
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "QOVERY_API_KEY is not set" in lines[0]
    assert "Traceback" not in proc.stderr


def test_unknown_tool_name_is_refused() -> None:
    proc = run_cli("--tools", "get-job-id,drop-database", QOVERY_API_KEY="qov_x")
    assert proc.returncode == 2
    assert "drop-database" in proc.stderr
    assert "Valid names: get-job-id, edit-job" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"qovery-job-mcp {__version__}"


def test_help_lists_transports() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0
    assert "--transport" in proc.stdout
    assert "QOVERY_MCP_TRANSPORT" in proc.stdout


def test_flags_win_over_environment() -> None:
    env = {"QOVERY_API_KEY": "qov_x", "QOVERY_MCP_TRANSPORT": "stdio", "QOVERY_MCP_PORT": "1234"}
    settings = load_settings(["--transport", "streamable-http", "--port", "9999"], env=env)
    assert settings.transport == "http"
    assert settings.effective_port == 9999
    assert load_settings([], env=env).effective_port == 1234
    assert load_settings(["--transport", "http"], env={"QOVERY_API_KEY": "qov_x"}).effective_port == 9090
    assert load_settings(["--transport", "rest"], env={"QOVERY_API_KEY": "qov_x"}).effective_port == 8080


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (
            ["--transport", "grpc"],
            {},
            "--transport must be one of stdio, http, streamable-http, rest, got 'grpc'",
        ),
        (["--port", "http"], {}, "must be a whole number"),
        (["--port", "70000"], {}, "from 1 to 65535"),
        (["--log-level", "loud"], {}, "--log-level must be one of debug"),
        ([], {"QOVERY_TIMEOUT": "soon"}, "QOVERY_TIMEOUT must be a number"),
        ([], {"QOVERY_MAX_ATTEMPTS": "0"}, "QOVERY_MAX_ATTEMPTS must be a whole number from 1 to 10"),
    ],
)
def test_bad_settings(argv: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_settings(argv, env={"QOVERY_API_KEY": "qov_x", **env})


def test_key_is_not_in_settings_repr() -> None:
    settings = load_settings([], env={"QOVERY_API_KEY": "qov_very_secret"})
    assert "qov_very_secret" not in repr(settings)
