"""Writes a real account can trust: versions, the per-job lock, undo, lossless edits, rules on changed values only."""

from __future__ import annotations

import copy
import re
from typing import Any

import anyio
import pytest
from mcp import Client

from qovery_job_mcp.config import ConfigError, load_settings
from qovery_job_mcp.qovery.edit import job_to_request, version_of
from qovery_job_mcp.simulation.data import CLEANUP_JOB_ID, MIGRATIONS_JOB_ID, NIGHTLY_JOB_ID
from tests.support.clients import FakeTime, make_settings, mcp_client
from tests.support.constants import API_KEY
from tests.support.helpers import error_text
from tests.support.simulator import LiveQovery


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    content = result.structured_content
    assert isinstance(content, dict)
    return content


async def test_dry_run_version_then_apply_with_it(client: Client, qovery: LiveQovery) -> None:
    body = {"description": "nightly, now with a version"}
    dry = structured(
        await client.call_tool("edit-job", {"job_id": NIGHTLY_JOB_ID, "body": body, "dry_run": True})
    )
    assert dry["version"] == version_of(job_to_request(qovery.sim.jobs[NIGHTLY_JOB_ID]))
    applied = structured(
        await client.call_tool(
            "edit-job", {"job_id": NIGHTLY_JOB_ID, "body": body, "expected_version": dry["version"]}
        )
    )
    assert applied["version"] != dry["version"]
    assert applied["version"] == version_of(job_to_request(qovery.sim.jobs[NIGHTLY_JOB_ID]))


async def test_a_job_changed_after_the_dry_run_is_not_overwritten(client: Client, qovery: LiveQovery) -> None:
    body = {"cpu": 750}
    dry = structured(
        await client.call_tool("edit-job", {"job_id": NIGHTLY_JOB_ID, "body": body, "dry_run": True})
    )
    qovery.sim.jobs[NIGHTLY_JOB_ID]["memory"] = 2048  # a teammate's change, behind the server's back
    text = error_text(
        await client.call_tool(
            "edit-job", {"job_id": NIGHTLY_JOB_ID, "body": body, "expected_version": dry["version"]}
        )
    )
    assert "The job changed since version" in text
    assert "/memory" in text
    assert "2048" in text
    assert "dry_run" in text
    assert qovery.sim.requests_to("PUT") == []


async def test_a_status_change_does_not_change_the_version(client: Client, qovery: LiveQovery) -> None:
    before = structured(
        await client.call_tool("edit-job", {"job_id": NIGHTLY_JOB_ID, "body": {"cpu": 600}, "dry_run": True})
    )
    qovery.sim.jobs[NIGHTLY_JOB_ID]["updated_at"] = "2027-01-01T00:00:00Z"
    qovery.sim.statuses[NIGHTLY_JOB_ID]["state"] = "DEPLOYING"
    after = structured(
        await client.call_tool("edit-job", {"job_id": NIGHTLY_JOB_ID, "body": {"cpu": 600}, "dry_run": True})
    )
    assert after["version"] == before["version"]


async def test_two_overlapping_edits_with_one_version_land_once(client: Client, qovery: LiveQovery) -> None:
    dry = structured(
        await client.call_tool("edit-job", {"job_id": NIGHTLY_JOB_ID, "body": {"cpu": 600}, "dry_run": True})
    )
    release = qovery.sim.hold_next("job", "GET")
    results: list[Any] = []

    async def edit(cpu: int) -> None:
        arguments = {"job_id": NIGHTLY_JOB_ID, "body": {"cpu": cpu}, "expected_version": dry["version"]}
        results.append(await client.call_tool("edit-job", arguments))

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(edit, 700)
            await anyio.sleep(0.2)  # the first edit's read is held by the simulated API
            tg.start_soon(edit, 800)
            await anyio.sleep(0.2)
            release.set()
    assert len(qovery.sim.requests_to("PUT")) == 1
    assert sorted(r.is_error for r in results) == [False, True]
    refused = next(r for r in results if r.is_error)
    assert "The job changed since version" in error_text(refused)


async def test_undo_restores_the_settings(client: Client, qovery: LiveQovery) -> None:
    before = job_to_request(copy.deepcopy(qovery.sim.jobs[NIGHTLY_JOB_ID]))
    body = {"description": None, "cpu": 900, "schedule": {"cronjob": {"timezone": "Europe/Paris"}}}
    applied = structured(await client.call_tool("edit-job", {"job_id": NIGHTLY_JOB_ID, "body": body}))
    assert "undo" in applied["message"]
    undone = structured(
        await client.call_tool(
            "edit-job",
            {"job_id": NIGHTLY_JOB_ID, "body": applied["undo"], "expected_version": applied["version"]},
        )
    )
    assert job_to_request(qovery.sim.jobs[NIGHTLY_JOB_ID]) == before
    assert {c["path"] for c in undone["changes"]} == {c["path"] for c in applied["changes"]}


async def test_unknown_fields_at_every_level_are_kept(client: Client, qovery: LiveQovery) -> None:
    job = qovery.sim.jobs[NIGHTLY_JOB_ID]
    job["future_setting"] = {"on": True}
    job["source"]["image"]["pull_policy"] = "Always"
    job["schedule"]["cronjob"]["concurrency"] = "Forbid"
    job["healthchecks"]["startup_probe"] = {"period_seconds": 5}
    structured(await client.call_tool("edit-job", {"job_id": NIGHTLY_JOB_ID, "body": {"description": "x"}}))
    sent = qovery.sim.requests_to("PUT")[0].body
    assert sent["future_setting"] == {"on": True}
    assert sent["source"]["image"]["pull_policy"] == "Always"
    assert sent["schedule"]["cronjob"]["concurrency"] == "Forbid"
    assert sent["healthchecks"]["startup_probe"] == {"period_seconds": 5}
    assert "registry" not in sent["source"]["image"]
    for read_only in ("id", "created_at", "updated_at", "environment", "maximum_cpu", "job_type"):
        assert read_only not in sent


