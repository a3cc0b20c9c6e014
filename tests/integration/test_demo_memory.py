"""A long-running demo keeps bounded memory: the simulator remembers nothing per request.

Before, the simulator recorded every request for the tests (2,000 calls kept 2,000 records). The
demo's simulator now holds its jobs, commits and statuses, and the chaos policy's per-route and
per-kind counters, and nothing else that grows with traffic.
"""

from __future__ import annotations

from collections.abc import Sized
from typing import Any

import httpx

from qovery_job_mcp.demo import demo_chaos
from qovery_job_mcp.simulation.api import SimulatedQovery
from qovery_job_mcp.simulation.data import DEMO_API_KEY, NIGHTLY_JOB_ID
from qovery_job_mcp.simulation.faults import BAD_GATEWAY, EXTRA_FIELDS, MISSING_FIELDS
from tests.support.clients import make_settings

CALLS = 1000
#: No container the simulator holds may grow past this, however many calls it answered.
CAP = 50


def sizes(owner: Any) -> dict[str, int]:
    """The size of every container held by `owner` and by the chaos policy it holds."""
    found = {name: len(value) for name, value in vars(owner).items() if isinstance(value, Sized)}
    chaos = getattr(owner, "chaos", None)
    if chaos is not None:
        found.update({f"chaos.{n}": len(v) for n, v in vars(chaos).items() if isinstance(v, Sized)})
    return found


async def test_a_thousand_demo_calls_keep_nothing_per_call() -> None:
    settings = make_settings("https://api.qovery.com", api_key=None, demo=True, demo_faults=0.3, demo_seed=7)
    policy = demo_chaos(settings)
    assert policy is not None
    # The demo's own policy, limited to answers that come back at once (no stall, no trickle).
    policy.kinds = (BAD_GATEWAY, EXTRA_FIELDS, MISSING_FIELDS)
    for sim in (SimulatedQovery(), SimulatedQovery(chaos=policy)):
        transport = httpx.ASGITransport(app=sim.app)
        headers = {"Authorization": f"Token {DEMO_API_KEY}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://qovery", headers=headers) as http:
            for index in range(CALLS):
                path = f"/job/{NIGHTLY_JOB_ID}" + ("/status" if index % 2 else "")
                response = await http.get(path)
                assert response.status_code in (200, 502)
        grown = {name: size for name, size in sizes(sim).items() if size > CAP}
        assert grown == {}, f"after {CALLS} calls the simulator still holds {grown}"
    assert policy.total_injected > CALLS // 10
