"""Start-up with the cyclic GC paused: the server still starts and answers, and the GC comes back on."""

from __future__ import annotations

import gc
import sys

import anyio
import pytest
from mcp import Client, StdioServerParameters

from qovery_job_mcp.cli import startup_objects
from qovery_job_mcp.simulation.api import SimulatedQovery
from qovery_job_mcp.simulation.data import DEMO_API_KEY, NIGHTLY_JOB_ID
from tests.support.loopback import serve_on_loopback


def test_startup_objects_pauses_the_gc_then_freezes_and_restores_it() -> None:
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    try:
        with startup_objects():
            assert not gc.isenabled()
            kept = [[index] for index in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen_before + len(kept)
    finally:
        gc.unfreeze()


def test_a_failed_start_restores_the_gc_and_freezes_nothing() -> None:
    frozen_before = gc.get_freeze_count()
    with pytest.raises(RuntimeError), startup_objects():
        raise RuntimeError("bad start")
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen_before


@pytest.mark.anyio
async def test_the_command_starts_over_stdio_and_calls_qovery() -> None:
    with serve_on_loopback(SimulatedQovery().app) as url:
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "qovery_job_mcp"],
            env={"QOVERY_API_KEY": DEMO_API_KEY, "QOVERY_API_URL": url},
        )
        with anyio.fail_after(60):
            async with Client(params) as client:
                tools = await client.list_tools()
                assert "get-job-status" in {tool.name for tool in tools.tools}
                result = await client.call_tool("get-job-status", {"job_id": NIGHTLY_JOB_ID})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["id"] == NIGHTLY_JOB_ID
