"""get-job-id through a real MCP client against the simulated Qovery API on loopback."""

from __future__ import annotations

import pytest
from mcp import Client

from qovery_job_mcp import __version__
from tests.support.constants import API_KEY, MIGRATIONS, MISSING, NIGHTLY
from tests.support.helpers import error_text
from tests.support.simulator import LiveQovery


async def test_returns_the_job_as_qovery_does(client: Client, qovery: LiveQovery) -> None:
    result = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert not result.is_error
    assert result.structured_content == qovery.sim.jobs[NIGHTLY]
    assert result.structured_content["job_type"] == "CRON"


async def test_lifecycle_job_and_token_scheme(client: Client, qovery: LiveQovery) -> None:
    result = await client.call_tool("get-job-id", {"job_id": MIGRATIONS.upper()})
    assert result.structured_content["schedule"]["on_start"]["arguments"] == ["-c", "npm run migrate"]
    (sent,) = qovery.sim.requests
    assert sent.path == f"/job/{MIGRATIONS}"
    assert sent.authorization == f"Token {API_KEY}"
    assert sent.user_agent == f"qovery-job-mcp/{__version__}"


@pytest.mark.parametrize(
    "bad_id", ["../organization", "abc", f"{NIGHTLY}/status", f"{NIGHTLY}?x=1", "", "%2F"]
)
async def test_invalid_id_never_reaches_qovery(client: Client, qovery: LiveQovery, bad_id: str) -> None:
    text = error_text(await client.call_tool("get-job-id", {"job_id": bad_id}))
    assert "job_id must be a job's UUID" in text
    assert qovery.sim.requests == []


async def test_missing_job_is_a_clear_404(client: Client) -> None:
    text = error_text(await client.call_tool("get-job-id", {"job_id": MISSING}))
    assert f"No job with id {MISSING} exists" in text
    assert "404" in text


async def test_extra_fields_from_qovery_are_kept(client: Client, qovery: LiveQovery) -> None:
    qovery.sim.jobs[NIGHTLY]["brand_new_field"] = {"added": "later"}
    result = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert result.structured_content["brand_new_field"] == {"added": "later"}


async def test_unknown_job_type_is_read_but_not_edited(client: Client, qovery: LiveQovery) -> None:
    qovery.sim.jobs[NIGHTLY]["job_type"] = "BATCH"
    read = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert not read.is_error
    assert read.structured_content is not None
    assert read.structured_content["job_type"] == "BATCH"
    text = error_text(await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 600}}))
    assert "job_type is 'BATCH', which this server does not know" in text
    assert qovery.sim.requests_to("PUT") == []


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"job_id": 42}, "job_id must be string, got integer 42. Nothing was sent."),
        ({}, "get-job-id needs the argument 'job_id'. Nothing was sent."),
        ({"job_id": ["a"] * 10_000}, "job_id must be string, got array. Nothing was sent."),
    ],
)
async def test_wrong_argument_types_are_a_sentence(
    client: Client, qovery: LiveQovery, arguments: dict[str, object], expected: str
) -> None:
    text = error_text(await client.call_tool("get-job-id", arguments))
    assert text.startswith("Error executing tool get-job-id: ")
    assert expected in text
    assert "errors.pydantic.dev" not in text
    assert len(text) < 400
    assert qovery.sim.requests == []
