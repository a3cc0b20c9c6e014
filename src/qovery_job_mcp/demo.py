"""Demo mode wiring: the simulated Qovery API in this process, reached through httpx's ASGI transport.

The only module outside the tests that imports qovery_job_mcp.simulation. `QOVERY_MCP_DEMO_FAULTS=0.1`
makes one answer in ten a fault (rate limits, 5xx, resets, stalls, malformed bodies…), drawn
reproducibly from `QOVERY_MCP_DEMO_SEED`: a flaky-network demo.
"""

from __future__ import annotations

import httpx

from qovery_job_mcp.config import Settings
from qovery_job_mcp.qovery.client import QoveryClient
from qovery_job_mcp.simulation.api import SimulatedQovery
from qovery_job_mcp.simulation.data import DEMO_API_KEY, DEMO_JOBS
from qovery_job_mcp.simulation.faults import ALL_FAULTS, ChaosPolicy
from qovery_job_mcp.store.base import StateStore
from qovery_job_mcp.wiring import client_from_settings


def demo_chaos(settings: Settings) -> ChaosPolicy | None:
    """The flaky-network demo's policy, from the already validated settings (None: no faults)."""
    if not settings.demo_faults:
        return None
    return ChaosPolicy(rate=settings.demo_faults, seed=settings.demo_seed, kinds=ALL_FAULTS)


def demo_client(settings: Settings, store: StateStore | None = None) -> QoveryClient:
    """A client of the in-process simulation, with the simulation's own key: never a real one."""
    transport = httpx.ASGITransport(app=SimulatedQovery(chaos=demo_chaos(settings)).app)
    return client_from_settings(settings, transport=transport, credential=DEMO_API_KEY, store=store)


def demo_instructions(instructions: str) -> str:
    lines = "\n".join(f"- {job_id} {name}: {summary}" for job_id, name, summary in DEMO_JOBS)
    return (
        "DEMO MODE: this server talks to a simulated Qovery API held in memory, not to Qovery; edits and deletes "
        "change only the simulation and are lost at exit. A deleted demo job is gone at once (reading it answers "
        f"404), where Qovery would tear a real one down in the background. Demo jobs:\n{lines}\n\n{instructions}"
    )


def demo_banner(settings: Settings) -> str:
    """Printed once the settings are valid, so a refused start stays one line."""
    jobs = ", ".join(f"{name} ({job_id})" for job_id, name, _ in DEMO_JOBS)
    ignored = " QOVERY_API_KEY from the environment is ignored." if settings.demo_ignored_api_key else ""
    return (
        "qovery-job-mcp: DEMO MODE, backed by a simulated Qovery API in memory (not Qovery)."
        f"{ignored} Demo jobs: {jobs}"
    )
