"""Replicas of our server in one test process: each its own MCP server, Qovery client and state store.

Two replicas that share a Redis see one set of locks, used confirmations and request budget, as two
pods behind a load balancer would; two with the in-process store (`redis_url=None`) share nothing,
as the server did before issue 21. Each replica is driven through a real in-memory MCP client; the
Qovery client runs on real time (the store's leases and Redis are real).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import Client

from qovery_job_mcp.config.store_setting import parse_state_store
from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.store.base import BudgetSettings
from qovery_job_mcp.store.factory import open_store
from tests.support.clients import make_settings

#: One key for every replica: a confirmation asked on one can be answered on another.
STATE_KEY = "s" * 40


@asynccontextmanager
async def replica(
    qovery_url: str,
    redis_url: str | None,
    *,
    budget: int = 1000,
    retry_interval: float | None = None,
    command_timeout: float | None = None,
    elicitation_callback: Any = None,
    **overrides: Any,
) -> AsyncIterator[Client]:
    """One replica against `qovery_url`, its store in Redis at `redis_url` (or in its own memory)."""
    values: dict[str, Any] = {"confirm": "off", "state_key": STATE_KEY, "request_budget": budget}
    values.update(overrides)
    settings = make_settings(qovery_url, state_store=parse_state_store(redis_url or "memory"), **values)
    store = open_store(
        settings.state_store,
        BudgetSettings(limit=budget),
        retry_interval=retry_interval,
        command_timeout=command_timeout,
    )
    server = build_server(settings, store=store)
    async with Client(server, elicitation_callback=elicitation_callback) as client:
        yield client


def text_of(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)
