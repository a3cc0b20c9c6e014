"""The Dockerfile's promises, checked without a container engine (none runs where the tests run).

What can be checked here is checked for real: its command line is one our config accepts (and
refuses when it would lend a key to the network), and its HEALTHCHECK command, run as written,
succeeds against a live server and fails against a dead one.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from qovery_job_mcp.config import ConfigError, load_settings
from tests.support.constants import API_KEY, ROOT
from tests.support.helpers import PYTHON, subprocess_env
from tests.support.http_server import http_server
from tests.support.ports import free_port

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instruction(name: str) -> str:
    """The last `name` instruction of the final stage, continuation lines joined."""
    text = DOCKERFILE.replace("\\\n", " ")
    matches = re.findall(rf"^{name}\s+(.*)$", text, flags=re.MULTILINE)
    assert matches, f"no {name} in the Dockerfile"
    return str(matches[-1])


def test_final_stage_is_slim_and_non_root() -> None:
    stages = re.findall(r"^FROM\s+(\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert stages[-1].startswith("python:")
    assert stages[-1].endswith("-slim")
    user = instruction("USER")
    assert user not in ("root", "0")
    assert "--uid 10001" in DOCKERFILE


def test_command_is_stateless_http_on_all_interfaces() -> None:
    entrypoint = json.loads(instruction("ENTRYPOINT"))
    command = json.loads(instruction("CMD"))
    assert entrypoint == ["qovery-job-mcp"]
    assert command == ["--transport", "http", "--host", "0.0.0.0", "--stateless"]
    settings = load_settings(command, env={})
    assert (settings.transport, settings.stateless, settings.credentials_mode) == (
        "http",
        True,
        "per-request",
    )
    assert load_settings(command, env={"QOVERY_API_KEY": API_KEY, "QOVERY_MCP_AUTH_TOKEN": "t"}).auth_token
    with pytest.raises(ConfigError, match=r"Refusing to serve on 0\.0\.0\.0"):
        load_settings(command, env={"QOVERY_API_KEY": API_KEY})


def healthcheck(port: int) -> int:
    probe = json.loads(instruction("HEALTHCHECK").split(" CMD ", 1)[1])
    assert probe[0] == "python"
    env = subprocess_env(QOVERY_MCP_PORT=str(port))
    return subprocess.run(
        [PYTHON, *probe[1:]], env=env, capture_output=True, timeout=30, check=False
    ).returncode


def test_healthcheck_command_probes_healthz() -> None:
    with http_server("--demo") as server:
        assert healthcheck(server.port) == 0
    assert healthcheck(free_port()) != 0
