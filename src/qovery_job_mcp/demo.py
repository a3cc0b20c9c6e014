"""Demo mode: the simulated Qovery API in this process, reached through httpx's ASGI transport.

`QOVERY_MCP_DEMO_FAULTS=0.1` makes one answer in ten a fault (rate limits, 5xx, resets, stalls,
malformed bodies…), drawn reproducibly from `QOVERY_MCP_DEMO_SEED`: a flaky-network demo.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from qovery_job_mcp.config import ConfigError
from qovery_job_mcp.faults import ChaosError, ChaosPolicy, chaos_from_env
from qovery_job_mcp.simulated_api import SimulatedQovery


def demo_chaos(env: Mapping[str, str] | None = None) -> ChaosPolicy | None:
    env = os.environ if env is None else env
    try:
        return chaos_from_env(env.get("QOVERY_MCP_DEMO_FAULTS"), env.get("QOVERY_MCP_DEMO_SEED"))
    except ChaosError as exc:
        raise ConfigError(str(exc)) from None


def demo_transport(env: Mapping[str, str] | None = None) -> httpx.AsyncBaseTransport:
    return httpx.ASGITransport(app=SimulatedQovery(chaos=demo_chaos(env)).app)
