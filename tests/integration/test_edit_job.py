"""edit-job: the merge, the validation before any PUT, dry run, replace, and what reaches Qovery."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from mcp import Client

from qovery_job_mcp.qovery.edit import job_to_request
from tests.support.constants import CLEANUP, MIGRATIONS, NIGHTLY
from tests.support.helpers import error_text
from tests.support.simulator import LiveQovery


def puts(qovery: LiveQovery) -> list[Any]:
    return [r.body for r in qovery.sim.requests_to("PUT")]


async def test_tag_bump_keeps_everything_else(client: Client, qovery: LiveQovery) -> None:
    before = copy.deepcopy(qovery.sim.jobs[NIGHTLY])
    result = await client.call_tool(
        "edit-job", {"job_id": NIGHTLY, "body": {"source": {"image": {"tag": "1.9.0"}}}}
    )
    assert not result.is_error, result.content
    content = result.structured_content
    assert content["changes"] == [{"path": "/source/image/tag", "before": "1.8.2", "after": "1.9.0"}]
    (sent,) = puts(qovery)
    # Cron timezone kept (Qovery would reset it to Etc/UTC), groups as ids, no registry object.
    assert sent["schedule"]["cronjob"]["timezone"] == "Europe/Paris"
    assert sent["labels_groups"] == [{"id": before["labels_groups"][0]["id"]}]
    assert sent["source"] == {
        "image": {
            "image_name": "acme/reporter",
            "tag": "1.9.0",
            "registry_id": before["source"]["image"]["registry_id"],
        }
    }
    after = qovery.sim.jobs[NIGHTLY]
    assert content["job"] == after
    for key in (
        "name",
        "cpu",
        "memory",
        "max_nb_restart",
        "max_duration_seconds",
        "cpu_architecture",
        "schedule",
    ):
        assert after[key] == before[key], key
    assert after["labels_groups"] == before["labels_groups"]


async def test_empty_effect_patch_round_trips_exactly(client: Client, qovery: LiveQovery) -> None:
    for job_id in (NIGHTLY, MIGRATIONS, CLEANUP):
        job = qovery.sim.jobs[job_id]
        result = await client.call_tool(
            "edit-job", {"job_id": job_id, "body": {"name": job["name"]}, "dry_run": True}
        )
        assert result.structured_content["request"] == job_to_request(job)
        assert result.structured_content["changes"] == []
        real = await client.call_tool("edit-job", {"job_id": job_id, "body": {"name": job["name"]}})
        assert real.structured_content["changes"] == []
    assert puts(qovery) == []


async def test_dry_run_sends_nothing(client: Client, qovery: LiveQovery) -> None:
    result = await client.call_tool(
        "edit-job",
        {
            "job_id": NIGHTLY,
            "body": {"schedule": {"cronjob": {"scheduled_at": "0 3 * * *"}}, "cpu": 500},
            "dry_run": True,
        },
    )
    content = result.structured_content
    assert content["dry_run"] is True
    assert content["changes"] == [
        {"path": "/cpu", "before": 250, "after": 500},
        {"path": "/schedule/cronjob/scheduled_at", "before": "0 2 * * *", "after": "0 3 * * *"},
    ]
    assert content["request"]["schedule"]["cronjob"]["timezone"] == "Europe/Paris"
    assert puts(qovery) == []
    assert qovery.sim.jobs[NIGHTLY]["cpu"] == 250


async def test_null_removes_a_field(client: Client, qovery: LiveQovery) -> None:
    result = await client.call_tool(
        "edit-job", {"job_id": NIGHTLY, "body": {"ephemeral_storage_in_gib": None}}
    )
    assert result.structured_content["changes"] == [
        {"path": "/ephemeral_storage_in_gib", "before": 5, "after": None}
    ]
    assert "ephemeral_storage_in_gib" not in puts(qovery)[0]


async def test_arrays_replace(client: Client, qovery: LiveQovery) -> None:
    body = {"schedule": {"on_start": {"arguments": ["-c", "make migrate"]}}}
    result = await client.call_tool("edit-job", {"job_id": MIGRATIONS, "body": body})
    assert not result.is_error, result.content
    on_start = qovery.sim.jobs[MIGRATIONS]["schedule"]["on_start"]
    assert on_start == {"entrypoint": "/bin/sh", "arguments": ["-c", "make migrate"]}


async def test_source_switch_image_to_docker(client: Client, qovery: LiveQovery) -> None:
    docker = {
        "git_repository": {
            "url": "https://github.com/acme/reporter.git",
            "provider": "GITHUB",
            "owner": "acme",
            "name": "reporter",
            "branch": "main",
        },
        "dockerfile_path": "Dockerfile",
    }
    result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"source": {"docker": docker}}})
    assert not result.is_error, result.content
    assert set(puts(qovery)[0]["source"]) == {"docker"}
    assert "image" not in qovery.sim.jobs[NIGHTLY]["source"]


async def test_source_switch_docker_to_image(client: Client, qovery: LiveQovery) -> None:
    image = {
        "image_name": "acme/migrate",
        "tag": "2.0.0",
        "registry_id": "6b2d8f40-1c5e-4a7b-9d3f-8e0a2c4b6d71",
    }
    body = {"source": {"image": image, "docker": None}}
    result = await client.call_tool("edit-job", {"job_id": MIGRATIONS, "body": body})
    assert not result.is_error, result.content
    assert puts(qovery)[0]["source"] == {"image": image}


async def test_git_repository_keeps_request_fields_only(client: Client, qovery: LiveQovery) -> None:
    await client.call_tool(
        "edit-job",
        {"job_id": MIGRATIONS, "body": {"source": {"docker": {"git_repository": {"branch": "release"}}}}},
    )
    git = puts(qovery)[0]["source"]["docker"]["git_repository"]
    assert git["branch"] == "release"
    assert not {"has_access", "deployed_commit_id", "deployed_commit_date", "git_token_name"} & set(git)
    assert git["url"] == "https://github.com/acme/backend.git"


async def test_annotation_groups_sent_as_ids(client: Client, qovery: LiveQovery) -> None:
    group_id = qovery.sim.jobs[MIGRATIONS]["annotations_groups"][0]["id"]
    await client.call_tool("edit-job", {"job_id": MIGRATIONS, "body": {"cpu": 750}})
    assert puts(qovery)[0]["annotations_groups"] == [{"id": group_id}]
    assert qovery.sim.jobs[MIGRATIONS]["annotations_groups"][0]["name"] == "observability"


@pytest.mark.parametrize(
    ("job_id", "body", "message"),
    [
        (NIGHTLY, {}, "body is empty"),
        (NIGHTLY, {"colour": "blue"}, "unknown field '/colour' in body"),
        (NIGHTLY, {"job_type": "LIFECYCLE"}, "job_type cannot be changed"),
        (MIGRATIONS, {"schedule": {"cronjob": {"scheduled_at": "* * * * *"}}}, "This is a LIFECYCLE job"),
        (NIGHTLY, {"schedule": {"on_start": {"arguments": ["x"]}}}, "This is a CRON job"),
        (NIGHTLY, {"schedule": {"cronjob": {"scheduled_at": "every day"}}}, "must have exactly 5 fields"),
        (NIGHTLY, {"cpu": "lots"}, "/cpu: 'lots' is not of type 'integer'"),
        (NIGHTLY, {"source": {"image": None}}, "exactly one of source.image or source.docker"),
        (MIGRATIONS, {"schedule": {"on_start": None}}, "needs at least one of schedule.on_start"),
        (
            NIGHTLY,
            {"schedule": {"cronjob": {"surprise": 1}}},
            "unknown field '/schedule/cronjob/surprise' in body",
        ),
    ],
)
async def test_refused_before_any_put(
    client: Client, qovery: LiveQovery, job_id: str, body: Any, message: str
) -> None:
    before = copy.deepcopy(qovery.sim.jobs[job_id])
    text = error_text(await client.call_tool("edit-job", {"job_id": job_id, "body": body}))
    assert message in text
    assert puts(qovery) == []
    assert qovery.sim.jobs[job_id] == before


async def test_replace_sends_body_as_is(client: Client, qovery: LiveQovery) -> None:
    body = job_to_request(qovery.sim.jobs[CLEANUP])
    body["description"] = "replaced"
    body.pop("max_duration_seconds")
    result = await client.call_tool("edit-job", {"job_id": CLEANUP, "body": body, "replace": True})
    assert not result.is_error, result.content
    assert puts(qovery) == [body]
    assert {c["path"] for c in result.structured_content["changes"]} == {
        "/description",
        "/max_duration_seconds",
    }


async def test_name_conflict_is_explained(client: Client, qovery: LiveQovery) -> None:
    text = error_text(
        await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"name": "db-migrations"}})
    )
    assert "409" in text
    assert "unique within its environment" in text


async def test_edit_of_a_job_qovery_garbled_sends_no_put(client: Client, qovery: LiveQovery) -> None:
    del qovery.sim.jobs[NIGHTLY]["source"]
    text = error_text(await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 300}}))
    assert "Qovery answered unexpectedly" in text
    assert puts(qovery) == []
