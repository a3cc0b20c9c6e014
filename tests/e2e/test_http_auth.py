"""Server-held key over HTTP: the shared Bearer token, Host/Origin allow-lists, body limit, /healthz."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from qovery_job_mcp import __version__
from tests.support.constants import API_KEY, NIGHTLY
from tests.support.helpers import INITIALIZE
from tests.support.http_server import RunningServer, http_client, http_server
from tests.support.simulator import LiveQovery, simulated_qovery

TOKEN = "shared-caller-token-7c1f9a"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def post(
    server: RunningServer, headers: dict[str, str] | None = None, body: Any = INITIALIZE
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(server.url, content=content, headers={**MCP_HEADERS, **(headers or {})}, timeout=30)


@pytest.fixture(scope="module")
def guarded_pair() -> Iterator[tuple[RunningServer, LiveQovery]]:
    with simulated_qovery() as qovery:
        env = {"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": qovery.url, "QOVERY_MCP_AUTH_TOKEN": TOKEN}
        with http_server("--allowed-hosts", "mcp.example.com", "--log-level", "DEBUG", env=env) as server:
            yield server, qovery


@pytest.fixture
def guarded(guarded_pair: tuple[RunningServer, LiveQovery]) -> RunningServer:
    return guarded_pair[0]


@pytest.fixture
def qovery(guarded_pair: tuple[RunningServer, LiveQovery]) -> LiveQovery:
    """The module's simulated API, its request log emptied for each test."""
    guarded_pair[1].sim.requests.clear()
    return guarded_pair[1]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Token {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer"],
)
def test_missing_or_wrong_token_is_401(
    guarded: RunningServer, qovery: LiveQovery, authorization: str | None
) -> None:
    response = post(guarded, {"Authorization": authorization} if authorization else {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "QOVERY_MCP_AUTH_TOKEN" in response.json()["detail"]
    assert "mcp-session-id" not in response.headers
    assert qovery.sim.requests == []


async def test_right_token_reaches_the_tools_with_the_server_key(
    guarded: RunningServer, qovery: LiveQovery
) -> None:
    async with http_client(guarded.url, {"Authorization": f"Bearer {TOKEN}"}) as client:
        tools = await client.list_tools()
        assert len(tools.tools) == 5
        result = await client.call_tool("get-job-status", {"job_id": NIGHTLY})
    assert not result.is_error
    # Qovery saw the server's key, never the callers' shared token.
    assert [r.authorization for r in qovery.sim.requests] == [f"Token {API_KEY}"]
    assert TOKEN not in guarded.stderr()
    assert API_KEY not in guarded.stderr()


def test_healthz_is_open_and_describes_the_server(guarded: RunningServer) -> None:
    response = httpx.get(f"{guarded.base}/healthz", headers={"Host": "10.1.2.3:9090"}, timeout=10)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "version": __version__,
        "transport": "http",
        "read_only": False,
        "credentials": "server",
        "demo": False,
        "store": {"kind": "memory", "status": "ok"},
    }


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Host": "evil.example.net"}, 421),
        ({"Host": "evil.example.net:80"}, 421),
        ({"Host": "localhost.evil.net:9090"}, 421),
        ({"Origin": "http://evil.example.net"}, 403),
        ({"Origin": "https://localhost.evil.net:443"}, 403),
        ({"Origin": "null"}, 403),
    ],
)
def test_dns_rebinding_is_refused_before_auth(
    guarded: RunningServer, headers: dict[str, str], status: int
) -> None:
    # Even with the right token: a browser tricked into calling us must not get through.
    response = post(guarded, {"Authorization": f"Bearer {TOKEN}", **headers})
    assert response.status_code == status
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "mcp.example.com"},
        {"Host": "localhost:9090", "Origin": "http://localhost:5173"},
        {"Host": "[::1]:9090", "Origin": "https://127.0.0.1"},
    ],
)
def test_allowed_hosts_and_origins_pass(guarded: RunningServer, headers: dict[str, str]) -> None:
    response = post(guarded, {"Authorization": f"Bearer {TOKEN}", **headers})
    assert response.status_code == 200, response.text


async def test_oversized_body_is_413_and_the_session_carries_on(guarded: RunningServer) -> None:
    async with http_client(guarded.url, {"Authorization": f"Bearer {TOKEN}"}, mode="legacy") as client:
        await client.list_tools()
        huge = {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {"name": "get-job-id", "arguments": {"job_id": "x" * (4 * 1024 * 1024 + 10)}},
        }
        response = post(guarded, {"Authorization": f"Bearer {TOKEN}"}, huge)
        assert response.status_code == 413
        # The same session, and the server, still work.
        result = await client.call_tool("get-job-status", {"job_id": NIGHTLY})
        assert not result.is_error
    assert post(guarded, {"Authorization": f"Bearer {TOKEN}"}).status_code == 200
