"""The REST adapter behind the same caller checks as the MCP endpoint: shared token and per-request credentials."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.constants import API_KEY, JWT, MIGRATIONS, NIGHTLY
from tests.support.loopback import serve_on_loopback
from tests.support.simulator import LiveQovery, simulated_qovery

TOKEN = "shared-secret-for-the-team-0123456789"
PROBLEM = "application/problem+json"


@contextmanager
def rest_app(qovery: LiveQovery, **overrides: Any) -> Iterator[httpx.Client]:
    settings = make_settings(qovery.url, **overrides)
    app = build_rest_app(settings, JobOperations(make_qovery_client(settings, FakeTime())))
    with serve_on_loopback(app, lifespan="on") as url, httpx.Client(base_url=url, timeout=10) as http:
        yield http


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Token {TOKEN}", f"Bearer {TOKEN}x", f"bearer  {TOKEN[:-1]}"]
)
def test_shared_token_refuses_everything_else(qovery: LiveQovery, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with rest_app(qovery, auth_token=TOKEN) as rest:
        response = rest.get(f"/v1/job/{NIGHTLY}", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "QOVERY_MCP_AUTH_TOKEN" in response.json()["detail"]
        assert rest.get("/healthz").status_code == 200
    assert qovery.sim.requests == []


def test_shared_token_admits_and_uses_the_server_key(qovery: LiveQovery) -> None:
    with rest_app(qovery, auth_token=TOKEN) as rest:
        response = rest.get(f"/v1/job/{NIGHTLY}/status", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert [r.authorization for r in qovery.sim.requests] == [f"Token {API_KEY}"]


def test_per_request_requires_a_credential(qovery: LiveQovery) -> None:
    with rest_app(qovery, api_key=None) as rest:
        response = rest.get(f"/v1/job/{NIGHTLY}")
        assert response.status_code == 401
        assert "Token qov_" in response.json()["detail"]
        assert rest.get("/healthz").json()["credentials"] == "per-request"
    assert qovery.sim.requests == []


def test_per_request_credentials_never_cross_callers() -> None:
    """Concurrent callers with different credentials: each upstream request carries its own caller's."""
    callers = [f"Token qov_caller_{i}_secret" for i in range(3)] + [f"Bearer {JWT}"]
    tokens = tuple(c.split(" ", 1)[1] for c in callers[:3])
    with simulated_qovery(tokens, (JWT,)) as qovery, rest_app(qovery, api_key=None) as rest:
        # Each caller reads its own resource, so the upstream log says which caller sent what.
        paths = [
            f"/job/{NIGHTLY}",
            f"/job/{MIGRATIONS}",
            f"/job/{NIGHTLY}/status",
            f"/job/{MIGRATIONS}/status",
        ]
        owner = dict(zip(paths, callers, strict=True))
        plan = [paths[i % 4] for i in range(48)]

        def call(path: str) -> int:
            return rest.get(f"/v1{path}", headers={"Authorization": owner[path]}).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(call, plan))
    assert statuses == [200] * len(plan)
    assert len(qovery.sim.requests) == len(plan)
    assert all(r.authorization == owner[r.path] for r in qovery.sim.requests)


def test_per_request_bad_credential_is_qoverys_401(qovery: LiveQovery) -> None:
    with rest_app(qovery, api_key=None) as rest:
        response = rest.get(f"/v1/job/{NIGHTLY}", headers={"Authorization": "Token qov_not_known_here"})
    assert response.status_code == 401
    assert "qov_not_known_here" not in response.text
    assert qovery.sim.requests[-1].authorization == "Token qov_not_known_here"
