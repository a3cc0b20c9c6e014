"""The server as a shared HTTP endpoint: a subprocess serving streamable HTTP on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from mcp import Client

from tests.conftest import API_KEY, NIGHTLY, LiveQovery
from tests.support.http_server import http_server as run_http_server


@pytest.fixture
def http_server(qovery: LiveQovery) -> Iterator[str]:
    with run_http_server(env={"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": qovery.url}) as server:
        yield server.base


def test_healthz(http_server: str) -> None:
    body = httpx.get(f"{http_server}/healthz").json()
    assert body["status"] == "ok"
    assert body["transport"] == "http"


@pytest.mark.anyio
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
