"""Issue 21 on the HTTP surfaces: /healthz reports the store without failing, REST says 429 with Retry-After,
/metrics carries the store's series, and the setting is strict and never shows a password."""

from __future__ import annotations

import socket

import httpx
import pytest

from qovery_job_mcp.config import ConfigError, load_settings, server_secrets
from qovery_job_mcp.config.store_setting import parse_state_store
from qovery_job_mcp.mcp_server.http import build_http_app
from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.store.base import BudgetSettings
from qovery_job_mcp.store.factory import open_store
from qovery_job_mcp.web.rest.app import build_rest_app
from qovery_job_mcp.wiring import client_from_settings
from tests.support.clients import make_settings
from tests.support.constants import API_KEY, NIGHTLY
from tests.support.loopback import serve_on_loopback
from tests.support.simulator import simulated_qovery

PASSWORD = "hunter2-redis-password"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_healthz_reports_a_redis_that_is_down_without_failing_liveness() -> None:
    url = f"redis://:{PASSWORD}@127.0.0.1:{closed_port()}/0"
    settings = make_settings("http://127.0.0.1:9", transport="http", state_store=parse_state_store(url))
    store = open_store(settings.state_store, command_timeout=0.3)
    app = build_http_app(build_server(settings, store=store), settings)
    with serve_on_loopback(app, lifespan="on") as base, httpx.Client(base_url=base, timeout=10) as http:
        health = http.get("/healthz")
    assert health.status_code == 200
    document = health.json()
    assert document["status"] == "ok"
    assert document["store"]["kind"] == "redis"
    assert document["store"]["status"] == "degraded"
    assert "writes are refused" in document["store"]["detail"]
    assert "127.0.0.1" not in health.text  # where the store is goes to the log, not to an open endpoint
    assert PASSWORD not in health.text


def test_healthz_reports_the_in_process_store() -> None:
    settings = make_settings("http://127.0.0.1:9", transport="http")
    app = build_http_app(build_server(settings), settings)
    with serve_on_loopback(app, lifespan="on") as base, httpx.Client(base_url=base, timeout=10) as http:
        store = http.get("/healthz").json()["store"]
    assert store == {"kind": "memory", "status": "ok"}


def test_rest_refuses_a_spent_budget_with_429_and_retry_after_and_metrics_count_it() -> None:
    with simulated_qovery() as qovery:
        settings = make_settings(qovery.url, transport="rest", request_budget=2)
        store = open_store(settings.state_store, BudgetSettings(limit=2))
        operations = JobOperations(client_from_settings(settings, store=store))
        app = build_rest_app(settings, operations, store=store)
        with serve_on_loopback(app, lifespan="on") as base, httpx.Client(base_url=base, timeout=10) as http:
            answers = [http.get(f"/v1/job/{NIGHTLY}") for _ in range(3)]
            metrics = http.get("/metrics").text
        assert [answer.status_code for answer in answers] == [200, 200, 429]
        spent = answers[2]
        assert 3500 <= int(spent.headers["Retry-After"]) <= 3600
        assert spent.json()["retry_after_seconds"] == int(spent.headers["Retry-After"])
        assert len(qovery.sim.requests_to("GET")) == 2
    # The process's counters: other tests in this worker may have counted refusals too.
    [refusals] = [
        line
        for line in metrics.splitlines()
        if line.startswith("qovery_job_mcp_store_budget_refusals_total ")
    ]
    assert float(refusals.split()[1]) >= 1
    assert 'qovery_job_mcp_store_budget_remaining{credential="cred:' in metrics
    assert API_KEY not in metrics


@pytest.mark.parametrize(
    "value", ["postgres://db/0", f"http://:{PASSWORD}@redis:6379", "redis://", "redis://h:0"]
)
def test_a_bad_state_store_stops_the_start_in_one_line_without_its_password(value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(["--state-store", value], {"QOVERY_API_KEY": API_KEY})
    sentence = str(refused.value)
    assert "\n" not in sentence
    assert "must be 'memory' or a redis:// or rediss:// URL" in sentence
    assert PASSWORD not in sentence


def test_a_redis_password_is_a_secret_the_server_scrubs() -> None:
    settings = load_settings(
        [],
        {
            "QOVERY_API_KEY": API_KEY,
            "QOVERY_MCP_STATE_STORE": f"rediss://user:{PASSWORD}@redis.example:6380/2",
        },
    )
    assert PASSWORD in server_secrets(settings)
    assert PASSWORD not in repr(settings)
    assert settings.state_store.target == "rediss://user:***@redis.example:6380/2"
    assert settings.request_budget == 1000
