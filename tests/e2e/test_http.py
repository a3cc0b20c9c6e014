"""The server as a shared HTTP endpoint: a subprocess serving streamable HTTP on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from mcp import Client

from tests.support.constants import API_KEY, NIGHTLY
from tests.support.http_server import http_server as run_http_server
from tests.support.simulator import LiveQovery


@pytest.fixture
def http_server(qovery: LiveQovery) -> Iterator[str]:
    with run_http_server(env={"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": qovery.url}) as server:
        yield server.base


def test_healthz(http_server: str) -> None:
    body = httpx.get(f"{http_server}/healthz").json()
    assert body["status"] == "ok"
    assert body["transport"] == "http"


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_tools_over_http(http_server: str, qovery: LiveQovery, mode: str) -> None:
    async with Client(f"{http_server}/mcp", mode=mode) as client:
        names = sorted(t.name for t in (await client.list_tools()).tools)
        assert names == sorted(
            ["get-job-id", "edit-job", "delete-job", "list-last-job-commits", "get-job-status"]
        )
        result = await client.call_tool("get-job-status", {"job_id": NIGHTLY})
        assert result.structured_content == qovery.sim.statuses[NIGHTLY]


def test_foreign_host_header_is_refused(http_server: str) -> None:
    response = httpx.post(
        f"{http_server}/mcp",
        headers={
            "Host": "evil.example",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        },
        content=b"{}",
    )
    assert response.status_code == 421
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(":invalid-host")


INITIALIZE_BODY = (
    b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",'
    b'"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
)


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "LOCALHOST"},
        {"Host": "LocalHost:9090"},
        {"Host": "127.0.0.1", "Origin": "HTTP://LOCALHOST:3000"},
    ],
)
def test_host_and_origin_are_compared_case_insensitively(http_server: str, headers: dict[str, str]) -> None:
    response = httpx.post(
        f"{http_server}/mcp",
        headers={
            **headers,
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        },
        content=INITIALIZE_BODY,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [
        ("POST", {"Content-Type": "text/plain", "Accept": "application/json, text/event-stream"}, 400),
        ("POST", {"Host": "evil.example", "Content-Type": "application/json"}, 421),
        ("POST", {"Origin": "https://evil.example", "Content-Type": "application/json"}, 403),
    ],
)
def test_every_refusal_on_mcp_is_a_problem_document(
    http_server: str, method: str, headers: dict[str, str], status: int
) -> None:
    response = httpx.request(method, f"{http_server}/mcp", headers=headers, content=INITIALIZE_BODY)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json", response.text
    problem = response.json()
    assert problem["status"] == status
    assert problem["detail"].endswith(".")


def test_json_rpc_errors_stay_json_rpc(http_server: str) -> None:
    """An answer in the protocol's own terms (an unknown session) is for the MCP client: left as it is."""
    response = httpx.delete(f"{http_server}/mcp", headers={"Mcp-Session-Id": "no-such-session"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["message"] == "Session not found"


@pytest.mark.parametrize(("transport", "path"), [("http", "/mcp"), ("rest", "/v1")])
def test_a_ready_server_says_where_it_listens_in_one_line(
    qovery: LiveQovery, transport: str, path: str
) -> None:
    env = {"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": qovery.url}
    with run_http_server(env=env, transport=transport) as server:
        lines = [line for line in server.stderr().splitlines() if "listening on" in line]
    assert lines == [f"qovery-job-mcp: listening on http://127.0.0.1:{server.port}{path}"]
