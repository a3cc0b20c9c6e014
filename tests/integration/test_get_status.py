"""get-job-status through a real MCP client."""

from __future__ import annotations

from mcp import Client

from tests.support.constants import MISSING, NIGHTLY
from tests.support.helpers import error_text
from tests.support.simulator import Fault, LiveQovery


async def test_returns_qovery_status(client: Client, qovery: LiveQovery) -> None:
    result = await client.call_tool("get-job-status", {"job_id": NIGHTLY})
    assert not result.is_error
    assert result.structured_content == qovery.sim.statuses[NIGHTLY]
    assert result.structured_content["status_details"]["status"] == "ERROR"
    assert qovery.sim.requests[-1].path == f"/job/{NIGHTLY}/status"


async def test_missing_job(client: Client) -> None:
    assert "No job with id" in error_text(await client.call_tool("get-job-status", {"job_id": MISSING}))


async def test_status_missing_required_fields_is_reported(client: Client, qovery: LiveQovery) -> None:
    qovery.sim.fail_next("status", Fault(status=200, body='{"id": "x", "state": "DEPLOYED"}'))
    text = error_text(await client.call_tool("get-job-status", {"job_id": NIGHTLY}))
    assert "Qovery answered unexpectedly (HTTP 200)" in text
    assert "status" in text


async def test_html_instead_of_json(client: Client, qovery: LiveQovery) -> None:
    qovery.sim.fail_next(
        "status", Fault(status=200, body="<html>maintenance</html>", content_type="text/html")
    )
    text = error_text(await client.call_tool("get-job-status", {"job_id": NIGHTLY}))
    assert "is not JSON" in text