async def test_an_edit_is_never_refused_for_a_value_it_does_not_touch(
    client: Client, qovery: LiveQovery
) -> None:
    job = qovery.sim.jobs[MIGRATIONS_JOB_ID]
    job["cpu"] = 0
    job["memory"] = 0
    job["schedule"] = {"on_stop": {}, "lifecycle_type": "SOMETHING_NEW"}
    result = await client.call_tool(
        "edit-job", {"job_id": MIGRATIONS_JOB_ID, "body": {"description": "kept"}}
    )
    structured(result)
    sent = qovery.sim.requests_to("PUT")[0].body
    assert sent["schedule"] == {"on_stop": {}, "lifecycle_type": "SOMETHING_NEW"}
    assert sent["cpu"] == 0


async def test_values_the_edit_changes_are_checked(client: Client, qovery: LiveQovery) -> None:
    maximum = qovery.sim.jobs[NIGHTLY_JOB_ID]["maximum_memory"]
    cases = [
        ({"schedule": {"cronjob": {"scheduled_at": "99 99 * * *"}}}, "out of range"),
        ({"schedule": {"cronjob": {"timezone": "Mars/Olympus"}}}, "IANA timezone"),
        ({"memory": maximum + 1}, f"memory must be from 1 to {maximum}"),
        ({"cpu": "500"}, "is not of type 'integer'"),
        ({"cpu_architecture": "RISCV"}, "cpu_architecture"),
    ]
    for body, expected in cases:
        text = error_text(await client.call_tool("edit-job", {"job_id": NIGHTLY_JOB_ID, "body": body}))
        assert expected in text, text
    assert qovery.sim.requests_to("PUT") == []


async def test_loose_arguments_are_refused(client: Client, qovery: LiveQovery) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        (
            "edit-job",
            {"job_id": NIGHTLY_JOB_ID, "body": {"cpu": 600}, "dryRun": True},
            "did you mean 'dry_run'?",
        ),
        (
            "edit-job",
            {"job_id": NIGHTLY_JOB_ID, "body": {"cpu": 600}, "dry-run": True},
            "did you mean 'dry_run'?",
        ),
        ("edit-job", {"job_id": NIGHTLY_JOB_ID, "body": '{"cpu": 600}'}, "not a string that contains JSON"),
        ("edit-job", {"job_id": NIGHTLY_JOB_ID, "body": {"cpu": 600}, "dry_run": "yes"}, "true or false"),
        ("get-job-id", {"job_id": NIGHTLY_JOB_ID, "jobId": NIGHTLY_JOB_ID}, "'job_id' is already given"),
        ("list-last-job-commits", {"job_id": MIGRATIONS_JOB_ID, "limit": True}, "limit must be integer"),
        ("list-last-job-commits", {"job_id": MIGRATIONS_JOB_ID, "limit": 101}, "from 1 to 100"),
    ]
    for tool, arguments, expected in cases:
        text = error_text(await client.call_tool(tool, arguments))
        assert expected in text, text
    assert qovery.sim.requests == []


async def test_input_schemas_are_closed(client: Client) -> None:
    tools = (await client.list_tools()).tools
    assert {tool.name for tool in tools} == {
        "get-job-id",
        "edit-job",
        "delete-job",
        "list-last-job-commits",
        "get-job-status",
    }
    for tool in tools:
        assert tool.input_schema["additionalProperties"] is False, tool.name
    commits = next(t for t in tools if t.name == "list-last-job-commits")
    limit = commits.input_schema["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"]) == (1, 100)


async def test_delete_names_the_job_and_keeps_its_settings(client: Client, qovery: LiveQovery) -> None:
    settings = job_to_request(qovery.sim.jobs[CLEANUP_JOB_ID])
    result = structured(await client.call_tool("delete-job", {"job_id": CLEANUP_JOB_ID}))
    assert result["deleted"] is True
    assert result["name"] == "preview-cleanup"
    assert result["settings"] == settings


def test_auth_scheme_is_token_or_bearer_and_nothing_else() -> None:
    env = {"QOVERY_API_KEY": "qov_x"}
    assert load_settings([], env={**env, "QOVERY_AUTH_SCHEME": "Bearer"}).auth_scheme == "Bearer"
    assert load_settings([], env=env).auth_scheme is None
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "QOVERY_AUTH_SCHEME must be one of Token, Bearer, got 'Basic'. Token is for API tokens"
        ),
    ):
        load_settings([], env={**env, "QOVERY_AUTH_SCHEME": "Basic"})


async def test_auth_scheme_overrides_the_scheme_of_the_server_key(
    qovery: LiveQovery, fake_time: FakeTime
) -> None:
    settings = make_settings(qovery.url, auth_scheme="Bearer")
    async with mcp_client(settings, fake_time) as client:
        await client.call_tool("get-job-id", {"job_id": NIGHTLY_JOB_ID})
    assert qovery.sim.requests[-1].authorization == f"Bearer {API_KEY}"


async def test_a_cron_dry_run_previews_the_next_runs(client: Client, qovery: LiveQovery) -> None:
    body = {"schedule": {"cronjob": {"scheduled_at": "0 4 * * *", "timezone": "Europe/Paris"}}}
    dry = structured(
        await client.call_tool("edit-job", {"job_id": NIGHTLY_JOB_ID, "body": body, "dry_run": True})
    )
    assert len(dry["next_runs"]) == 5
    assert all("T04:00:00+0" in run for run in dry["next_runs"])
