"""Issue 19, writes against a hostile upstream: exactly the job named, exactly once, reported truthfully.

Each test drives our server in memory through a real MCP client against `tests.support.hostile`, a
Qovery that lies on purpose on a real loopback port, and counts what reached it: the path of every
write, how many PUTs and DELETEs. The findings' numbers are the issue's.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp.types import ElicitResult, InputRequiredResult

from qovery_job_mcp.config import ConfigError, load_settings
from qovery_job_mcp.mcp_server.eliciting import INPUT_KEY
from tests.support.audit import captured_audit
from tests.support.clients import FakeTime
from tests.support.constants import API_KEY, CLEANUP, NIGHTLY
from tests.support.hostile import Hostile, Reply, hostile_client, job_with, text_of

ORGANIZATION = "0d3c6f2e-8a41-4b7e-9c5d-2e6f8a1b3c4d"
PHASE_2 = "fixed in phase 2 (restructured operations/jobs.py, qovery/client.py, confirmation.py)"


class Yes:
    """An elicitation callback that answers yes, and keeps what the user was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def __call__(self, context: Any, params: Any) -> ElicitResult:
        self.asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})


@pytest.mark.parametrize("tool", ["delete-job", "edit-job"])
@pytest.mark.parametrize(
    "lie", [NIGHTLY, f"../organization/{ORGANIZATION}", f"{CLEANUP}?skipReconcile=true#"]
)
async def test_1_a_write_goes_to_the_id_the_caller_named_never_the_answers(
    upstream: tuple[Hostile, str], fake_time: FakeTime, tool: str, lie: str
) -> None:
    hostile, url = upstream
    hostile.on("GET", "job", Reply(overlay={"id": lie}))
    arguments: dict[str, Any] = {"job_id": CLEANUP}
    if tool == "edit-job":
        arguments["body"] = {"description": "edited"}
    async with hostile_client(url, fake_time, confirm="off") as client:
        result = await client.call_tool(tool, arguments)
    assert hostile.writes() == [], "an answer naming another job must stop the write before anything is sent"
    assert result.is_error or result.structured_content.get("deleted") is False
    assert NIGHTLY in hostile.jobs


@pytest.mark.parametrize("raw", ["NaN", "1e400"])
async def test_4_a_delete_that_happened_is_never_reported_as_failed(
    upstream: tuple[Hostile, str], fake_time: FakeTime, raw: str
) -> None:
    hostile, url = upstream
    hostile.on("GET", "job", Reply(raw_json=job_with(hostile.jobs[CLEANUP], max_duration_seconds=raw)))
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off") as client:
            result = await client.call_tool("delete-job", {"job_id": CLEANUP})
    [line] = audit.parsed
    if hostile.count("DELETE"):
        assert not result.is_error, text_of(result)
        assert line["outcome"] == "applied"
    else:
        assert line["outcome"] == "refused"


@pytest.mark.parametrize("raw", ["NaN", "1e400", "-Infinity"])
async def test_4_non_finite_numbers_are_refused_before_an_edit_is_sent(
    upstream: tuple[Hostile, str], fake_time: FakeTime, raw: str
) -> None:
    hostile, url = upstream
    hostile.on("GET", "job", Reply(raw_json=job_with(hostile.jobs[NIGHTLY], max_duration_seconds=raw)))
    async with hostile_client(url, fake_time, confirm="off") as client:
        result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"description": "x"}})
    assert hostile.count("PUT") == 0
    assert result.is_error
    assert "max_duration_seconds" in text_of(result)
    assert "Nothing was sent" in text_of(result)


async def test_4_a_put_applied_then_answered_500_is_read_again_and_reported_landed(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    hostile, url = upstream
    hostile.on("PUT", "job", Reply(status=500, body=b'{"status":500,"detail":"boom"}'))
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off") as client:
            result = await client.call_tool(
                "edit-job", {"job_id": NIGHTLY, "body": {"description": "landed"}}
            )
    assert hostile.jobs[NIGHTLY]["description"] == "landed"
    assert hostile.count("PUT") == 1, "an unclear PUT was re-sent"
    assert not result.is_error, text_of(result)
    assert "answer to the PUT was lost" in text_of(result)
    assert "description" in result.structured_content["undo"]
    [line] = audit.parsed
    assert (line["outcome"], line["reason"]) == ("applied", "answer_lost")


async def test_4_a_put_that_did_not_land_is_sent_once_more_after_a_fresh_read(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    hostile, url = upstream
    hostile.on("PUT", "job", Reply(apply=False, status=502, body=b"<html>bad gateway</html>"))
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off") as client:
            result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 500}})
    assert hostile.count("PUT") == 2
    assert [s.method for s in hostile.seen] == ["GET", "PUT", "GET", "PUT"]
    assert hostile.jobs[NIGHTLY]["cpu"] == 500
    assert "Job updated" in text_of(result)
    [line] = audit.parsed
    assert (line["outcome"], line["reason"]) == ("applied", "resent_after_lost_answer")


