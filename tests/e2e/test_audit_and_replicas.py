"""The audit trail and confirmation through the real command: the audit file over stdio, two HTTP replicas
sharing QOVERY_MCP_STATE_KEY (asked by one, answered on the other), each answer over stdio and HTTP.

The in-process half (audit lines of both adapters) is tests/integration/test_audit_and_replicas.py.
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitResult, InputRequiredResult

from qovery_job_mcp.mcp_server.eliciting import INPUT_KEY
from tests.support.constants import API_KEY, CLEANUP, MIGRATIONS, NIGHTLY
from tests.support.http_server import http_client, http_server
from tests.support.reliability import stdio_params, stdio_server
from tests.support.simulator import LiveQovery


async def never_called(context: Any, params: Any) -> ElicitResult:
    """Declares form elicitation; the test answers the question itself, on the other replica."""
    raise AssertionError("the first leg returns the question; it is not asked mid-call")


ANSWERS = {
    "accept": ElicitResult(action="accept", content={"confirm": True}),
    "decline": ElicitResult(action="decline"),
    "cancel": ElicitResult(action="cancel"),
}


def test_the_command_appends_the_audit_trail_to_a_file(qovery: LiveQovery, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_text('{"earlier": "line"}\n')
    with stdio_server(qovery.url, QOVERY_MCP_AUDIT_LOG=str(log)) as server:
        server.initialize()
        server.call(2, "edit-job", {"job_id": NIGHTLY, "body": {"description": "from stdio"}})
        server.call(3, "get-job-id", {"job_id": NIGHTLY})
    lines = log.read_text().splitlines()
    assert lines[0] == '{"earlier": "line"}'
    [line] = [json.loads(text) for text in lines[1:]]
    assert (line["tool"], line["transport"], line["caller"], line["outcome"]) == (
        "edit-job",
        "stdio",
        "server",
        "applied",
    )
    assert API_KEY not in log.read_text()


@pytest.mark.parametrize("where", ["/dev/full", "removed-folder"])
def test_a_write_whose_audit_line_cannot_be_written_still_answers(
    qovery: LiveQovery, tmp_path: Path, where: str
) -> None:
    if where == "/dev/full" and not Path("/dev/full").exists():
        pytest.skip("this system has no /dev/full")
    target = Path(where) if where == "/dev/full" else tmp_path / "gone" / "audit.jsonl"
    if where != "/dev/full":
        target.parent.mkdir()
    with stdio_server(qovery.url, QOVERY_MCP_AUDIT_LOG=str(target)) as server:
        server.initialize()
        if where != "/dev/full":
            shutil.rmtree(target.parent)
        answer = server.call(2, "edit-job", {"job_id": NIGHTLY, "body": {"description": "still answered"}})
        stderr = server.stderr
    assert "error" not in answer
    assert answer["result"]["isError"] is False
    assert qovery.sim.jobs[NIGHTLY]["description"] == "still answered"
    assert "auditing failed" in stderr


@pytest.mark.slow
async def test_a_confirmation_asked_by_one_replica_is_answered_on_another(qovery: LiveQovery) -> None:
    env = {
        "QOVERY_API_KEY": API_KEY,
        "QOVERY_API_URL": qovery.url,
        "QOVERY_MCP_STATE_KEY": secrets.token_hex(32),
    }
    with http_server("--stateless", env=env) as first, http_server("--stateless", env=env) as second:
        async with http_client(first.url, elicitation_callback=never_called) as asking:
            question = await asking.session.call_tool(
                "delete-job", {"job_id": CLEANUP}, allow_input_required=True
            )
        assert isinstance(question, InputRequiredResult)
        assert question.request_state is not None
        assert qovery.sim.requests_to("DELETE") == []
        async with http_client(second.url) as answering:
            result = await answering.call_tool(
                "delete-job",
                {"job_id": CLEANUP},
                input_responses={INPUT_KEY: ElicitResult(action="accept", content={"confirm": True})},
                request_state=question.request_state,
            )
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert result.structured_content["deleted"] is True
    assert len(qovery.sim.requests_to("DELETE")) == 1
    assert CLEANUP not in qovery.sim.jobs


@pytest.mark.slow
async def test_without_a_shared_key_the_other_replica_refuses_and_says_why(qovery: LiveQovery) -> None:
    env = {"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": qovery.url}
    with http_server("--stateless", env=env) as first, http_server("--stateless", env=env) as second:
        assert "QOVERY_MCP_STATE_KEY is not set" in first.stderr()
        async with http_client(first.url, elicitation_callback=never_called) as asking:
            question = await asking.session.call_tool(
                "delete-job", {"job_id": CLEANUP}, allow_input_required=True
            )
        assert isinstance(question, InputRequiredResult)
        async with http_client(second.url) as answering:
            result = await answering.call_tool(
                "delete-job",
                {"job_id": CLEANUP},
                input_responses={INPUT_KEY: ElicitResult(action="accept", content={"confirm": True})},
                request_state=question.request_state,
            )
    assert result.structured_content is not None
    assert result.structured_content["deleted"] is False
    assert "sealed with another key" in result.structured_content["message"]
    assert qovery.sim.requests_to("DELETE") == []


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize("over", ["stdio", "http"])
async def test_confirmation_over_the_real_transports(qovery: LiveQovery, mode: str, over: str) -> None:
    """Each answer, in each era, through the command as users run it: one process, three deletes asked."""
    jobs = [CLEANUP, NIGHTLY, MIGRATIONS]
    answers = list(ANSWERS)
    asked: list[str] = []

    async def user(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ANSWERS[answers[len(asked) - 1]]

    results = []
    if over == "stdio":
        async with Client(stdio_params(qovery.url), mode=mode, elicitation_callback=user) as client:
            for job in jobs:
                results.append(await client.call_tool("delete-job", {"job_id": job}))
    else:
        env = {"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": qovery.url}
        with http_server(env=env) as server:
            async with http_client(server.url, mode=mode, elicitation_callback=user) as client:
                for job in jobs:
                    results.append(await client.call_tool("delete-job", {"job_id": job}))
    assert len(asked) == 3
    assert all("cannot be undone" in message for message in asked)
    deleted = [r.structured_content["deleted"] if r.structured_content else None for r in results]
    assert deleted == [True, False, False]
    assert not any(r.is_error for r in results)
    assert [r.path.rsplit("/", 1)[-1] for r in qovery.sim.requests_to("DELETE")] == [CLEANUP]
