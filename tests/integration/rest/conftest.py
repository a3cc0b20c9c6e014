"""Fixtures of the REST tests: one simulated Qovery and one REST server for the package, reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.loopback import serve_on_loopback
from tests.support.simulator import LiveQovery, simulated_qovery


@pytest.fixture(scope="package")
def live() -> Iterator[tuple[LiveQovery, FakeTime, str]]:
    """One simulated Qovery and one REST server for the package (starting servers per test is slow)."""
    clock = FakeTime()
    with simulated_qovery(jwts=()) as qovery:
        settings = make_settings(qovery.url)
        app = build_rest_app(settings, JobOperations(make_qovery_client(settings, clock)))
        with serve_on_loopback(app, lifespan="on") as url:
            yield qovery, clock, url


@pytest.fixture
def qovery(live: tuple[LiveQovery, FakeTime, str]) -> LiveQovery:
    """The module's simulated Qovery, back to its demo state: every test starts from the same jobs."""
    live[0].sim.reset()
    return live[0]


@pytest.fixture
def fake_time(live: tuple[LiveQovery, FakeTime, str]) -> FakeTime:
    live[1].sleeps.clear()
    return live[1]


@pytest.fixture
def rest(live: tuple[LiveQovery, FakeTime, str], qovery: LiveQovery) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live[2], timeout=10) as http:
        yield http