@pytest.mark.parametrize("fresh", ["gone", "unchanged", "changed"])
async def test_4_an_unclear_delete_is_read_again(
    upstream: tuple[Hostile, str], fake_time: FakeTime, fresh: str
) -> None:
    hostile, url = upstream

    def teammate(h: Hostile) -> None:
        h.jobs[CLEANUP]["description"] = "changed meanwhile"

    hostile.on(
        "DELETE",
        "job",
        Reply(
            apply=fresh == "gone",
            status=502,
            body=b"<html>bad gateway</html>",
            effect=teammate if fresh == "changed" else None,
        ),
    )
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off") as client:
            result = await client.call_tool("delete-job", {"job_id": CLEANUP})
    [line] = audit.parsed
    if fresh == "gone":
        assert hostile.count("DELETE") == 1
        assert result.structured_content["deleted"] is True
        assert "answer to the DELETE was lost" in text_of(result)
        assert line["outcome"] == "applied"
    elif fresh == "unchanged":
        assert hostile.count("DELETE") == 2, "a delete that did not land is sent once more"
        assert CLEANUP not in hostile.jobs
        assert line["outcome"] == "applied"
    else:
        assert hostile.count("DELETE") == 1
        assert result.is_error
        assert "may have landed" in text_of(result)
        assert line["outcome"] == "unknown"


@pytest.mark.parametrize("failure", ["reset", "502", "stall"])
async def test_5_an_unclear_put_is_not_resent_over_a_teammates_change(
    upstream: tuple[Hostile, str], fake_time: FakeTime, failure: str
) -> None:
    hostile, url = upstream
    hostile.stall_seconds = 1.5

    def teammate(h: Hostile) -> None:
        h.jobs[NIGHTLY]["memory"] = 4096

    first = {
        "reset": Reply(after="reset", effect=teammate),
        "502": Reply(status=502, body=b"<html>bad gateway</html>", effect=teammate),
        "stall": Reply(after="stall", effect=teammate),
    }[failure]
    hostile.on("PUT", "job", first)
    with captured_audit() as audit, anyio.fail_after(30):
        async with hostile_client(url, fake_time, confirm="off", timeout=0.5) as client:
            dry = await client.call_tool(
                "edit-job", {"job_id": NIGHTLY, "body": {"cpu": 500}, "dry_run": True}
            )
            version = dry.structured_content["version"]
            result = await client.call_tool(
                "edit-job", {"job_id": NIGHTLY, "body": {"cpu": 500}, "expected_version": version}
            )
    assert hostile.count("PUT") == 1, hostile.writes()
    assert hostile.jobs[NIGHTLY]["memory"] == 4096, "the blind retry erased a teammate's change"
    assert "Job updated" not in text_of(result)
    assert "may have landed" in text_of(result)
    assert "/memory is 4096" in text_of(result), "the result shows what the fresh read finds"
    assert audit.parsed[-1]["outcome"] == "unknown"


async def test_6_one_deadline_per_call_shared_by_its_requests(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    """The read used 3.5 s of the call's 3 s: the PUT that would follow is not sent at all."""
    hostile, url = upstream

    def slow(h: Hostile) -> None:
        fake_time.now += 3.5

    hostile.on("GET", "job", Reply(effect=slow))
    async with hostile_client(url, fake_time, confirm="off", timeout=1.0, deadline=3.0) as client:
        result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 500}})
        later = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert hostile.count("PUT") == 0
    assert result.is_error, text_of(result)
    assert "overall deadline of 3 s" in text_of(result)
    assert "not sent" in text_of(result)
    assert not later.is_error, "the next call has a deadline of its own"


