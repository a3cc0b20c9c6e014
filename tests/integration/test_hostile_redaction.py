"""Issue 19, findings 2 and 3: no secret leaves the server, however the hostile upstream disguises it.

The key is planted where Qovery's answers are quoted back: a job's name and settings (quoted by the
confirmation question), an error body without `detail` holding the key JSON-escaped, a long value
cut right inside the key. Whatever reaches the client must hold neither the key nor a piece of it.
"""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import ElicitResult

from tests.support.clients import FakeTime
from tests.support.constants import API_KEY, NIGHTLY
from tests.support.hostile import Hostile, Reply, hostile_client, text_of

#: What is left of the key once its first character is escaped (`\u0071`) or its tail is cut off.
KEY_TAIL = API_KEY[1:]
KEY_HEAD = API_KEY[:12]


def assert_no_key(text: str) -> None:
    assert API_KEY not in text, text
    assert KEY_TAIL not in text, text
    assert KEY_HEAD not in text, text


class Yes:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def __call__(self, context: Any, params: Any) -> ElicitResult:
        self.asked.append(params.message)
        return ElicitResult(action="decline")


@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize("tool", ["delete-job", "edit-job"])
async def test_2_the_confirmation_question_is_scrubbed(
    upstream: tuple[Hostile, str], fake_time: FakeTime, mode: str, tool: str
) -> None:
    hostile, url = upstream
    hostile.jobs[NIGHTLY]["name"] = f"report-{API_KEY}"
    hostile.jobs[NIGHTLY]["description"] = f"uses {API_KEY}"
    asker = Yes()
    arguments: dict[str, Any] = {"job_id": NIGHTLY}
    if tool == "edit-job":
        arguments["body"] = {"description": "no key here"}
    async with hostile_client(
        url, fake_time, mode=mode, confirm="writes", elicitation_callback=asker
    ) as client:
        await client.call_tool(tool, arguments)
    [question] = asker.asked
    assert_no_key(question)
    assert hostile.writes() == []


async def test_3_an_escaped_key_in_an_error_body_without_detail_is_redacted(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    hostile, url = upstream
    escaped = "\\u0071" + API_KEY[1:]  # JSON text for the key, first letter escaped
    body = f'{{"status":400,"errors":[{{"token":"{escaped}"}}]}}'.encode()
    hostile.on("GET", "job", Reply(status=400, body=body))
    async with hostile_client(url, fake_time, confirm="off") as client:
        result = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert result.is_error
    assert_no_key(text_of(result))


@pytest.mark.parametrize("before", [100, 275])
async def test_3_a_key_cut_by_truncation_is_still_redacted(
    upstream: tuple[Hostile, str], fake_time: FakeTime, before: int
) -> None:
    """100: the 120-character quote of a changed value; 275: the 300-character cut of an error body."""
    hostile, url = upstream
    planted = "x" * before + API_KEY + "y" * 40
    async with hostile_client(url, fake_time, confirm="off") as client:
        if before == 100:
            dry = await client.call_tool(
                "edit-job", {"job_id": NIGHTLY, "body": {"cpu": 300}, "dry_run": True}
            )
            hostile.jobs[NIGHTLY]["description"] = planted  # a change that lands between dry run and apply
            version = dry.structured_content["version"]
            arguments = {"job_id": NIGHTLY, "body": {"cpu": 300}, "expected_version": version}
            result = await client.call_tool("edit-job", arguments)
        else:
            hostile.on("GET", "job", Reply(status=400, body=planted.encode()))
            result = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert result.is_error
    assert "…" in text_of(result), "the value was not cut: the test no longer tests the cut"
    assert_no_key(text_of(result))


async def test_2_a_megabyte_of_name_is_cut_in_the_question_and_a_key_at_the_cut_never_shows(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    hostile, url = upstream
    hostile.jobs[NIGHTLY]["name"] = (
        "n" * 100 + API_KEY + "m" * 1_000_000
    )  # the key straddles the 120-char cut
    asker = Yes()
    async with hostile_client(
        url, fake_time, mode="legacy", confirm="writes", elicitation_callback=asker
    ) as client:
        await client.call_tool("delete-job", {"job_id": NIGHTLY})
    [question] = asker.asked
    assert len(question) < 2_000
    assert_no_key(question)
    assert hostile.writes() == []
