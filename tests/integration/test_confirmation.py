"""The confirmation layer through a real MCP client, in both protocol eras (2026-07-28 and 2025-11-25)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from mcp import Client, MCPError
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import (
    INVALID_PARAMS,
    CallToolResult,
    ElicitRequestFormParams,
    ElicitResult,
    ErrorData,
    InputRequiredResult,
    TextContent,
)

from qovery_job_mcp.mcp_server.confirm_sentences import Answer, Outcome
from qovery_job_mcp.mcp_server.eliciting import CONFIRM_SCHEMA, INPUT_KEY, ask
from qovery_job_mcp.mcp_server.sealing import StateSealer, state_key_warning
from qovery_job_mcp.operations.confirming import JobRef, plan_hash
from qovery_job_mcp.operations.confirming import Question as Confirmation
from tests.support.asking import Asker, accept

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
TOOL = "delete-job"
ERAS = ["auto", "legacy"]  # auto is 2026-07-28 in memory; legacy is the 2025-11-25 handshake


@dataclass
class Job:
    id: str
    name: str
    type: str = "CRON"
    version: str = "v1"


@dataclass
class Store:
    """A stand-in for Qovery: jobs by name, what was deleted, and the audit log of every answer."""

    jobs: dict[str, Job] = field(default_factory=lambda: {"nightly": Job("job-1", "nightly")})
    deleted: list[str] = field(default_factory=list)
    audit: list[tuple[str | None, str]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)


@dataclass
class Clock:
    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now


def question_for(job: Job) -> Confirmation:
    return Confirmation(
        tool=TOOL,
        job=JobRef(job.id, job.name, job.type),
        action="delete",
        consequence="Deletion cannot be undone.",
        binding={"version": job.version, "plan": plan_hash({"delete": job.id})},
    )


def build_server(store: Store, sealer: StateSealer | None) -> MCPServer[Any]:
    """One tool that deletes a job by name after asking; a client that cannot ask is refused (the policy here)."""
    security = sealer.request_state_security() if sealer is not None else None
    server: MCPServer[Any] = MCPServer("confirm-test", request_state_security=security)

    @server.tool(name=TOOL)
    async def delete_job(job: str, ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        found = store.jobs[job]
        question = question_for(found)

        async def recheck() -> Mapping[str, str]:
            return question_for(store.jobs[job]).binding

        answer = await ask(ctx, question, recheck=recheck)
        store.answers.append(answer)
        if answer.input_required is not None:
            return answer.input_required
        store.audit.append((answer.audit, answer.reason))
        if not answer.confirmed:
            return CallToolResult(content=[TextContent(type="text", text=answer.message)], is_error=True)
        store.deleted.append(found.id)
        return CallToolResult(content=[TextContent(type="text", text=f"deleted {found.id}")])

    return server


@asynccontextmanager
async def connect(server: MCPServer[Any], mode: str, asker: Asker | None) -> AsyncIterator[Client]:
    async with Client(server, mode=mode, elicitation_callback=asker) as client:
        yield client


def text(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


async def first_leg(client: Client, job: str = "nightly") -> InputRequiredResult:
    """The 2026-07-28 question as the server sends it, without the client's automatic retry."""
    result = await client.session.call_tool(TOOL, {"job": job}, allow_input_required=True)
    assert isinstance(result, InputRequiredResult)
    assert result.request_state is not None
    return result


async def retry(client: Client, state: str, answer: ElicitResult, job: str = "nightly") -> CallToolResult:
    return await client.call_tool(
        TOOL, {"job": job}, input_responses={INPUT_KEY: answer}, request_state=state
    )


def split(token: str) -> tuple[bytes, dict[str, Any]]:
    """The wire token's header (key id, timestamp, HMAC) and the SDK envelope it signs."""
    prefix, _, body = token.partition(".")
    assert prefix == "qjm1"
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return raw[:48], json.loads(raw[48:])


def join(header: bytes, envelope: Mapping[str, Any]) -> str:
    raw = header + json.dumps(envelope, separators=(",", ":")).encode()
    return "qjm1." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- both eras -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ERAS)
