"""server.json (the MCP registry entry), versions and the README's promises, checked against each other."""

from __future__ import annotations

import json
import re
import sys

import pytest

from qovery_job_mcp import __version__
from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.operations import OPERATION_NAMES as TOOL_NAMES
from tests.support.clients import make_settings
from tests.support.constants import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    tomllib = pytest.importorskip("tomli")

SERVER_JSON = json.loads((ROOT / "server.json").read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
README = (ROOT / "README.md").read_text()
NAME_RE = re.compile(r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$")


def test_versions_agree() -> None:
    # One place: pyproject takes it from the package (hatch's dynamic version), server.json must agree.
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert "version" not in PYPROJECT["project"]
    version = __version__
    assert SERVER_JSON["version"] == version
    assert all(package["version"] == version for package in SERVER_JSON["packages"])
    server = build_server(make_settings("http://127.0.0.1:1"))
    assert server.version == version


def test_server_json_follows_the_registry_schema() -> None:
    doc = SERVER_JSON
    assert doc["$schema"] == "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
    assert NAME_RE.match(doc["name"])
    assert 3 <= len(doc["name"]) <= 200
    assert doc["name"].startswith("io.github.")
    assert 1 <= len(doc["description"]) <= 100
    assert 1 <= len(doc["title"]) <= 100
    assert re.match(r"^https?://", doc["websiteUrl"])
    assert doc["repository"]["source"] == "github"
    for package in doc["packages"]:
        assert package["registryType"] == "pypi"
        assert package["identifier"] == PYPROJECT["project"]["name"]
        assert package["runtimeHint"] == "uvx"
        assert package["transport"]["type"] in {"stdio", "streamable-http", "sse"}
        assert package["version"] != "latest"
        assert not re.search(r"[<>=^~*]", package["version"])
    stdio = next(p for p in doc["packages"] if p["transport"]["type"] == "stdio")
    secret = {v["name"]: v for v in stdio["environmentVariables"]}["QOVERY_API_KEY"]
    assert secret["isSecret"] is True
    assert secret["isRequired"] is True


def test_readme_claims_registry_ownership_and_lists_every_tool() -> None:
    assert f"<!-- mcp-name: {SERVER_JSON['name']} -->" in README
    for name in TOOL_NAMES:
        assert f"`{name}`" in README
    assert "uv run pytest" in README


def test_console_script_points_at_main() -> None:
    assert PYPROJECT["project"]["scripts"]["qovery-job-mcp"] == "qovery_job_mcp.cli:main"
