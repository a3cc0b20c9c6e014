"""Read-only mode and tool selection hold on stdio and on HTTP alike (a flag HTTP ignored is a known bug)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from mcp import Client, StdioServerParameters

from tests.support.constants import API_KEY, CLEANUP, NIGHTLY
from tests.support.helpers import PYTHON, error_text, subprocess_env
from tests.support.http_server import RunningServer, http_client, http_server
from tests.support.simulator import LiveQovery, simulated_qovery

READ_ONLY_TOOLS = {"get-job-id", "list-last-job-commits", "get-job-status"}
WRITES = (
    ("delete-job", {"job_id": CLEANUP}),
    ("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 1000}}),
)


@pytest.fixture(scope="module")
def sim() -> Iterator[LiveQovery]:
    with simulated_qovery() as qovery:
        yield qovery


@pytest.fixture(scope="module")
def read_only_http(sim: LiveQovery) -> Iterator[RunningServer]:
    env = {"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": sim.url, "QOVERY_MCP_READ_ONLY": "1"}
    with http_server(env=env) as server:
        yield server


@asynccontextmanager
async def stdio_client(sim: LiveQovery, *args: str, **env: str) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=PYTHON,
        args=["-m", "qovery_job_mcp", *args],
        env=subprocess_env(QOVERY_API_KEY=API_KEY, QOVERY_API_URL=sim.url, **env),
    )
    async with Client(params) as client:
        yield client


async def check_read_only(client: Client, sim: LiveQovery) -> None:
    tools = (await client.list_tools()).tools
    assert {tool.name for tool in tools} == READ_ONLY_TOOLS
    assert all(tool.annotations and tool.annotations.read_only_hint for tool in tools)
    before = len(sim.sim.requests)
    for name, arguments in WRITES:
        text = error_text(await client.call_tool(name, arguments))
        assert f"{name} is refused: this server runs in read-only mode" in text
    assert len(sim.sim.requests) == before, "a refused write reached Qovery"
    assert CLEANUP in sim.sim.jobs
    assert not (await client.call_tool("get-job-status", {"job_id": NIGHTLY})).is_error


async def test_read_only_over_stdio_by_flag(sim: LiveQovery) -> None:
    async with stdio_client(sim, "--read-only") as client:
        await check_read_only(client, sim)


async def test_read_only_over_stdio_by_env(sim: LiveQovery) -> None:
    async with stdio_client(sim, QOVERY_MCP_READ_ONLY="1") as client:
        await check_read_only(client, sim)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_read_only_over_http(read_only_http: RunningServer, sim: LiveQovery, mode: str) -> None:
    async with http_client(read_only_http.url, mode=mode) as client:
        await check_read_only(client, sim)
    assert httpx.get(f"{read_only_http.base}/healthz", timeout=10).json()["read_only"] is True


async def test_tool_selection_over_stdio(sim: LiveQovery) -> None:
    async with stdio_client(
        sim, "--tools", "get-job-id,delete-job", "--exclude-tools", "delete-job"
    ) as client:
        assert [tool.name for tool in (await client.list_tools()).tools] == ["get-job-id"]
        text = error_text(await client.call_tool("get-job-status", {"job_id": NIGHTLY}))
        assert "get-job-status is turned off on this server" in text
        assert "Tools offered: get-job-id" in text


async def test_tool_selection_over_http(sim: LiveQovery) -> None:
    env = {"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": sim.url, "QOVERY_MCP_EXCLUDE_TOOLS": "delete-job"}
    with http_server(env=env) as server:
        async with http_client(server.url) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert names == {"get-job-id", "edit-job", "list-last-job-commits", "get-job-status"}
            text = error_text(await client.call_tool("delete-job", {"job_id": CLEANUP}))
            assert "delete-job is turned off on this server" in text
    assert CLEANUP in sim.sim.jobs


async def test_unknown_tool_is_still_unknown(sim: LiveQovery) -> None:
    async with stdio_client(sim, "--read-only") as client:
        assert "Unknown tool" in error_text(await client.call_tool("launch-rocket", {}))
