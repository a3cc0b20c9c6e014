"""The deploy toolset through a real MCP client, in both protocol eras, against the simulator on injected time.

Outcomes (succeeded, failed with a log tail, still running, cancelled), refusals (strict arguments, the job's
source, its events, 409), the lost answer (one POST), the polling bound, and redaction of the logs.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from qovery_job_mcp.operations.deploy_rules import poll_times
from tests.support.audit import captured_audit
from tests.support.clients import FakeTime
from tests.support.constants import API_KEY, MIGRATIONS, NIGHTLY
from tests.support.deploying import DeployWorld, deploy_client, deploy_settings
from tests.support.simulator import Fault

ERAS = ["auto", "legacy"]
SHA = "b3d5f7a9c1e3052749618a0c2e4f6a8b0d2f4a6c"


async def call(
    world: DeployWorld,
    time_: FakeTime,
    tool: str,
    arguments: dict[str, Any],
    mode: str = "auto",
    **settings: Any,
) -> Any:
    async with deploy_client(deploy_settings(world.url, **settings), time_, mode) as client:
        return await client.call_tool(tool, arguments)


def text_of(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


@pytest.mark.parametrize("mode", ERAS)
async def test_a_waited_deploy_succeeds_with_progress_previous_and_rollback(
    world: DeployWorld, time_: FakeTime, mode: str
) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with deploy_client(deploy_settings(world.url), time_, mode) as client:
        result = await client.call_tool(
            "deploy-job",
            {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 60},
            progress_callback=progress,
        )
    assert not result.is_error, text_of(result)
    out = result.structured_content
    assert out is not None
    assert out["outcome"] == "succeeded"
    assert out["state"] == "DEPLOYED"
    assert out["previous"]["image_tag"] == "1.8.2"
    assert out["rollback"] == {"job_id": NIGHTLY, "image_tag": "1.8.2"}
    assert out["deployment_request_id"]
    assert [message.rsplit(" ", 1)[-1] for _, _, message in seen if message] == ["DEPLOYING", "DEPLOYED"]
    assert all(total == 60 for _, total, _ in seen)
    assert world.posts() == [f"/job/{NIGHTLY}/deploy"]


@pytest.mark.parametrize("mode", ERAS)
async def test_a_broken_tag_fails_with_a_log_tail(world: DeployWorld, time_: FakeTime, mode: str) -> None:
    result = await call(
        world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0-broken", "wait_seconds": 60}, mode
    )
    out = result.structured_content
    assert not result.is_error
    assert out["outcome"] == "failed"
    assert out["state"] == "DEPLOYMENT_ERROR"
    assert " ERROR " in out["log_tail"]["lines"][0]
    assert out["log_tail"]["errors"][0]["hint_message"]
    assert "deploy-job with" in out["message"]


async def test_a_wait_that_runs_out_is_still_running_not_an_error(
    world: DeployWorld, time_: FakeTime
) -> None:
    result = await call(
        world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 3}
    )
    assert not result.is_error
    assert result.structured_content["outcome"] == "still-running"
    assert "get-job-status or list-job-deployments" in result.structured_content["message"]


async def test_a_60_second_wait_reads_the_status_7_times(world: DeployWorld, time_: FakeTime) -> None:
    world.clock.frozen = time_.now  # the deployment never leaves DEPLOYMENT_QUEUED
    result = await call(
        world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 60}
    )
    assert result.structured_content["outcome"] == "still-running"
    assert world.status_reads() == len(poll_times(60)) == 7
    assert sum(time_.sleeps) == 60


async def test_cancelling_the_call_stops_the_polling_and_nothing_else(
    world: DeployWorld, time_: FakeTime
) -> None:
    world.clock.frozen = time_.now
    polling = anyio.Event()
    sleeps = 0

    async def sleep(seconds: float) -> None:
        nonlocal sleeps
        sleeps += 1
        time_.now += seconds
        if sleeps == 3:
            polling.set()
            await anyio.sleep_forever()

    waiting = FakeTime(now=time_.now)
    waiting.sleep = sleep  # type: ignore[method-assign]
    waiting.clock = lambda: time_.now  # type: ignore[method-assign]
    with captured_audit() as audit:
        async with (
            deploy_client(deploy_settings(world.url), waiting) as client,
            anyio.create_task_group() as group,
        ):
            group.start_soon(
                client.call_tool, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 600}
            )
            with anyio.fail_after(5):
                await polling.wait()
            group.cancel_scope.cancel()
    reads = world.status_reads()
    assert reads == 2
    assert world.posts() == [f"/job/{NIGHTLY}/deploy"]  # no stop, nothing else was sent
    # The deploy Qovery accepted is audited all the same, as the cancelled call it was.
    [line] = audit.parsed
    assert line["outcome"] == "applied"
    assert line["reason"] == "cancelled"
    assert line["deployment_request_id"]


@pytest.mark.parametrize(
    ("job_id", "arguments", "says"),
    [
        (MIGRATIONS, {"image_tag": "1.9.0"}, "built from a git repository"),
        (NIGHTLY, {"git_commit_id": SHA}, "runs a container image"),
        (NIGHTLY, {"image_tag": "1.9.0", "git_commit_id": SHA}, "not both"),
        (NIGHTLY, {"force_event": "START"}, "has no START event"),
        (NIGHTLY, {"force_event": "RESTART"}, "force_event"),
        (NIGHTLY, {"imageTag": "1.9.0"}, "did you mean 'image_tag'"),
        (NIGHTLY, {"image_tag": "1.9.0", "wait_seconds": "60"}, "wait_seconds"),
        (NIGHTLY, {"image_tag": "1.9.0", "wait_seconds": 901}, "wait_seconds"),
    ],
)
async def test_refusals_send_nothing(
    world: DeployWorld, time_: FakeTime, job_id: str, arguments: dict[str, Any], says: str
) -> None:
    result = await call(world, time_, "deploy-job", {"job_id": job_id, **arguments})
    assert result.is_error
    assert says in text_of(result)
    assert world.posts() == []


async def test_a_second_deploy_while_one_runs_is_a_409_that_names_it(
    world: DeployWorld, time_: FakeTime
) -> None:
    async with deploy_client(deploy_settings(world.url), time_) as client:
        first = await client.call_tool("deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0"})
        second = await client.call_tool("deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.1"})
    assert first.structured_content["outcome"] == "still-running"
    assert second.is_error
    assert "DEPLOYMENT_QUEUED since 10:00" in text_of(second)
    assert "Nothing more was sent" in text_of(second)
    assert len(world.posts()) == 2


async def test_a_lost_answer_reaches_qovery_once_and_says_it_may_have_been_accepted(
    world: DeployWorld, time_: FakeTime
) -> None:
    world.sim.fail_next("deploy", Fault(status=502, body='{"status":502,"detail":"Bad Gateway"}'))
    result = await call(
        world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 60}
    )
    assert not result.is_error
    assert world.posts() == [f"/job/{NIGHTLY}/deploy"]
    assert result.structured_content["outcome"] == "unknown"
    assert result.structured_content["message"].startswith(
        "Qovery may have accepted the deploy; the status shows"
    )


async def test_a_lost_answer_whose_deploy_landed_is_followed(world: DeployWorld, time_: FakeTime) -> None:
    world.sim.deployments.lose_next_answer("deploy")
    result = await call(
        world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 60}
    )
    assert world.posts() == [f"/job/{NIGHTLY}/deploy"]
    assert result.structured_content["outcome"] == "succeeded"
    assert "answer to the deploy was lost" in result.structured_content["message"]


async def test_stop_then_stop_again(world: DeployWorld, time_: FakeTime) -> None:
    async with deploy_client(deploy_settings(world.url), time_) as client:
        stopped = await client.call_tool("stop-job", {"job_id": NIGHTLY, "wait_seconds": 30})
        again = await client.call_tool("stop-job", {"job_id": NIGHTLY})
    assert stopped.structured_content["state"] == "STOPPED"
    assert "already stopped" in again.structured_content["message"]


async def test_a_stop_goes_ahead_when_the_history_cannot_be_read(world: DeployWorld, time_: FakeTime) -> None:
    # The history only binds a yes to the newest deployment; an emergency stop never waits on it.
    world.sim.fail_next("history", Fault(status=500, body='{"status":500,"detail":"history down"}'))
    async with deploy_client(deploy_settings(world.url, max_attempts=1), time_) as client:
        stopped = await client.call_tool("stop-job", {"job_id": NIGHTLY})
    assert not stopped.is_error, stopped
    assert [r.path for r in world.sim.requests_to("POST")] == [f"/job/{NIGHTLY}/stop"]


async def test_deployments_and_logs_of_the_demo(world: DeployWorld, time_: FakeTime) -> None:
    async with deploy_client(deploy_settings(world.url), time_) as client:
        listed = await client.call_tool("list-job-deployments", {"job_id": NIGHTLY, "limit": 2})
        logs = await client.call_tool("get-job-logs", {"job_id": NIGHTLY, "errors_only": True, "lines": 5})
    assert [e["details"]["tag"] for e in listed.structured_content["results"]] == ["1.8.2", "1.8.2"]
    assert listed.structured_content["truncated"] is True
    assert logs.structured_content["lines"]
    assert all(line["type"] == "error" for line in logs.structured_content["lines"])


async def test_a_secret_planted_in_a_log_line_never_comes_out(world: DeployWorld, time_: FakeTime) -> None:
    latest = world.sim.deployments.latest(NIGHTLY)
    assert latest is not None
    latest.lines.append(
        (1.0, "error", f"curl -H 'Authorization: Token {API_KEY}' failed", {"user_log_message": API_KEY})
    )
    async with deploy_client(deploy_settings(world.url), time_) as client:
        logs = await client.call_tool("get-job-logs", {"job_id": NIGHTLY, "lines": 500})
        failed = await client.call_tool(
            "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0-broken", "wait_seconds": 60}
        )
    for result in (logs, failed):
        assert API_KEY not in text_of(result)
        assert API_KEY not in repr(result.structured_content)
    assert "[redacted]" in text_of(logs)
