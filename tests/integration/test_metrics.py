"""GET /metrics: Prometheus text from a served process, open on loopback, guarded elsewhere, no secret in it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.loopback import serve_on_loopback
from tests.support.simulator import LiveQovery


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
