"""The sealed request state of the 2026-07-28 era (the HMAC codec): tampering, expiry, other keys, other jobs, replay; and the question's pure parts."""

from __future__ import annotations

import json
import time

import pytest
from mcp import MCPError
from mcp.types import (
    INVALID_PARAMS,
    ElicitRequestFormParams,
    InputRequiredResult,
)

from qovery_job_mcp.mcp_server.confirm_sentences import Outcome
from qovery_job_mcp.mcp_server.eliciting import CONFIRM_SCHEMA, INPUT_KEY
from qovery_job_mcp.mcp_server.sealing import StateSealer, state_key_warning
from qovery_job_mcp.operations.confirming import JobRef, plan_hash
from qovery_job_mcp.operations.confirming import Question as Confirmation
from tests.support.asking import Asker, accept
from tests.support.clock import FakeTime
from tests.support.confirm_tool import (
    KEY,
    OTHER_KEY,
    TOOL,
    Job,
    Store,
    build_server,
    connect,
    first_leg,
    join,
    retry,
    split,
    text,
)


async def test_first_leg_asks_with_a_sealed_state_and_deletes_nothing() -> None:
    store = Store()
    async with connect(build_server(store, StateSealer(KEY)), "auto", Asker(accept(True))) as client:
        question = await first_leg(client)
    assert question.input_requests is not None
    [(key, request)] = question.input_requests.items()
    assert key == INPUT_KEY
    assert request.method == "elicitation/create"
    assert isinstance(request.params, ElicitRequestFormParams)
    assert request.params.requested_schema == dict(CONFIRM_SCHEMA)
    assert store.deleted == []
    assert store.answers[-1].outcome is Outcome.PENDING
    _, envelope = split(question.request_state or "")
    inner = json.loads(envelope["s"])
    assert inner["tool"] == TOOL
    assert inner["job"] == "job-1"
    assert inner["binding"] == {"version": "v1", "plan": plan_hash({"delete": "job-1"})}


async def test_two_servers_sharing_one_key_accept_each_others_state() -> None:
    store = Store()
    server_a = build_server(store, StateSealer(KEY))
    server_b = build_server(store, StateSealer(KEY))
    async with (
        connect(server_a, "auto", Asker(accept(True))) as a,
        connect(server_b, "auto", Asker(accept(True))) as b,
    ):
        question = await first_leg(a)
        result = await retry(b, question.request_state or "", accept(True))
    assert not result.is_error, text(result)
    assert store.deleted == ["job-1"]


@pytest.mark.parametrize("where", ["state", "mac"])
async def test_tampered_state_is_refused(where: str) -> None:
    store = Store()
    store.jobs["other"] = Job("job-2", "other")
    async with connect(build_server(store, StateSealer(KEY)), "auto", Asker(accept(True))) as client:
        header, envelope = split((await first_leg(client)).request_state or "")
        if where == "state":
            envelope["s"] = envelope["s"].replace('"binding":{"version":"v1"', '"binding":{"version":"v9"')
            assert '"v9"' in envelope["s"]
        else:
            header = header[:-1] + bytes([header[-1] ^ 1])
        result = await retry(client, join(header, envelope), accept(True))
    assert result.is_error
    assert "was altered after this server issued it" in text(result)
    assert store.audit == [("no", "state_tampered")]
    assert store.deleted == []


async def test_expired_state_is_refused() -> None:
    store = Store()
    clock = FakeTime(now=time.time())
    async with connect(
        build_server(store, StateSealer(KEY, clock=clock.clock)), "auto", Asker(accept(True))
    ) as client:
        question = await first_leg(client)
        clock.now += 299
        still_fresh = await retry(client, question.request_state or "", accept(False))
        clock.now += 2
        result = await retry(client, question.request_state or "", accept(True))
    assert store.audit[0] == ("no", "not_confirmed")
    assert result.is_error
    assert "the confirmation expired (an answer is accepted for 5 minutes)" in text(result)
    assert store.audit[1] == ("no", "state_expired")
    assert still_fresh.is_error
    assert store.deleted == []


async def test_state_sealed_with_another_key_is_refused() -> None:
    store = Store()
    async with (
        connect(build_server(store, StateSealer(OTHER_KEY)), "auto", Asker(accept(True))) as other,
        connect(build_server(store, StateSealer(KEY)), "auto", Asker(accept(True))) as client,
    ):
        question = await first_leg(other)
        result = await retry(client, question.request_state or "", accept(True))
    assert result.is_error
    assert "sealed with another key" in text(result)
    assert "every replica must be given the same QOVERY_MCP_STATE_KEY" in text(result)
    assert store.audit == [("no", "state_foreign_key")]
    assert store.deleted == []


