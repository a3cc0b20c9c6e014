"""Fencing through the real Qovery client: under a held job lock, a write whose lease lapsed is not sent.

The shared job locks run over the in-process store on a fake wall clock (the same contract as Redis,
tests/integration/store/test_store_contract.py), so a lease runs out when the test says so.
"""

from __future__ import annotations

import pytest

from qovery_job_mcp.store.base import BudgetSettings
from qovery_job_mcp.store.errors import LeaseLostError
from qovery_job_mcp.store.gate import StoreGate
from qovery_job_mcp.store.job_locks import HELD, SharedJobLocks
from qovery_job_mcp.store.memory import MemoryStore
from qovery_job_mcp.wiring import client_from_settings
from tests.support.clients import make_settings
from tests.support.clock import START, FakeTime
from tests.support.constants import NIGHTLY
from tests.support.simulator import simulated_qovery


async def test_a_write_whose_lease_lapsed_is_not_sent_and_a_live_one_is() -> None:
    wall = FakeTime(START)
    store = MemoryStore(BudgetSettings(), clock=wall.clock, sleep=wall.sleep)
    locks = SharedJobLocks(store, lease_seconds=30)
    with simulated_qovery() as qovery:
        client = client_from_settings(make_settings(qovery.url))
        client.gate = StoreGate(store, clock=wall.clock)
        try:
            job = (await client.request("GET", f"/job/{NIGHTLY}")).json()
            async with locks.hold(NIGHTLY):
                assert HELD.get() is not None
                wall.advance(20)
                await client.request(
                    "PUT", f"/job/{NIGHTLY}", json_body={**job, "cpu": 300}
                )  # renewed: 30 s more
                wall.advance(29)
                await client.request("GET", f"/job/{NIGHTLY}")  # a read needs no fencing
                wall.advance(2)  # 31 s since the last write: the lease lapsed
                with pytest.raises(LeaseLostError, match="nothing was sent"):
                    await client.request("PUT", f"/job/{NIGHTLY}", json_body={**job, "cpu": 400})
            assert HELD.get() is None
        finally:
            await client.aclose()
        assert [request.body["cpu"] for request in qovery.sim.requests_to("PUT")] == [300]
