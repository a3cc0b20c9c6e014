"""Issue 19, findings 16 and 18 (in memory): undo restores what was there, and a slip is named plainly.

The hostile upstream holds jobs with what a faithful one rarely sends (explicit nulls, a null
architecture, malformed label groups); a careless caller sends slips (`dryRun`, `jobId` beside
`job_id`, a 2 MB description, a git source without its repository's fields). Every write is counted.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.clients import FakeTime
from tests.support.constants import MIGRATIONS, NIGHTLY
from tests.support.hostile import Hostile, hostile_client, text_of

GROUP = "5e0c1a7b-2d4f-4e6a-9b8c-1d3e5f7a9b20"


def sent_bodies(hostile: Hostile) -> list[dict[str, Any]]:
    return [json.loads(seen.body) for seen in hostile.seen if seen.method == "PUT"]


async def edit_then_undo(
    hostile: Hostile, url: str, fake_time: FakeTime, body: dict[str, Any]
) -> dict[str, Any]:
    """Apply `body` to NIGHTLY, then its undo; the request the undo sent."""
    async with hostile_client(url, fake_time, confirm="off") as client:
        done = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": body})
        assert not done.is_error, text_of(done)
        content = done.structured_content
        assert content is not None
        arguments: dict[str, Any] = {"job_id": NIGHTLY, "expected_version": content["version"]}
        if "undo_replace" in content:  # an explicit null was replaced: only a full replace restores it
            arguments.update(body=content["undo_replace"], replace=True)
        else:
            arguments["body"] = content["undo"]
        undo = await client.call_tool("edit-job", arguments)
        assert not undo.is_error, text_of(undo)
    return sent_bodies(hostile)[-1]


@pytest.mark.parametrize(("before", "after"), [("ARM64", None), (None, "AMD64")])
async def test_16_a_null_cpu_architecture_is_sent_and_restored(
    upstream: tuple[Hostile, str], fake_time: FakeTime, before: str | None, after: str | None
) -> None:
    hostile, url = upstream
    hostile.jobs[NIGHTLY]["cpu_architecture"] = before
    restored = await edit_then_undo(hostile, url, fake_time, {"cpu_architecture": after})
    first = sent_bodies(hostile)[0]
    assert "cpu_architecture" in first, "a null architecture was dropped from the request"
    assert first["cpu_architecture"] == after
    assert "cpu_architecture" in restored
    assert restored["cpu_architecture"] == before


async def test_16_undo_restores_an_explicit_null(upstream: tuple[Hostile, str], fake_time: FakeTime) -> None:
    hostile, url = upstream
    hostile.jobs[NIGHTLY]["future_top"] = {"a": None, "b": 1}
    restored = await edit_then_undo(hostile, url, fake_time, {"future_top": {"a": 5}})
    assert restored["future_top"] == {"a": None, "b": 1}


async def test_16_malformed_label_groups_are_never_dropped_silently(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    hostile, url = upstream
    hostile.jobs[NIGHTLY]["labels_groups"] = [{"id": GROUP, "name": "team"}, {"name": "no id"}, "junk"]
    async with hostile_client(url, fake_time, confirm="off") as client:
        result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"description": "x"}})
        fixed = await client.call_tool(
            "edit-job", {"job_id": NIGHTLY, "body": {"labels_groups": [{"id": GROUP}]}, "dry_run": True}
        )
    assert hostile.count("PUT") == 0
    assert result.is_error
    assert "/labels_groups/1" in text_of(result)
    assert "/labels_groups/2" in text_of(result)
    assert not fixed.is_error, "replacing the list in the same edit is the way out"


async def test_18_an_unknown_argument_is_named(upstream: tuple[Hostile, str], fake_time: FakeTime) -> None:
    hostile, url = upstream
    async with hostile_client(url, fake_time, confirm="off") as client:
        slip = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 300}, "dryRun": True})
        twice = await client.call_tool("get-job-id", {"job_id": NIGHTLY, "jobId": NIGHTLY})
    assert "'dryRun'" in text_of(slip)
    assert "did you mean 'dry_run'" in text_of(slip)
    assert "'jobId'" in text_of(twice)
    assert "did you mean 'job_id'" not in text_of(twice), "job_id is already there"
    assert hostile.seen == []


@pytest.mark.parametrize("field", ["description", "name"])
async def test_18_an_oversized_field_is_refused_not_echoed(
    upstream: tuple[Hostile, str], fake_time: FakeTime, field: str
) -> None:
    hostile, url = upstream
    async with hostile_client(url, fake_time, confirm="off") as client:
        result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {field: "d" * 2_000_000}})
    assert hostile.count("PUT") == 0
    assert result.is_error
    assert f"/{field}" in text_of(result)
    assert len(text_of(result)) < 1000


async def test_18_the_commit_output_schema_describes_a_commit(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    _, url = upstream
    async with hostile_client(url, fake_time, confirm="off") as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        listed = await client.call_tool("list-last-job-commits", {"job_id": MIGRATIONS})
    schema = tools["list-last-job-commits"].output_schema
    assert schema is not None
    items = schema["properties"]["results"]["items"]
    if "$ref" in items:
        items = schema["$defs"][items["$ref"].rsplit("/", 1)[-1]]
    for name in ("git_commit_id", "created_at", "author_name", "message", "tag"):
        assert name in items["properties"], items
    assert not listed.is_error, text_of(listed)


async def test_18_an_image_to_git_switch_names_the_missing_fields(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    hostile, url = upstream
    body = {"source": {"docker": {"git_repository": {"url": "https://github.com/acme/reporter.git"}}}}
    async with hostile_client(url, fake_time, confirm="off") as client:
        result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": body, "dry_run": True})
    text = text_of(result)
    assert result.is_error
    assert "not of type 'null'" not in text, text
    assert "branch" in text or "provider" in text or "owner" in text, text
    assert hostile.count("PUT") == 0