async def test_without_a_key_another_process_refuses_and_says_why() -> None:
    store = Store()
    async with (
        connect(build_server(store, StateSealer()), "auto", Asker(accept(True))) as a,
        connect(build_server(store, StateSealer()), "auto", Asker(accept(True))) as b,
    ):
        question = await first_leg(a)
        result = await retry(b, question.request_state or "", accept(True))
    assert "this server has no QOVERY_MCP_STATE_KEY" in text(result)
    assert store.audit == [("no", "state_foreign_key")]
    assert store.deleted == []


async def test_state_bound_to_another_job_is_refused() -> None:
    """The name now points at another job (deleted and re-created): the state names the first one."""
    store = Store()
    async with connect(build_server(store, StateSealer(KEY)), "auto", Asker(accept(True))) as client:
        question = await first_leg(client)
        store.jobs["nightly"] = Job("job-9", "nightly")
        result = await retry(client, question.request_state or "", accept(True))
    assert result.is_error
    assert (
        "was issued for delete-job on job id job-1, not for delete-job on job 'nightly' (CRON, id job-9)"
        in text(result)
    )
    assert store.audit == [("no", "state_other_target")]
    assert store.deleted == []


async def test_state_replayed_onto_another_jobs_call_is_refused_by_the_sdk() -> None:
    """The SDK binds the state to the tool's arguments and refuses a replay before the tool runs."""
    store = Store()
    store.jobs["other"] = Job("job-2", "other")
    async with connect(build_server(store, StateSealer(KEY)), "auto", Asker(accept(True))) as client:
        question = await first_leg(client, "nightly")
        with pytest.raises(MCPError) as refused:
            await retry(client, question.request_state or "", accept(True), job="other")
    assert refused.value.code == INVALID_PARAMS
    assert refused.value.message == "Invalid or expired requestState"
    assert store.deleted == []
    assert store.audit == []


async def test_garbage_state_is_refused_by_the_sdk() -> None:
    store = Store()
    async with connect(build_server(store, StateSealer(KEY)), "auto", Asker(accept(True))) as client:
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await retry(client, "qjm1.not-a-token", accept(True))
    assert store.deleted == []


async def test_retry_without_an_answer_asks_again() -> None:
    store = Store()
    async with connect(build_server(store, StateSealer(KEY)), "auto", Asker(accept(True))) as client:
        question = await first_leg(client)
        again = await client.session.call_tool(
            TOOL, {"job": "nightly"}, request_state=question.request_state, allow_input_required=True
        )
    assert isinstance(again, InputRequiredResult)
    assert again.input_requests is not None
    assert INPUT_KEY in again.input_requests
    assert store.deleted == []


# --- the pieces -------------------------------------------------------------------------------------------------


def test_sealer_refuses_a_short_key_and_says_when_its_key_is_its_own() -> None:
    """The key itself is read (and its length refused) by config's QOVERY_MCP_STATE_KEY option."""
    with pytest.raises(ValueError, match="at least 32 bytes; it is 5"):
        StateSealer(b"short")
    assert not StateSealer(b"x" * 32).ephemeral
    assert StateSealer().ephemeral


def test_warning_is_due_only_for_http_without_a_key() -> None:
    warning = state_key_warning(None, http=True)
    assert warning is not None
    assert "another replica" in warning
    assert state_key_warning(None, http=False) is None
    assert state_key_warning(KEY, http=True) is None


def test_plan_hash_ignores_key_order_and_sees_values() -> None:
    assert plan_hash({"a": 1, "b": [1, 2]}) == plan_hash({"b": [1, 2], "a": 1})
    assert plan_hash({"a": 1}) != plan_hash({"a": 2})


def test_edit_question_lists_the_changes() -> None:
    question = Confirmation(
        tool="edit-job",
        job=JobRef("job-1", "nightly", "CRON"),
        action="edit",
        changes=("schedule: '0 * * * *' -> '15 * * * *'", "cpu: 500 -> 1000"),
    )
    assert question.message() == (
        "Edit job 'nightly' (CRON, id job-1)?\n"
        "Changes:\n"
        "- schedule: '0 * * * *' -> '15 * * * *'\n"
        "- cpu: 500 -> 1000\n"
        "Set confirm to true to go ahead."
    )


def test_sealer_round_trips_and_refuses_what_it_did_not_mint() -> None:
    envelope = json.dumps({"v": 1, "m": "tools/call", "t": TOOL, "s": "inner"}).encode()
    sealer = StateSealer(KEY)
    token = sealer.seal(envelope)
    assert sealer.unseal(token) == envelope
    refused = json.loads(StateSealer(OTHER_KEY).unseal(token))
    assert json.loads(refused["s"])["qovery-job-mcp/refused"] == "foreign_key"
    assert refused["t"] == TOOL
    assert "inner" not in refused["s"]
