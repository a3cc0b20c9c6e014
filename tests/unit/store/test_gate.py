"""The client's gate over the store: a short block is waited out, a long one refuses before anything is sent."""

from __future__ import annotations

import httpx
import pytest

from qovery_job_mcp.store.errors import BudgetSpentError
from qovery_job_mcp.store.gate import SHORT_BLOCK_SECONDS, StoreGate
from qovery_job_mcp.store.memory import MemoryStore
from tests.support.clock import START, FakeTime

KEY = "qov_gate_test_0123456789SECRET"


def gate_on(time_: FakeTime) -> StoreGate:
    return StoreGate(MemoryStore(clock=time_.clock, sleep=time_.sleep), clock=time_.clock, sleep=time_.sleep)


def rate_limited(retry_after: str) -> httpx.Response:
    return httpx.Response(429, headers={"Retry-After": retry_after}, json={"status": 429})


async def test_a_429_of_a_second_is_waited_out_by_the_next_attempt_not_refused() -> None:
    time_ = FakeTime(now=START)
    gate = gate_on(time_)
    await gate.after_answer(KEY, rate_limited("1"))
    await gate.before_attempt("GET", KEY)  # another call, meanwhile: it waits, then goes
    assert len(time_.sleeps) == 1
    assert 0.9 <= time_.sleeps[0] <= 1.0


async def test_a_longer_block_refuses_at_once_with_when_to_retry() -> None:
    time_ = FakeTime(now=START)
    gate = gate_on(time_)
    await gate.after_answer(KEY, rate_limited(str(int(SHORT_BLOCK_SECONDS) + 27)))
    with pytest.raises(BudgetSpentError) as refused:
        await gate.before_attempt("GET", KEY)
    assert time_.sleeps == []
    assert "nothing was sent" in refused.value.message