async def test_accepted_with_confirm_true_deletes(mode: str) -> None:
    store = Store()
    asker = Asker(accept(True))
    async with connect(build_server(store, StateSealer(KEY)), mode, asker) as client:
        result = await client.call_tool(TOOL, {"job": "nightly"})
    assert not result.is_error, text(result)
    assert store.deleted == ["job-1"]
    assert store.audit == [("yes", "confirmed")]
    [shown] = asker.shown
    assert isinstance(shown, ElicitRequestFormParams)
    assert shown.requested_schema == dict(CONFIRM_SCHEMA)
    assert list(shown.requested_schema["properties"]) == ["confirm"]
    assert shown.requested_schema["properties"]["confirm"]["type"] == "boolean"
    assert "Delete job 'nightly' (CRON, id job-1)?" in shown.message
    assert "Deletion cannot be undone." in shown.message


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize(
    ("answer", "outcome", "says"),
    [
        (ElicitResult(action="decline"), Outcome.DECLINED, "the user declined to delete job 'nightly'"),
        (ElicitResult(action="cancel"), Outcome.CANCELLED, "dismissed the question"),
        (accept(False), Outcome.NOT_CONFIRMED, "answered confirm = false"),
        (accept("yes"), Outcome.INVALID_ANSWER, "did not carry a true or false `confirm`"),
        (ElicitResult(action="accept", content={}), Outcome.INVALID_ANSWER, "true or false"),
    ],
)
async def test_every_no_is_told_apart_and_deletes_nothing(
    mode: str, answer: ElicitResult, outcome: Outcome, says: str
) -> None:
    store = Store()
    async with connect(build_server(store, StateSealer(KEY)), mode, Asker(answer)) as client:
        result = await client.call_tool(TOOL, {"job": "nightly"})
    assert result.is_error
    assert text(result).startswith("Nothing was sent to Qovery")
    assert says in text(result)
    assert store.deleted == []
    assert store.audit == [("no", outcome.value)]


@pytest.mark.parametrize("mode", ERAS)
async def test_client_without_elicitation_gets_the_callers_policy(mode: str) -> None:
    store = Store()
    async with connect(build_server(store, StateSealer(KEY)), mode, None) as client:
        result = await client.call_tool(TOOL, {"job": "nightly"})
    assert result.is_error
    assert "cannot ask the user to confirm" in text(result)
    assert store.audit == [(None, "unsupported")]
    assert store.deleted == []


@pytest.mark.parametrize("mode", ERAS)
async def test_job_changed_while_the_user_thought(mode: str) -> None:
    store = Store()

    def bump() -> None:
        store.jobs["nightly"].version = "v2"

    asker = Asker(accept(True), before_answer=bump)
    async with connect(build_server(store, StateSealer(KEY)), mode, asker) as client:
        result = await client.call_tool(TOOL, {"job": "nightly"})
    assert result.is_error
    assert "changed after the user was asked (version no longer match)" in text(result)
    assert store.audit == [("no", "job_changed")]
    assert store.answers[-1].changed == ("version",)
    assert store.deleted == []


@pytest.mark.parametrize("mode", ERAS)
async def test_works_under_the_sdks_default_sealing_too(mode: str) -> None:
    store = Store()
    async with connect(build_server(store, None), mode, Asker(accept(True))) as client:
        result = await client.call_tool(TOOL, {"job": "nightly"})
    assert not result.is_error, text(result)
    assert store.deleted == ["job-1"]


async def test_legacy_client_error_is_a_no() -> None:
    store = Store()
    asker = Asker(ErrorData(code=-32600, message="user interface unavailable"))
    async with connect(build_server(store, StateSealer(KEY)), "legacy", asker) as client:
        result = await client.call_tool(TOOL, {"job": "nightly"})
    assert result.is_error
    assert "could not show the user the question" in text(result)
    assert "user interface unavailable" in text(result)
    assert store.audit == [("no", "elicitation_failed")]


# --- 2026-07-28: the sealed requestState ------------------------------------------------------------------------


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
    clock = Clock()
    async with connect(
        build_server(store, StateSealer(KEY, clock=clock)), "auto", Asker(accept(True))
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
