"""The confirmation step through a real MCP client, in both protocol eras (2026-07-28 and 2025-11-25): what each answer does."""

from __future__ import annotations

import pytest
from mcp.types import (
    ElicitRequestFormParams,
    ElicitResult,
    ErrorData,
)

from qovery_job_mcp.mcp_server.confirm_sentences import Outcome
from qovery_job_mcp.mcp_server.eliciting import CONFIRM_SCHEMA
from qovery_job_mcp.mcp_server.sealing import StateSealer
from tests.support.asking import Asker, accept
from tests.support.confirm_tool import (
    ERAS,
    KEY,
    TOOL,
    Store,
    build_server,
    connect,
    text,
)

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
