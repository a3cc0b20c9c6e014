"""Writes that ask the user first, through a real MCP client, in both protocol eras, and the audit trail.

`legacy` is the 2025-11-25 era (a mid-call `elicitation/create`); `auto` is 2026-07-28 (the tool
answers `InputRequiredResult` with a sealed `requestState`, the client asks and calls again).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitResult, InputRequiredResult

from qovery_job_mcp.audit import caller_fingerprint
from qovery_job_mcp.config import Settings
from qovery_job_mcp.mcp_server.eliciting import INPUT_KEY
from qovery_job_mcp.mcp_server.server import build_server
from tests.support.asking import Asker, accept
from tests.support.audit import AuditLines, captured_audit
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.constants import API_KEY, CLEANUP, NIGHTLY
from tests.support.simulator import LiveQovery

MODES = ["legacy", "auto"]


@pytest.fixture
def audit_lines() -> Iterator[AuditLines]:
    with captured_audit() as lines:
        yield lines


@asynccontextmanager
async def asking_client(
    settings: Settings, fake_time: FakeTime, mode: str, asker: Asker | None
) -> AsyncIterator[Client]:
    server = build_server(settings, client=make_qovery_client(settings, fake_time))
    async with Client(server, mode=mode, elicitation_callback=asker) as client:
        yield client


def sent(qovery: LiveQovery, method: str) -> int:
    return len(qovery.sim.requests_to(method))


@pytest.mark.parametrize("mode", MODES)
async def test_delete_asks_naming_the_job_and_deletes_on_yes(
    qovery: LiveQovery, fake_time: FakeTime, mode: str, audit_lines: AuditLines
) -> None:
    asker = Asker(accept(True))
    async with asking_client(make_settings(qovery.url), fake_time, mode, asker) as client:
        result = await client.call_tool("delete-job", {"job_id": CLEANUP})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["deleted"] is True
    assert CLEANUP not in qovery.sim.jobs
    [question] = asker.shown
    assert "preview-cleanup" in question.message
    assert "CRON" in question.message
    assert CLEANUP in question.message
    assert "cannot be undone" in question.message
    schema = question.requested_schema  # type: ignore[union-attr]
    assert list(schema["properties"]) == ["confirm"]
    assert schema["properties"]["confirm"]["type"] == "boolean"
    [line] = audit_lines.parsed
    assert line["tool"] == "delete-job"
    assert (line["job_id"], line["job_name"], line["confirmed"], line["outcome"]) == (
        CLEANUP,
        "preview-cleanup",
        "yes",
        "applied",
    )
    assert line["caller"] == "server"
    assert line["transport"] == "stdio"
    assert line["dry_run"] is False
    assert line["ts"].endswith("Z")
    assert isinstance(line["duration_ms"], float)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (ElicitResult(action="decline"), "declined"),
        (ElicitResult(action="cancel"), "dismissed"),
        (accept(False), "confirm = false"),
    ],
)
async def test_every_no_deletes_nothing_and_is_not_an_error(
    qovery: LiveQovery,
    fake_time: FakeTime,
    mode: str,
    answer: ElicitResult,
    said: str,
    audit_lines: AuditLines,
) -> None:
    async with asking_client(make_settings(qovery.url), fake_time, mode, Asker(answer)) as client:
        result = await client.call_tool("delete-job", {"job_id": CLEANUP})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["deleted"] is False
    assert said in result.structured_content["message"]
    assert sent(qovery, "DELETE") == 0
    assert CLEANUP in qovery.sim.jobs
    [line] = audit_lines.parsed
    assert (line["confirmed"], line["outcome"]) == ("no", "refused")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("policy", "deleted"), [("delete", True), ("writes", True), ("off", True), ("strict", False)]
)
async def test_a_client_that_cannot_ask_gets_the_policy(
    qovery: LiveQovery,
    fake_time: FakeTime,
    mode: str,
    policy: Any,
    deleted: bool,
    audit_lines: AuditLines,
) -> None:
    settings = make_settings(qovery.url, confirm=policy)
    async with asking_client(settings, fake_time, mode, None) as client:
        result = await client.call_tool("delete-job", {"job_id": CLEANUP})
    assert (CLEANUP not in qovery.sim.jobs) is deleted
    [line] = audit_lines.parsed
    assert line["confirmed"] == "not-asked"
    if deleted:
        assert not result.is_error
        assert line["outcome"] == "applied"
    else:
        assert result.is_error
        assert "QOVERY_MCP_CONFIRM=strict" in result.content[0].text  # type: ignore[union-attr]
        assert sent(qovery, "DELETE") == 0
        assert (line["outcome"], line["reason"]) == ("refused", "confirmation-required")


@pytest.mark.parametrize("mode", MODES)
async def test_policy_off_never_asks(qovery: LiveQovery, fake_time: FakeTime, mode: str) -> None:
    asker = Asker(ElicitResult(action="decline"))
    async with asking_client(make_settings(qovery.url, confirm="off"), fake_time, mode, asker) as client:
        result = await client.call_tool("delete-job", {"job_id": CLEANUP})
    assert not result.is_error
    assert asker.shown == []
    assert CLEANUP not in qovery.sim.jobs


@pytest.mark.parametrize("mode", MODES)
async def test_edits_ask_under_writes_and_show_the_changes(
    qovery: LiveQovery, fake_time: FakeTime, mode: str, audit_lines: AuditLines
) -> None:
    asker = Asker(accept(True))
    body = {"schedule": {"cronjob": {"scheduled_at": "0 4 * * *"}}}
    async with asking_client(make_settings(qovery.url, confirm="writes"), fake_time, mode, asker) as client:
        preview = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": body, "dry_run": True})
        assert asker.shown == []  # a dry run sends nothing, so it asks nothing
        result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": body})
    assert not preview.is_error
    assert not result.is_error
    [question] = asker.shown
    assert "/schedule/cronjob/scheduled_at: '0 2 * * *' -> '0 4 * * *'" in question.message
    assert qovery.sim.jobs[NIGHTLY]["schedule"]["cronjob"]["scheduled_at"] == "0 4 * * *"
    assert [(line["dry_run"], line["confirmed"], line["outcome"]) for line in audit_lines.parsed] == [
        (True, "not-asked", "applied"),
        (False, "yes", "applied"),
    ]
    assert audit_lines.parsed[1]["changes"] == ["/schedule/cronjob/scheduled_at"]


@pytest.mark.parametrize("mode", MODES)
async def test_a_declined_edit_sends_nothing(qovery: LiveQovery, fake_time: FakeTime, mode: str) -> None:
    asker = Asker(ElicitResult(action="decline"))
    async with asking_client(make_settings(qovery.url, confirm="strict"), fake_time, mode, asker) as client:
        result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"description": "x"}})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["applied"] is False
    assert result.structured_content["changes"][0]["path"] == "/description"
    assert sent(qovery, "PUT") == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tool", ["edit-job", "delete-job"])
async def test_a_job_changed_while_the_user_thought_is_left_alone(
    qovery: LiveQovery, fake_time: FakeTime, mode: str, tool: str, audit_lines: AuditLines
) -> None:
    def teammate_edits() -> None:
        qovery.sim.jobs[NIGHTLY]["description"] = "changed by a teammate"

    asker = Asker(accept(True), before_answer=teammate_edits)
    arguments: dict[str, Any] = {"job_id": NIGHTLY}
    if tool == "edit-job":
        arguments["body"] = {"cpu": 750}
    async with asking_client(make_settings(qovery.url, confirm="writes"), fake_time, mode, asker) as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error
    assert result.structured_content is not None
    assert "changed after the user was asked" in result.structured_content["message"]
    assert sent(qovery, "PUT") == 0
    assert sent(qovery, "DELETE") == 0
    assert qovery.sim.jobs[NIGHTLY]["description"] == "changed by a teammate"
    [line] = audit_lines.parsed
    assert (line["confirmed"], line["outcome"], line["reason"]) == ("yes", "refused", "job_changed")


async def test_a_tampered_state_is_refused_and_nothing_is_sent(
    qovery: LiveQovery, fake_time: FakeTime
) -> None:
    async with asking_client(make_settings(qovery.url), fake_time, "auto", Asker(accept(True))) as client:
        first = await client.session.call_tool("delete-job", {"job_id": CLEANUP}, allow_input_required=True)
        assert isinstance(first, InputRequiredResult)
        assert first.request_state is not None
        prefix, _, body = first.request_state.partition(".")
        raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        raw[40] ^= 1  # a bit of the HMAC: the state is no longer the one this server sealed
        tampered = prefix + "." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
        result = await client.call_tool(
            "delete-job",
            {"job_id": CLEANUP},
            input_responses={INPUT_KEY: accept(True)},
            request_state=tampered,
        )
    assert sent(qovery, "DELETE") == 0
    assert CLEANUP in qovery.sim.jobs
    assert result.structured_content is not None
    assert result.structured_content["deleted"] is False
    assert "was altered after this server issued it" in result.structured_content["message"]


def test_callers_are_fingerprinted_never_named() -> None:
    assert caller_fingerprint(None) == "server"
    token = caller_fingerprint("Token qov_abc")
    assert token == caller_fingerprint("Bearer qov_abc")  # the same credential, whatever its scheme
    assert token.startswith("cred:")
    assert len(token) == len("cred:") + 12
    assert "qov_abc" not in token
    assert API_KEY not in caller_fingerprint(API_KEY)
