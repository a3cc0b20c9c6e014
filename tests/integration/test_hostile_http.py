"""Issue 19, findings 7, 9 and 17: the HTTP surfaces against a hostile upstream and a hostile caller.

Our MCP HTTP app and REST app run in this process on real loopback ports (uvicorn threads), in
front of `tests.support.hostile`; requests are raw httpx, so every header is the test's choice.
All three are phase 2 (web/access.py, web/rest/app.py, mcp_server/server.py are being restructured).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from qovery_job_mcp.config import Settings
from qovery_job_mcp.mcp_server.http import build_http_app, caller_credential_from_context
from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.mcp_server.tools._render import no_caller_credential
from qovery_job_mcp.operations.jobs import JobOperations
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.constants import CLEANUP, NIGHTLY
from tests.support.helpers import INITIALIZE
from tests.support.hostile import Hostile, Reply
from tests.support.loopback import serve_on_loopback

MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def per_request(upstream: tuple[Hostile, str], fake_time: FakeTime) -> Iterator[str]:
    """Our MCP HTTP app in per-request credential mode (no server key), on a loopback port."""
    _, url = upstream
    settings = Settings(api_url=url, transport="http", timeout=5.0, deadline=20.0, json_response=True)
    server = build_server(
        settings,
        client=make_qovery_client(settings, fake_time),
        resolve_credential=caller_credential_from_context,
    )
    with serve_on_loopback(build_http_app(server, settings), lifespan="on") as base:
        yield base


@pytest.fixture
def server_key(upstream: tuple[Hostile, str], fake_time: FakeTime) -> Iterator[str]:
    """Our MCP HTTP app with the server's own key, bound to loopback (where /metrics is open)."""
    _, url = upstream
    settings = make_settings(url, transport="http", json_response=True)
    server = build_server(
        settings, client=make_qovery_client(settings, fake_time), resolve_credential=no_caller_credential
    )
    with serve_on_loopback(build_http_app(server, settings), lifespan="on") as base:
        yield base


def test_7_a_made_up_token_leaves_no_session_behind(upstream: tuple[Hostile, str], per_request: str) -> None:
    hostile, _ = upstream
    hostile.on("GET", "job", Reply(status=401, body=b'{"status":401,"detail":"bad token"}'))
    made_up = {**MCP_HEADERS, "Authorization": "Token qov_made_up_0000000000000000"}
    with httpx.Client(base_url=per_request, timeout=10) as http:
        opened = http.post("/mcp", json=INITIALIZE, headers=made_up)
        assert opened.status_code == 200, opened.text
        session = opened.headers["mcp-session-id"]
        headers = {**made_up, "Mcp-Session-Id": session, "Mcp-Protocol-Version": "2025-11-25"}
        http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "get-job-id", "arguments": {"job_id": NIGHTLY}},
        }
        refused = http.post("/mcp", json=call, headers=headers)
        assert "401" in refused.text or "refused" in refused.text.lower(), refused.text
        again = http.post("/mcp", json={**call, "id": 3}, headers=headers)
    assert again.status_code == 404, "the session of a caller Qovery refused is still kept"


def test_9_rest_delete_honours_if_match(upstream: tuple[Hostile, str], fake_time: FakeTime) -> None:
    hostile, url = upstream
    settings = make_settings(url, transport="rest")
    app = build_rest_app(settings, JobOperations(make_qovery_client(settings, fake_time)))
    with serve_on_loopback(app, lifespan="on") as rest, httpx.Client(base_url=rest, timeout=10) as http:
        stale = http.delete(f"/v1/job/{CLEANUP}", headers={"If-Match": '"0000000000000000"'})
    assert stale.status_code == 412, stale.text
    assert hostile.writes() == []
    assert CLEANUP in hostile.jobs


@pytest.mark.parametrize("host", [b"127.0.0.1:\xb2", b"localhost:\xb3", b"127.0.0.1:8080\xb9"])
def test_17_a_port_of_non_ascii_digits_is_refused(server_key: str, host: bytes) -> None:
    """HTTP headers are read as Latin-1: byte B2 is '²', which str.isdigit() takes for a digit."""
    with httpx.Client(base_url=server_key, timeout=10, headers=MCP_HEADERS) as http:
        answer = http.post("/mcp", json=INITIALIZE, headers={b"Host": host})
    assert answer.status_code == 421, answer.text


def test_17_metrics_refuses_a_foreign_host(server_key: str) -> None:
    with httpx.Client(base_url=server_key, timeout=10) as http:
        foreign = http.get("/metrics", headers={"Host": "rebinding.example"})
        healthz = http.get("/healthz", headers={"Host": "rebinding.example"})
    assert foreign.status_code == 421, foreign.text[:200]
    assert healthz.status_code == 200


def test_7_sessions_are_capped_with_a_clear_503(upstream: tuple[Hostile, str], fake_time: FakeTime) -> None:
    _, url = upstream
    settings = Settings(
        api_url=url, transport="http", timeout=5.0, deadline=20.0, json_response=True, max_sessions=2
    )
    server = build_server(
        settings,
        client=make_qovery_client(settings, fake_time),
        resolve_credential=caller_credential_from_context,
    )
    headers = {**MCP_HEADERS, "Authorization": "Token qov_made_up_0000000000000000"}
    with (
        serve_on_loopback(build_http_app(server, settings), lifespan="on") as base,
        httpx.Client(base_url=base, timeout=10) as http,
    ):
        opened = [http.post("/mcp", json=INITIALIZE, headers=headers) for _ in range(3)]
    assert [answer.status_code for answer in opened] == [200, 200, 503]
    full = opened[2]
    assert full.headers["content-type"].startswith("application/problem+json")
    assert full.headers["Retry-After"].isdigit()
    assert "QOVERY_MCP_MAX_SESSIONS" in full.json()["detail"]
