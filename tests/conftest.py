"""Shared fixtures, and the rule that every test under tests/e2e/ is `slow`.

Fixtures only: helpers and constants live in tests/support/ and are imported from there
(`from tests.support.<module> import ...`), never from this file. Fixtures that belong with their helpers
(the hostile upstream, the deploy world) are defined in tests/support/ and registered here by import.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from mcp import Client

from tests.support.clients import FakeTime, in_own_task, make_settings, mcp_client
from tests.support.deploying import time_, world  # noqa: F401 (the deploy tests' fixtures, registered here)
from tests.support.hostile import upstream  # noqa: F401 (the hostile tests' fixture, registered here)
from tests.support.simulator import LiveQovery, simulated_qovery

E2E = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e/ spawns processes: mark it `slow`, so `-m "not slow"` stays quick."""
    for item in items:
        if item.path.is_relative_to(E2E):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def served_qovery() -> Iterator[LiveQovery]:
    with simulated_qovery() as live:
        yield live


@pytest.fixture
def qovery(served_qovery: LiveQovery) -> LiveQovery:
    """The simulated Qovery API on a real loopback port, in its seeded state for each test."""
    served_qovery.sim.reset()
    return served_qovery


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture(params=["auto", "legacy"])
async def client(
    request: pytest.FixtureRequest, qovery: LiveQovery, fake_time: FakeTime
) -> AsyncIterator[Client]:
    """Our server in memory, through a real MCP client, in both protocol eras."""
    async with in_own_task(mcp_client(make_settings(qovery.url), fake_time, mode=request.param)) as c:
        yield c
