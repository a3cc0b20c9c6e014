"""Issue 21: two replicas that share a Redis act as one; with the in-process store they do not.

Each test stands up two replicas of our server (tests.support.replicas) in front of one simulated
Qovery on a loopback port, and counts what reached it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitResult, InputRequiredResult

from qovery_job_mcp.mcp_server.eliciting import INPUT_KEY
from qovery_job_mcp.simulation.rate_limit import RateLimit
from tests.support.constants import NIGHTLY
from tests.support.replicas import replica, text_of
from tests.support.simulator import Fault, LiveQovery, simulated_qovery

EDITS = 16
#: How long the first PUT is held when no second one arrives (the shared lock keeps every other edit out).
HOLD_SECONDS = 0.5


async def never_asked(context: Any, params: Any) -> ElicitResult:
    """Declares that the client can ask (2026-07-28 asks through the result, not through this)."""
    raise AssertionError("the question goes back in the result, not mid-call")


async def version_of(client: Client) -> str:
    dry = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 250}, "dry_run": True})
    assert dry.structured_content is not None
    return str(dry.structured_content["version"])


async def release_when_raced(qovery: LiveQovery, release: Any) -> None:
    """Let the held first PUT go once a second PUT arrived (no shared lock), or after HOLD_SECONDS."""
    first_put_at: float | None = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        puts = len(qovery.sim.requests_to("PUT"))
        if puts >= 2:
            break
        if puts == 1:
            first_put_at = first_put_at or time.monotonic()
            if time.monotonic() - first_put_at >= HOLD_SECONDS:
                break
        await asyncio.sleep(0.01)
    release.set()


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "memory"])
async def test_sixteen_edits_with_one_expected_version_make_one_put_across_two_replicas(
    redis_url: str, shared: bool
) -> None:
    with simulated_qovery() as qovery:
        store = redis_url if shared else None
        async with replica(qovery.url, store) as a, replica(qovery.url, store) as b:
            version = await version_of(a)
            release = qovery.sim.hold_next("job", "PUT")
            edits = [
                (a if index % 2 else b).call_tool(
                    "edit-job",
                    {"job_id": NIGHTLY, "body": {"cpu": 300 + index}, "expected_version": version},
                )
                for index in range(EDITS)
            ]
            answers, _ = await asyncio.gather(asyncio.gather(*edits), release_when_raced(qovery, release))
        puts = qovery.sim.requests_to("PUT")
    if not shared:
        # The proof that the shared lock is what holds it: without it, two replicas both wrote.
        assert len(puts) > 1
        return
    assert len(puts) == 1
    applied = [answer for answer in answers if not answer.is_error]
    assert len(applied) == 1
    refused = [text_of(answer) for answer in answers if answer.is_error]
    assert len(refused) == EDITS - 1
    assert all("The job changed since version" in sentence for sentence in refused), refused


async def test_a_confirmation_answered_on_one_replica_is_refused_on_the_other(redis_url: str) -> None:
    with simulated_qovery() as qovery:
        original = dict(qovery.sim.jobs[NIGHTLY])
        body = {"job_id": NIGHTLY, "body": {"cpu": 600}}
        yes: dict[str, Any] = {INPUT_KEY: ElicitResult(action="accept", content={"confirm": True})}
        async with (
            replica(qovery.url, redis_url, confirm="writes", elicitation_callback=never_asked) as a,
            replica(qovery.url, redis_url, confirm="writes", elicitation_callback=never_asked) as b,
        ):
            question = await a.session.call_tool("edit-job", body, allow_input_required=True)
            assert isinstance(question, InputRequiredResult)
            done = await a.call_tool(
                "edit-job", body, input_responses=yes, request_state=question.request_state
            )
            assert not done.is_error, text_of(done)
            qovery.sim.jobs[NIGHTLY] = original  # the job as it was: the replayed yes would still match it
            replayed = await b.call_tool(
                "edit-job", body, input_responses=yes, request_state=question.request_state
            )
        assert replayed.is_error
        assert "already answered and cannot be used twice; nothing was sent" in text_of(replayed)
        assert len(qovery.sim.requests_to("PUT")) == 1


async def test_a_budget_of_twenty_is_shared_by_two_replicas(redis_url: str) -> None:
    with simulated_qovery() as qovery:
        async with (
            replica(qovery.url, redis_url, budget=20) as a,
            replica(qovery.url, redis_url, budget=20) as b,
        ):
            answers = [
                await (a if n % 2 else b).call_tool("get-job-id", {"job_id": NIGHTLY}) for n in range(30)
            ]
        assert len(qovery.sim.requests_to("GET")) == 20
        refused = [text_of(answer) for answer in answers if answer.is_error]
        assert len(refused) == 10
        assert all(
            "request budget for this credential is spent; nothing was sent. Retry after" in r for r in refused
        )


async def test_qoverys_rate_limit_headers_stop_every_replica_before_sending(redis_url: str) -> None:
    with simulated_qovery(rate_limit=RateLimit(limit=5)) as qovery:
        async with replica(qovery.url, redis_url) as a, replica(qovery.url, redis_url) as b:
            answers = [
                await (a if n % 2 else b).call_tool("get-job-id", {"job_id": NIGHTLY}) for n in range(8)
            ]
        # Qovery said "0 remaining" on the fifth answer: nobody sent a sixth request (no 429 was needed).
        assert len(qovery.sim.requests_to("GET")) == 5
        refused = [text_of(answer) for answer in answers[5:]]
        assert all(answer.is_error for answer in answers[5:])
        assert all("Retry after" in sentence and "(in 3" in sentence for sentence in refused), refused


async def test_a_429_retry_after_on_one_replica_holds_the_other_back(redis_url: str) -> None:
    with simulated_qovery() as qovery:
        qovery.sim.fail_next(
            "job", Fault(429, '{"status":429,"detail":"Rate limit exceeded"}', headers={"Retry-After": "30"})
        )
        async with (
            replica(qovery.url, redis_url, max_attempts=1) as a,
            replica(qovery.url, redis_url, max_attempts=1) as b,
        ):
            limited = await a.call_tool("get-job-id", {"job_id": NIGHTLY})
            held_back = await b.call_tool("get-job-id", {"job_id": NIGHTLY})
        assert limited.is_error
        assert held_back.is_error
        assert "nothing was sent. Retry after" in text_of(held_back)
        assert len(qovery.sim.requests_to("GET")) == 1
