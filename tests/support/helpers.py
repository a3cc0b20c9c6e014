"""Small assertions shared by the tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from mcp.types import CallToolResult

from tests.support.constants import ROOT

PYTHON = sys.executable

#: The first message of a 2025-11-25 handshake, for tests that speak raw JSON-RPC.
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "qovery-job-mcp-tests", "version": "1"},
    },
}


def error_text(result: CallToolResult) -> str:
    assert result.is_error, f"expected a tool error, got {result.structured_content!r}"
    text = result.content[0].text  # type: ignore[union-attr]
    assert isinstance(text, str)
    return text


def subprocess_env(**extra: str) -> dict[str, str]:
    """A clean environment for spawning the server: no inherited Qovery variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QOVERY_")}
    env.update(extra)
    return env


def installed_binary(name: str, install_script: str) -> str:
    """`name` on PATH, installed by scripts/`install_script` if missing; skip the test when neither works."""
    found = shutil.which(name)
    if found is None:
        subprocess.run(["bash", str(ROOT / "scripts" / install_script)], check=False, timeout=300)
        found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed and scripts/{install_script} could not install it here")
    return found


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the command as a user would, with a clean environment plus `env`; bounded at 30 s."""
    return subprocess.run(
        [PYTHON, "-m", "qovery_job_mcp", *args],
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
