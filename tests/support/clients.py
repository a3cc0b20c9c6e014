"""Our server's settings, its Qovery client on fake time, and an in-memory MCP client of it.

The fake time itself is `tests.support.clock.FakeTime`, also importable from here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from mcp import Client

from qovery_job_mcp.config import Settings
from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.qovery.client import QoveryClient
from qovery_job_mcp.wiring import client_from_settings
from tests.support.clock import FakeTime as FakeTime  # re-exported: tests import it from here too
from tests.support.constants import API_KEY

T = TypeVar("T")


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


@asynccontextmanager
async def in_own_task(context: AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """Enter and exit `context` in one task of its own: how an async fixture holds an MCP client.

    pytest-asyncio runs a fixture's setup and its teardown as two tasks, and the anyio task group
    inside `mcp.Client` must be left by the task that entered it. A task that enters, waits for the
    fixture's teardown, then exits keeps both ends in one place.
    """
    entered: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    finished = asyncio.Event()

    async def hold() -> None:
        try:
            async with context as value:
                entered.set_result(value)
                await finished.wait()
        except BaseException as error:
            if not entered.done():
                entered.set_exception(error)
            raise

    task = asyncio.create_task(hold())
    try:
        yield await entered
    finally:
        finished.set()
        await task
