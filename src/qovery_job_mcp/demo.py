"""Demo mode wiring: the simulated Qovery API in this process, reached through httpx's ASGI transport.

The only module outside the tests that imports qovery_job_mcp.simulation. `QOVERY_MCP_DEMO_FAULTS=0.1`
makes one answer in ten a fault (rate limits, 5xx, resets, stalls, malformed bodies…), drawn
reproducibly from `QOVERY_MCP_DEMO_SEED`: a flaky-network demo.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from qovery_job_mcp.config import ConfigError, Settings
from qovery_job_mcp.qovery.client import QoveryClient, client_from_settings
from qovery_job_mcp.simulation.api import SimulatedQovery
from qovery_job_mcp.simulation.data import DEMO_API_KEY, DEMO_JOBS
from qovery_job_mcp.simulation.faults import ChaosError, ChaosPolicy, chaos_from_env


def demo_chaos(env: Mapping[str, str] | None = None) -> ChaosPolicy | None:
    env = os.environ if env is None else env
    try:
        return chaos_from_env(env.get("QOVERY_MCP_DEMO_FAULTS"), env.get("QOVERY_MCP_DEMO_SEED"))
    except ChaosError as exc:
        raise ConfigError(str(exc)) from None


def demo_transport(env: Mapping[str, str] | None = None) -> httpx.AsyncBaseTransport:
    return httpx.ASGITransport(app=SimulatedQovery(chaos=demo_chaos(env)).app)


def demo_client(settings: Settings) -> QoveryClient:
    """A client of the in-process simulation, with the simulation's own key: never a real one."""
    return client_from_settings(settings, transport=demo_transport(), credential=DEMO_API_KEY)


def demo_instructions(instructions: str) -> str:
    lines = "\n".join(f"- {job_id} {name}: {summary}" for job_id, name, summary in DEMO_JOBS)
    return (
        "DEMO MODE: this server talks to a simulated Qovery API held in memory, not to Qovery; edits and deletes "
        f"change only the simulation and are lost at exit. Demo jobs:\n{lines}\n\n{instructions}"
    )


def demo_banner() -> str:
    jobs = ", ".join(f"{name} ({job_id})" for job_id, name, _ in DEMO_JOBS)
    return f"qovery-job-mcp: DEMO MODE, backed by a simulated Qovery API in memory (not Qovery). Demo jobs: {jobs}"
