"""MCP-native help through the real client: resource templates, prompts, and progress during long waits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client, MCPError
from mcp.types import TextContent, TextResourceContents

from qovery_job_mcp.mcp_server.server import build_server
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.constants import JWT, MIGRATIONS, MISSING, NIGHTLY
from tests.support.simulator import Fault, LiveQovery


def busy(status: int, **headers: str) -> Fault:
    return Fault(status=status, body=f'{{"status":{status},"detail":"busy"}}', headers=headers)


async def read_json(client: Client, uri: str) -> Any:
    result = await client.read_resource(uri)
    [content] = result.contents
    assert isinstance(content, TextResourceContents)
    assert content.mime_type == "application/json"
    return json.loads(content.text)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_resource_templates_are_listed_and_read(
    qovery: LiveQovery, fake_time: FakeTime, mode: str
) -> None:
    settings = make_settings(qovery.url)
    async with Client(
        build_server(settings, client=make_qovery_client(settings, fake_time)), mode=mode
    ) as client:
        templates = (await client.list_resource_templates()).resource_templates
        assert sorted(t.uri_template for t in templates) == [
            "qovery://jobs/{job_id}",
            "qovery://jobs/{job_id}/commits",
            "qovery://jobs/{job_id}/status",
        ]
        assert {t.mime_type for t in templates} == {"application/json"}
        assert await read_json(client, f"qovery://jobs/{NIGHTLY}") == qovery.sim.jobs[NIGHTLY]
        assert await read_json(client, f"qovery://jobs/{NIGHTLY}/status") == qovery.sim.statuses[NIGHTLY]
        commits = await read_json(client, f"qovery://jobs/{MIGRATIONS}/commits")
        assert commits["results"][0]["git_commit_id"]


async def test_resources_validate_and_fail_like_the_tools(qovery: LiveQovery, fake_time: FakeTime) -> None:
    settings = make_settings(qovery.url)
    async with Client(build_server(settings, client=make_qovery_client(settings, fake_time))) as client:
        before = len(qovery.sim.requests)
        with pytest.raises(MCPError, match="job_id must be a job's UUID"):
            await client.read_resource("qovery://jobs/not-a-job")
        assert len(qovery.sim.requests) == before  # refused before anything was sent
        with pytest.raises(MCPError, match="No job with id"):
            await client.read_resource(f"qovery://jobs/{MISSING}")


async def test_resources_use_the_callers_own_credential(qovery: LiveQovery, fake_time: FakeTime) -> None:
    settings = make_settings(qovery.url, api_key=None, transport="http")
    server = build_server(
        settings,
        client=make_qovery_client(settings, fake_time),
        resolve_credential=lambda ctx: f"Bearer {JWT}",
    )
    async with Client(server) as client:
        await read_json(client, f"qovery://jobs/{NIGHTLY}")
    assert qovery.sim.requests[-1].authorization == f"Bearer {JWT}"


async def test_read_only_mode_keeps_the_resources_and_drops_change_job(
    qovery: LiveQovery, fake_time: FakeTime
) -> None:
    settings = make_settings(qovery.url, read_only=True)
    async with Client(build_server(settings, client=make_qovery_client(settings, fake_time))) as client:
        assert len((await client.list_resource_templates()).resource_templates) == 3
        assert [p.name for p in (await client.list_prompts()).prompts] == ["diagnose-job"]


async def test_prompts_walk_through_diagnosis_and_a_safe_change(
    qovery: LiveQovery, fake_time: FakeTime
) -> None:
    settings = make_settings(qovery.url)
    async with Client(build_server(settings, client=make_qovery_client(settings, fake_time))) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert sorted(prompts) == ["change-job", "diagnose-job"]
        assert [a.name for a in prompts["change-job"].arguments or []] == ["job_id", "change"]
        diagnose = await client.get_prompt("diagnose-job", {"job_id": NIGHTLY})
        change = await client.get_prompt("change-job", {"job_id": NIGHTLY, "change": "run at 04:00"})
    diagnose_text = diagnose.messages[0].content
    change_text = change.messages[0].content
    assert isinstance(diagnose_text, TextContent)
    assert isinstance(change_text, TextContent)
    steps = diagnose_text.text
    assert steps.index("get-job-status") < steps.index("list-last-job-commits") < steps.index("get-job-id")
    for needle in ("dry_run: true", "changes", "expected_version", "undo", "run at 04:00"):
        assert needle in change_text.text


async def test_a_long_wait_sends_progress_to_a_client_that_asked(
    qovery: LiveQovery, fake_time: FakeTime
) -> None:
    settings = make_settings(qovery.url)
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with Client(build_server(settings, client=make_qovery_client(settings, fake_time))) as client:
        qovery.sim.fail_next("status", busy(429, **{"Retry-After": "7"}), busy(502))
        result = await client.call_tool("get-job-status", {"job_id": NIGHTLY}, progress_callback=on_progress)
    assert not result.is_error
    assert fake_time.sleeps[0] == 7.0
    # The 7 s Retry-After wait is announced; the sub-second backoff after the 502 is not.
    assert seen == [(1.0, 3.0, "Qovery: HTTP 429; retrying in 7 s (attempt 2 of 3).")]
