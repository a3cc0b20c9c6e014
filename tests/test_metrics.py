"""GET /metrics: Prometheus text from a served process, open on loopback, guarded elsewhere, no secret in it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.simulation.faults import Fault
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.conftest import API_KEY, NIGHTLY, FakeTime, LiveQovery, make_qovery_client, make_settings
from tests.support.http_server import http_client, http_server
from tests.support.loopback import serve_on_loopback


@pytest.mark.anyio
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


@pytest.fixture
def exposed_rest(qovery: LiveQovery, fake_time: FakeTime) -> Iterator[str]:
    """REST as if bound to every interface, with a caller token: /metrics is not open then."""
    settings = make_settings(
        qovery.url, host="0.0.0.0", auth_token="team-token", metrics_token="scrape-token"
    )
    app = build_rest_app(settings, JobOperations(make_qovery_client(settings, fake_time)))
    with serve_on_loopback(app, lifespan="on") as url:
        yield url


@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 401), ("Bearer wrong", 401), ("Bearer team-token", 401), ("Bearer scrape-token", 200)],
)
def test_off_loopback_metrics_need_the_metrics_token(
    exposed_rest: str, authorization: str | None, status: int
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.get(f"{exposed_rest}/metrics", headers=headers, timeout=10)
    assert response.status_code == status
    if status != 200:
        assert response.headers["content-type"] == "application/problem+json"
        assert "QOVERY_MCP_METRICS_TOKEN" in response.json()["detail"]


def test_off_loopback_without_any_token_metrics_are_not_published(
    qovery: LiveQovery, fake_time: FakeTime
) -> None:
    settings = make_settings(qovery.url, api_key=None, host="0.0.0.0")
    app = build_rest_app(settings, JobOperations(make_qovery_client(settings, fake_time)))
    with serve_on_loopback(app, lifespan="on") as url:
        response = httpx.get(f"{url}/metrics", headers={"Authorization": "Token qov_anything"}, timeout=10)
    assert response.status_code == 403
    assert "QOVERY_MCP_METRICS_TOKEN" in response.json()["detail"]
