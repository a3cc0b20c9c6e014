"""The audit trail through both adapters and the real command, and confirmation across two replicas.

- Per-request credentials with a Qovery error that echoes the credential: the audit line names the
  caller by fingerprint, and neither the bare credential nor `Bearer <jwt>` appears in it.
- REST edits and deletes are audited too (transport `rest`).
- `--audit-log` appends to a file; a file that cannot be written (/dev/full, a removed folder)
  never fails the call, and stderr says auditing failed.
- Two HTTP server processes sharing QOVERY_MCP_STATE_KEY: the question is asked by one, the answer
  (with its `requestState`) is taken by the other, and the job is deleted exactly once.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.types import ElicitResult, InputRequiredResult

from qovery_job_mcp.audit import caller_fingerprint
from qovery_job_mcp.mcp_server.eliciting import INPUT_KEY
from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.simulation.faults import Fault
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.conftest import (
    API_KEY,
    CLEANUP,
    JWT,
    MIGRATIONS,
    NIGHTLY,
    FakeTime,
    LiveQovery,
    make_qovery_client,
    make_settings,
)
from tests.support.http_server import http_client, http_server
from tests.support.loopback import serve_on_loopback
from tests.support.reliability import stdio_server


async def never_called(context: Any, params: Any) -> ElicitResult:
    """Declares form elicitation; the test answers the question itself, on the other replica."""
    raise AssertionError("the first leg returns the question; it is not asked mid-call")


AUDIT_FIELDS = {
    "ts",
    "tool",
    "job_id",
    "job_name",
    "caller",
    "transport",
    "dry_run",
    "confirmed",
    "changes",
    "outcome",
    "duration_ms",
}


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.raw: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.raw.append(record.getMessage())

    @property
    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.raw]


@pytest.fixture
def audit() -> Iterator[Lines]:
    handler = Lines()
    audit_logger = logging.getLogger("qovery_job_mcp.audit")
    audit_logger.addHandler(handler)
    previous = audit_logger.level
    audit_logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        audit_logger.removeHandler(handler)
        audit_logger.setLevel(previous)


@pytest.mark.anyio
async def test_per_request_audit_lines_carry_a_fingerprint_and_no_secret(
    qovery: LiveQovery, fake_time: FakeTime, audit: Lines
) -> None:
    settings = make_settings(qovery.url, api_key=None, transport="http")
    caller = f"Bearer {JWT}"
    server = build_server(
        settings, client=make_qovery_client(settings, fake_time), resolve_credential=lambda ctx: caller
    )
    echo = Fault(403, json.dumps({"message": f"token {JWT} lacks admin; sent {caller}"}))
    async with Client(server) as client:
        qovery.sim.fail_next("job", echo)
        refused = await client.call_tool("delete-job", {"job_id": CLEANUP})
        applied = await client.call_tool("edit-job", {"job_id": MIGRATIONS, "body": {"cpu": 750}})
    assert refused.is_error
    assert not applied.is_error
    failed, done = audit.parsed
    assert set(done) == AUDIT_FIELDS
    assert (failed["outcome"], failed["status"], failed["reason"]) == ("failed", 403, "forbidden")
    assert (done["outcome"], done["changes"], done["transport"]) == ("applied", ["/cpu"], "http")
    assert failed["caller"] == done["caller"] == caller_fingerprint(caller)
    for line in audit.raw:
        assert JWT not in line
        assert JWT[:20] not in line


def test_rest_writes_are_audited(qovery: LiveQovery, fake_time: FakeTime, audit: Lines) -> None:
    settings = make_settings(qovery.url, transport="rest")
    app = build_rest_app(settings, JobOperations(make_qovery_client(settings, fake_time)))
    with serve_on_loopback(app, lifespan="on") as url, httpx.Client(base_url=url, timeout=10) as http:
        assert http.get(f"/v1/job/{NIGHTLY}").status_code == 200  # reads are not audited
        edited = http.patch(
            f"/v1/job/{NIGHTLY}",
            content=json.dumps({"description": "audited"}),
            headers={"Content-Type": "application/merge-patch+json"},
        )
        stale = http.patch(
            f"/v1/job/{NIGHTLY}",
            content=json.dumps({"description": "late"}),
            headers={"Content-Type": "application/merge-patch+json", "If-Match": '"0000000000000000"'},
        )
        deleted = http.delete(f"/v1/job/{CLEANUP}")
        again = http.delete(f"/v1/job/{CLEANUP}")
    assert (edited.status_code, stale.status_code, deleted.status_code, again.status_code) == (
        200,
        412,
        204,
        404,
    )
    summary = [
        (line["tool"], line["outcome"], line.get("reason"), line["transport"]) for line in audit.parsed
    ]
    assert summary == [
        ("edit-job", "applied", None, "rest"),
        ("edit-job", "refused", "version-mismatch", "rest"),
        ("delete-job", "applied", None, "rest"),
        ("delete-job", "failed", "not-found", "rest"),
    ]
    assert audit.parsed[0]["job_name"] == "nightly-report"
    assert audit.parsed[0]["changes"] == ["/description"]
    assert all(API_KEY not in line for line in audit.raw)


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


@pytest.mark.anyio
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


@pytest.mark.anyio
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


ANSWERS = {
    "accept": ElicitResult(action="accept", content={"confirm": True}),
    "decline": ElicitResult(action="decline"),
    "cancel": ElicitResult(action="cancel"),
}


@pytest.mark.anyio
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
        from tests.test_stdio import stdio_params

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
