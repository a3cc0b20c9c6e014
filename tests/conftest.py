"""Shared fixtures: the simulated Qovery API on a real loopback port, and MCP clients of our server."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from qovery_job_mcp.config import Settings
from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.qovery.client import QoveryClient
from qovery_job_mcp.simulation.api import SimulatedQovery
from qovery_job_mcp.wiring import client_from_settings
from tests.support.loopback import serve_on_loopback

API_KEY = "qov_test_0123456789abcdefSECRET"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlU0VDUkVU"
MIGRATIONS = "0b7e3c1a-6d2f-4f8e-9a41-5c3b8d2e7f60"
NIGHTLY = "d4a2f9c6-1e8b-4c7d-b3a5-7f9e2c4a6b18"
CLEANUP = "8f1d5b3e-2a9c-4e6f-8b7d-3c5a1e9f0d24"
MISSING = "11111111-2222-4333-8444-555555555555"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class FakeTime:
    """An injectable clock and sleep: backoff and Retry-After advance time without waiting."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class LiveQovery:
    sim: SimulatedQovery
    url: str


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def served_qovery() -> Iterator[LiveQovery]:
    sim = SimulatedQovery(api_tokens=(API_KEY,), jwts=(JWT,))
    with serve_on_loopback(sim.app) as url:
        yield LiveQovery(sim, url)


@pytest.fixture
def qovery(served_qovery: LiveQovery) -> LiveQovery:
    """The simulated Qovery API on a real loopback port, in its seeded state for each test."""
    served_qovery.sim.reset()
    return served_qovery


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"api_key": API_KEY, "api_url": url, "timeout": 5.0, "deadline": 20.0}
    values.update(overrides)
    return Settings(**values)


def make_qovery_client(settings: Settings, fake_time: FakeTime) -> QoveryClient:
    """The server's own client for these settings, on fake time."""
    return client_from_settings(settings, sleep=fake_time.sleep, clock=fake_time.clock)


@asynccontextmanager
async def mcp_client(settings: Settings, fake_time: FakeTime, mode: str = "auto") -> AsyncIterator[Client]:
    server = build_server(settings, client=make_qovery_client(settings, fake_time))
    async with Client(server, mode=mode) as client:
        yield client


@pytest.fixture(params=["auto", "legacy"])
async def client(
    request: pytest.FixtureRequest, qovery: LiveQovery, fake_time: FakeTime
) -> AsyncIterator[Client]:
    """Our server in memory, through a real MCP client, in both protocol eras."""
    async with mcp_client(make_settings(qovery.url), fake_time, mode=request.param) as c:
        yield c


def subprocess_env(**extra: str) -> dict[str, str]:
    """A clean environment for spawning the server: no inherited Qovery variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QOVERY_")}
    env.update(extra)
    return env


PYTHON = sys.executable
