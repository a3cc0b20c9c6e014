"""The composition root's shared piece: the Qovery client, built from `Settings`.

`cli.py` (every transport) and `mcp_server/server.py` (a server built without a client, as in tests) build through
here, so a setting reaches the client in one place; the client and the core never see `Settings` themselves.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio

from qovery_job_mcp.config import Settings
from qovery_job_mcp.qovery.client import Clock, QoveryClient, Sleep

if TYPE_CHECKING:
    import httpx


def client_from_settings(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    credential: str | None = None,
    *,
    sleep: Sleep = anyio.sleep,
    clock: Clock = time.monotonic,
) -> QoveryClient:
    """The client a server process uses for these settings.

    The demo passes its transport and key; tests pass a fake `sleep` and `clock`, so backoff and
    deadlines run without real waits.
    """
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
    )
