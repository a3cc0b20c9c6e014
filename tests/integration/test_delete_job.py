"""delete-job through a real MCP client."""

from __future__ import annotations

from mcp import Client

from tests.support.constants import CLEANUP
from tests.support.helpers import error_text
from tests.support.simulator import LiveQovery


async def test_deletes_then_repeat_is_not_an_error(client: Client, qovery: LiveQovery) -> None:
    first = await client.call_tool("delete-job", {"job_id": CLEANUP})
    assert not first.is_error
    assert first.structured_content["deleted"] is True
    assert CLEANUP not in qovery.sim.jobs
    again = await client.call_tool("delete-job", {"job_id": CLEANUP})
    assert not again.is_error
    assert again.structured_content["deleted"] is False
    assert "No job with id" in again.structured_content["message"]
    # The first delete reads the job, then deletes it; the repeat finds nothing to read and sends nothing.
    assert [r.method for r in qovery.sim.requests] == ["GET", "DELETE", "GET"]


async def test_skip_reconcile_is_forwarded(client: Client, qovery: LiveQovery) -> None:
    await client.call_tool("delete-job", {"job_id": CLEANUP, "skip_reconcile": True})
    assert qovery.sim.requests[-1].method == "DELETE"
    assert qovery.sim.requests[-1].query == {"skipReconcile": "true"}


async def test_bad_id_deletes_nothing(client: Client, qovery: LiveQovery) -> None:
    jobs_before = dict(qovery.sim.jobs)
    assert "UUID" in error_text(await client.call_tool("delete-job", {"job_id": "../job"}))
    assert qovery.sim.jobs == jobs_before
    assert qovery.sim.requests == []
