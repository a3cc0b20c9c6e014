"""Demo mode: the simulated Qovery API in this process, reached through httpx's ASGI transport."""

from __future__ import annotations

import httpx

from qovery_job_mcp.simulated_api import SimulatedQovery


def demo_transport() -> httpx.AsyncBaseTransport:
    return httpx.ASGITransport(app=SimulatedQovery().app)
