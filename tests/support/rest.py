"""The REST adapter under test: our app on a loopback port, and what its answers must look like."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.constants import API_KEY
from tests.support.loopback import serve_on_loopback
from tests.support.simulator import LiveQovery

PROBLEM = "application/problem+json"
MERGE = {"Content-Type": "application/merge-patch+json"}


@contextmanager
def rest_server(qovery: LiveQovery, fake_time: FakeTime, **overrides: Any) -> Iterator[httpx.Client]:
    """Our REST app on a free loopback port, with an httpx client pointed at it."""
    settings = make_settings(qovery.url, **overrides)
    app = build_rest_app(settings, JobOperations(make_qovery_client(settings, fake_time)))
    with serve_on_loopback(app, lifespan="on") as url, httpx.Client(base_url=url, timeout=10) as http:
        yield http


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status
    assert body["type"].startswith("urn:qovery-job-mcp:problem:")
    assert API_KEY not in response.text
    return dict(body)


def puts(qovery: LiveQovery) -> list[Any]:
    return [r.body for r in qovery.sim.requests_to("PUT")]
