"""The server as a shared HTTP endpoint: a subprocess serving streamable HTTP on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from mcp import Client

from tests.conftest import API_KEY, NIGHTLY, PYTHON, ROOT, LiveQovery, subprocess_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def http_server(qovery: LiveQovery) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, "-m", "qovery_job_mcp", "--transport", "http", "--port", str(port)],
        env=subprocess_env(QOVERY_API_KEY=API_KEY, QOVERY_API_URL=qovery.url),
        cwd=str(ROOT),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else "server exited"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "HTTP server did not start"
            time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_healthz(http_server: str) -> None:
    body = httpx.get(f"{http_server}/healthz").json()
    assert body["status"] == "ok"
    assert body["transport"] == "http"


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_tools_over_http(http_server: str, qovery: LiveQovery, mode: str) -> None:
    async with Client(f"{http_server}/mcp", mode=mode) as client:  # type: ignore[arg-type]
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
