"""The deploy toolset's test world: the simulator on a real port whose deployments run on the tests' fake time.

The simulator's clock and the server's waiting clock are one `FakeTime`, so a deployment walks through its states
while the poll loop "sleeps" without sleeping. `SimClock.frozen` stops the simulated deployments where they are
(a deployment that never ends). The server is built with the toolset on, through a real MCP client, or as the REST
app on the same fake time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from mcp import Client
from starlette.types import ASGIApp

from qovery_job_mcp.config import Settings, server_secrets
from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.operations.deploy import DeployOperations
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.support.asking import Asker
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.simulator import RecordingSimulator, simulated_qovery

#: 2026-12-01T10:00:00Z: simulated timestamps read like real ones.
EPOCH = 1796119200.0
BOTH = ("jobs", "deploy")


@dataclass
class SimClock:
    """The simulator's clock: follows `source` unless frozen (then deployments never move on)."""

    source: FakeTime = field(default_factory=lambda: FakeTime(now=EPOCH))
    frozen: float | None = None

    def __call__(self) -> float:
        return self.frozen if self.frozen is not None else self.source.now


@dataclass
class DeployWorld:
    sim: RecordingSimulator
    url: str
    clock: SimClock

    def fresh(self, fake: FakeTime | None = None) -> FakeTime:
        """A new test: seeded simulator, nothing recorded, a fake time shared by both sides (`fake` rewound, or a
        new one)."""
        if fake is None:
            fake = FakeTime(now=EPOCH)
        fake.now = EPOCH
        fake.sleeps.clear()
        self.clock.source, self.clock.frozen = fake, None
        self.sim.reset()
        return fake

    def posts(self) -> list[str]:
        return [r.path for r in self.sim.requests_to("POST")]

    def status_reads(self) -> int:
        return sum(1 for r in self.sim.requests_to("GET") if r.path.endswith("/status"))


@contextmanager
def deploy_world() -> Iterator[DeployWorld]:
    clock = SimClock()
    with simulated_qovery(clock=clock) as served:
        yield DeployWorld(served.sim, served.url, clock)


def deploy_settings(url: str, **overrides: Any) -> Settings:
    """The tests' settings with the deploy toolset on (unless `toolsets` says otherwise)."""
    return make_settings(url, **{"toolsets": BOTH, **overrides})


@asynccontextmanager
async def deploy_client(
    settings: Settings, fake_time: FakeTime, mode: str = "auto", asker: Asker | None = None
) -> AsyncIterator[Client]:
    """Our MCP server with these settings, in memory, its Qovery client and its waits on `fake_time`."""
    server = build_server(
        settings,
        client=make_qovery_client(settings, fake_time),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    async with Client(server, mode=mode, elicitation_callback=asker) as client:
        yield client


def deploy_rest_app(settings: Settings, fake_time: FakeTime) -> ASGIApp:
    """The REST app with these settings, its Qovery client and its waits on `fake_time`."""
    operations = JobOperations(make_qovery_client(settings, fake_time))
    deploy = DeployOperations(
        operations.client,
        locks=operations.locks,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        secrets=server_secrets(settings),
    )
    return build_rest_app(settings, operations, deploy)


@pytest.fixture(scope="module")
def world() -> Iterator[DeployWorld]:
    """One deploy world per test module (the fixture is registered for every test by tests/conftest.py)."""
    with deploy_world() as served:
        yield served


@pytest.fixture
def time_(world: DeployWorld) -> FakeTime:
    """Each test: the seeded simulator and a new fake time shared by the simulator and the server."""
    return world.fresh()
