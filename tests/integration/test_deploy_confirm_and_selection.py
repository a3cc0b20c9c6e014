"""deploy-job and stop-job under the --confirm policy in both protocol eras (with the audit line), and which tools
a server offers with --toolsets, --tools, --exclude-tools and --read-only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mcp.types import ElicitResult

from tests.support.asking import Asker, accept
from tests.support.audit import AuditLines, captured_audit
from tests.support.clients import FakeTime
from tests.support.constants import NIGHTLY
from tests.support.deploying import DeployWorld, deploy_client, deploy_settings

ERAS = ["auto", "legacy"]
FIVE = ["get-job-id", "edit-job", "delete-job", "list-last-job-commits", "get-job-status"]
FOUR = ["deploy-job", "stop-job", "list-job-deployments", "get-job-logs"]
QUESTION = "Deploy image tag 1.9.0 of job 'nightly-report' (CRON), replacing 1.8.2."
DEPLOY = {"job_id": NIGHTLY, "image_tag": "1.9.0"}


@pytest.fixture
def audit_lines() -> Iterator[AuditLines]:
    with captured_audit() as lines:
        yield lines


@pytest.mark.parametrize("mode", ERAS)
async def test_yes_deploys_and_the_question_says_what_runs(
    world: DeployWorld, time_: FakeTime, mode: str, audit_lines: AuditLines
) -> None:
    asker = Asker(accept(True))
    async with deploy_client(deploy_settings(world.url, confirm="writes"), time_, mode, asker) as client:
        result = await client.call_tool("deploy-job", DEPLOY)
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["outcome"] == "still-running"
    assert len(asker.shown) == 1
    assert QUESTION in asker.shown[0].message
    assert world.posts() == [f"/job/{NIGHTLY}/deploy"]
    (line,) = audit_lines.parsed
    assert line["tool"] == "deploy-job"
    assert line["job_id"] == NIGHTLY
    assert line["job_name"] == "nightly-report"
    assert line["caller"] == "server"
    assert line["confirmed"] == "yes"
    assert line["outcome"] == "applied"
    assert line["deployment_request_id"] == result.structured_content["deployment_request_id"]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("tool", ["deploy-job", "stop-job"])
async def test_no_sends_nothing_and_is_not_an_error(
    world: DeployWorld, time_: FakeTime, mode: str, tool: str, audit_lines: AuditLines
) -> None:
    asker = Asker(ElicitResult(action="decline"))
    arguments = DEPLOY if tool == "deploy-job" else {"job_id": NIGHTLY}
    async with deploy_client(deploy_settings(world.url, confirm="writes"), time_, mode, asker) as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["outcome"] == "declined"
    assert world.posts() == []
    assert [(line["confirmed"], line["outcome"]) for line in audit_lines.parsed] == [("no", "refused")]


@pytest.mark.parametrize("mode", ERAS)
async def test_a_client_that_cannot_ask_goes_ahead_under_writes(
    world: DeployWorld, time_: FakeTime, mode: str
) -> None:
    async with deploy_client(deploy_settings(world.url, confirm="writes"), time_, mode) as client:
        result = await client.call_tool("deploy-job", DEPLOY)
    assert not result.is_error
    assert world.posts() == [f"/job/{NIGHTLY}/deploy"]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("tool", ["deploy-job", "stop-job"])
async def test_strict_refuses_a_client_that_cannot_ask(
    world: DeployWorld, time_: FakeTime, mode: str, tool: str
) -> None:
    arguments = DEPLOY if tool == "deploy-job" else {"job_id": NIGHTLY}
    async with deploy_client(deploy_settings(world.url, confirm="strict"), time_, mode) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert "QOVERY_MCP_CONFIRM=strict" in "".join(getattr(b, "text", "") for b in result.content)
    assert world.posts() == []


async def test_the_default_policy_deploys_without_asking(world: DeployWorld, time_: FakeTime) -> None:
    asker = Asker(accept(True))
    async with deploy_client(deploy_settings(world.url), time_, "auto", asker) as client:
        result = await client.call_tool("deploy-job", DEPLOY)
    assert not result.is_error
    assert asker.shown == []


@pytest.mark.parametrize(
    ("settings", "offered"),
    [
        ({"toolsets": ("jobs",)}, FIVE),
        ({}, FIVE + FOUR),
        ({"toolsets": ("deploy",)}, FOUR),
        ({"read_only": True}, ["get-job-id", "list-last-job-commits", "get-job-status", *FOUR[2:]]),
        ({"tools": ("deploy-job", "get-job-status")}, ["get-job-status", "deploy-job"]),
        (
            {"exclude_tools": ("stop-job", "delete-job")},
            [t for t in FIVE + FOUR if t not in ("stop-job", "delete-job")],
        ),
        ({"toolsets": ("jobs",), "tools": ("deploy-job", "get-job-status")}, ["get-job-status"]),
    ],
)
async def test_toolsets_and_tool_selection(
    world: DeployWorld, time_: FakeTime, settings: dict[str, Any], offered: list[str]
) -> None:
    async with deploy_client(deploy_settings(world.url, **settings), time_) as client:
        listed = await client.list_tools()
    assert [tool.name for tool in listed.tools] == offered


async def test_the_deploy_tools_hints_and_closed_schemas(world: DeployWorld, time_: FakeTime) -> None:
    async with deploy_client(deploy_settings(world.url), time_) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    hints = {
        name: (t.annotations.read_only_hint, t.annotations.destructive_hint, t.annotations.idempotent_hint)
        for name, t in tools.items()
        if name in FOUR and t.annotations is not None
    }
    assert hints == {
        "deploy-job": (False, False, False),
        "stop-job": (False, True, True),
        "list-job-deployments": (True, False, True),
        "get-job-logs": (True, False, True),
    }
    for name in FOUR:
        assert tools[name].input_schema["additionalProperties"] is False
        assert tools[name].output_schema is not None


async def test_a_tool_of_a_toolset_that_is_off_is_refused_with_the_way_to_turn_it_on(
    world: DeployWorld, time_: FakeTime
) -> None:
    async with deploy_client(deploy_settings(world.url, toolsets=("jobs",)), time_) as client:
        result = await client.call_tool("deploy-job", DEPLOY)
    assert result.is_error
    assert "--toolsets" in "".join(getattr(b, "text", "") for b in result.content)
    assert world.posts() == []


async def test_read_only_refuses_the_deploy_writes(world: DeployWorld, time_: FakeTime) -> None:
    async with deploy_client(deploy_settings(world.url, read_only=True), time_) as client:
        result = await client.call_tool("stop-job", {"job_id": NIGHTLY})
    assert result.is_error
    assert "read-only" in "".join(getattr(b, "text", "") for b in result.content)
    assert world.posts() == []


@pytest.mark.parametrize(("toolsets", "reads_logs"), [(("jobs",), False), (("jobs", "deploy"), True)])
async def test_diagnose_job_uses_the_toolset_when_it_is_on(
    world: DeployWorld, time_: FakeTime, toolsets: tuple[str, ...], reads_logs: bool
) -> None:
    async with deploy_client(deploy_settings(world.url, toolsets=toolsets), time_) as client:
        prompt = await client.get_prompt("diagnose-job", {"job_id": NIGHTLY})
    text = "".join(getattr(m.content, "text", "") for m in prompt.messages)
    assert ("get-job-logs" in text) is reads_logs
    assert ("list-job-deployments" in text) is reads_logs