def test_6_a_deadline_below_the_timeout_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match="QOVERY_DEADLINE"):
        load_settings([], {"QOVERY_API_KEY": API_KEY, "QOVERY_TIMEOUT": "10", "QOVERY_DEADLINE": "3"})


async def test_8_a_yes_cannot_be_replayed(upstream: tuple[Hostile, str], fake_time: FakeTime) -> None:
    hostile, url = upstream
    yes = Yes()
    async with hostile_client(url, fake_time, confirm="writes", elicitation_callback=yes) as client:
        body = {"description": "first"}
        first = await client.session.call_tool(
            "edit-job", {"job_id": NIGHTLY, "body": body}, allow_input_required=True
        )
        assert isinstance(first, InputRequiredResult)
        answer: dict[str, Any] = {INPUT_KEY: ElicitResult(action="accept", content={"confirm": True})}
        done = await client.call_tool(
            "edit-job",
            {"job_id": NIGHTLY, "body": body},
            input_responses=answer,
            request_state=first.request_state,
        )
        undo = done.structured_content["undo"]
        version = done.structured_content["version"]
        await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": undo, "expected_version": version})
        assert hostile.count("PUT") == 2
        replayed = await client.call_tool(
            "edit-job",
            {"job_id": NIGHTLY, "body": body},
            input_responses=answer,
            request_state=first.request_state,
        )
    assert hostile.count("PUT") == 2, "the first yes was replayed"
    assert replayed.is_error
    assert "already answered and cannot be used twice; nothing was sent" in text_of(replayed)
    assert hostile.jobs[NIGHTLY]["description"] != "first"


@pytest.mark.parametrize("replace", [False, True])
async def test_10_a_destructive_edit_asks_like_a_delete(
    upstream: tuple[Hostile, str], fake_time: FakeTime, replace: bool
) -> None:
    _, url = upstream
    yes = Yes()
    body: dict[str, Any] = {"schedule": None}  # removes the whole schedule section
    if replace:
        dry_url_client = hostile_client(url, fake_time, confirm="off")
        async with dry_url_client as client:
            dry = await client.call_tool(
                "edit-job", {"job_id": NIGHTLY, "body": {"cpu": 300}, "dry_run": True}
            )
        body = dict(dry.structured_content["request"])
    async with hostile_client(url, fake_time, elicitation_callback=yes) as client:
        await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": body, "replace": replace})
    assert len(yes.asked) == 1, "a destructive edit went through without a question under the default policy"
    assert ("Replace the settings of job" if replace else "removes /schedule") in yes.asked[0]


async def test_10_a_harmless_null_or_edit_does_not_ask_under_the_default_policy(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    hostile, url = upstream
    yes = Yes()
    async with hostile_client(url, fake_time, elicitation_callback=yes) as client:
        first = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"port": None, "cpu": 300}})
        second = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 400}})
    assert not first.is_error, text_of(first)
    assert not second.is_error, text_of(second)
    assert yes.asked == []
    assert hostile.count("PUT") == 2


async def test_10_a_destructive_edit_nobody_could_confirm_says_so(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    hostile, url = upstream
    # A full replace is destructive, and one Qovery applies (a CRON job cannot lose its schedule: a 200 answering
    # the job unchanged is not reported applied).
    async with hostile_client(url, fake_time, confirm="off") as client:
        dry = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 300}, "dry_run": True})
    body = dict(dry.structured_content["request"])
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, mode="legacy") as client:  # declares no elicitation
            result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": body, "replace": True})
    assert hostile.count("PUT") == 1
    assert result.structured_content["confirmed"] == "not-asked"
    assert "cannot ask the user to confirm" in result.structured_content["message"]
    assert "--confirm strict" in result.structured_content["message"]
    [line] = audit.parsed
    assert (line["confirmed"], line["reason"], line["outcome"]) == (
        "not-asked",
        "client_cannot_ask",
        "applied",
    )


async def test_13_a_remembered_version_only_describes_its_own_job(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    hostile, url = upstream
    async with hostile_client(url, fake_time, confirm="off") as client:
        dry = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 300}, "dry_run": True})
        version = dry.structured_content["version"]
        result = await client.call_tool(
            "edit-job", {"job_id": CLEANUP, "body": {"cpu": 300}, "expected_version": version}
        )
    text = text_of(result)
    assert hostile.count("PUT") == 0
    assert "acme/reporter" not in text, text
    assert "nightly" not in text, text
