"""The composition root's shared pieces: the state store, the Qovery client and the job locks, from `Settings`.

`cli.py` (every transport) and `mcp_server/server.py` (a server built without a client, as in tests) build through
here, so a setting reaches the client in one place; the client and the core never see `Settings` themselves.
The state store is opened once per process (`open_state_store`) and handed to the client (its request budget and
fencing gate), the job locks and the MCP confirmer (single-use confirmations).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio

from qovery_job_mcp.config import Settings
from qovery_job_mcp.operations.locks import InProcessJobLocks, JobLocks
from qovery_job_mcp.qovery.client import Clock, QoveryClient, Sleep
from qovery_job_mcp.store.base import DEFAULT_LEASE_SECONDS, BudgetSettings, StateStore

if TYPE_CHECKING:
    import httpx

#: A write's lease outlives one Qovery request by this much: the gate renews it before every attempt.
LEASE_MARGIN_SECONDS = 10.0


def open_state_store(settings: Settings) -> StateStore:
    """The process's one state store: in memory by default, or Redis (with the per-process budget fallback)."""
    from qovery_job_mcp.store.factory import open_store

    return open_store(settings.state_store, BudgetSettings(limit=settings.request_budget))


def job_locks(settings: Settings, store: StateStore) -> JobLocks:
    """In-process locks for the memory store (one process queues its own writes, as before); the store's
    leased and fenced locks when replicas share one."""
    if settings.state_store.url is None:
        return InProcessJobLocks()
    from qovery_job_mcp.store.job_locks import SharedJobLocks

    return SharedJobLocks(
        store, lease_seconds=max(DEFAULT_LEASE_SECONDS, settings.timeout + LEASE_MARGIN_SECONDS)
    )


def client_from_settings(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    credential: str | None = None,
    *,
    sleep: Sleep = anyio.sleep,
    clock: Clock = time.monotonic,
    store: StateStore | None = None,
) -> QoveryClient:
    """The client a server process uses for these settings.

    The demo passes its transport and key; tests pass a fake `sleep` and `clock`, so backoff and
    deadlines run without real waits. With a `store`, every attempt spends the credential's request
    budget there first and renews a held write lock (store/gate.py).
    """
    gate = None
    if store is not None:
        from qovery_job_mcp.store.gate import StoreGate

        gate = StoreGate(store, sleep=sleep)
    return QoveryClient(
        settings.api_url,
        credential=credential or settings.api_key,
        timeout=settings.timeout,
        connect_timeout=settings.connect_timeout,
        max_attempts=settings.max_attempts,
        deadline=settings.deadline,
        transport=transport,
        auth_scheme=settings.auth_scheme,
        sleep=sleep,
        clock=clock,
        gate=gate,
    )
