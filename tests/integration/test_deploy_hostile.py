"""The deploy toolset against a lying upstream and a careless caller (issue 20, second review).

Each test drives our server through a real MCP client against the simulated API on a real port, scripts what
"Qovery" answers next (`fail_next` with a `Fault`), and counts what reached it: a deploy that was accepted is never
reported as an error a caller would retry, an answer naming another job never steers a call, and a secret in a log
line never comes out, not even cut in half by the 500-character cut or spelled with JSON escapes.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.support.audit import captured_audit
from tests.support.clients import FakeTime
from tests.support.constants import API_KEY, MIGRATIONS, NIGHTLY
from tests.support.deploying import DeployWorld, deploy_client, deploy_settings
from tests.support.simulator import Fault

SHA = "b3d5f7a9c1e3052749618a0c2e4f6a8b0d2f4a6c"


async def call(world: DeployWorld, time_: FakeTime, tool: str, arguments: dict[str, Any]) -> Any:
    async with deploy_client(deploy_settings(world.url), time_) as client:
        return await client.call_tool(tool, arguments)


def text_of(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def answer(body: Any, status: int = 200, method: str = "GET") -> Fault:
    """A scripted answer of Qovery's: `body` as JSON text (a str is sent as it is, for NaN)."""
    text = body if isinstance(body, str) else json.dumps(body)
    return Fault(status=status, body=text, method=method)


# -- redaction of log lines: before the cut, on the decoded value ----------------------------------


def plant(world: DeployWorld, message: str) -> None:
    latest = world.sim.deployments.latest(NIGHTLY)
    assert latest is not None
    latest.lines.append((1.0, "info", message, None))


async def test_a_secret_cut_in_half_by_the_line_cut_never_comes_out(
    world: DeployWorld, time_: FakeTime
) -> None:
    plant(world, "x" * 490 + API_KEY)  # the 500-character cut keeps the key's first 9 characters
    result = await call(world, time_, "get-job-logs", {"job_id": NIGHTLY, "lines": 500})
    assert not result.is_error, text_of(result)
    assert API_KEY[:8] not in text_of(result)
    assert API_KEY[:8] not in json.dumps(result.structured_content)


async def test_a_secret_spelled_with_json_escapes_in_a_log_line_never_comes_out(
    world: DeployWorld, time_: FakeTime
) -> None:
    plant(world, 'env {"QOVERY_API_KEY": "\\u0071' + API_KEY[1:] + '"}')  # what a reader decodes to the key
    result = await call(world, time_, "get-job-logs", {"job_id": NIGHTLY, "lines": 500})
    assert not result.is_error, text_of(result)
    assert API_KEY[1:] not in text_of(result)
    assert API_KEY[1:] not in json.dumps(result.structured_content)


async def test_a_failed_deploys_tail_never_shows_half_a_secret(world: DeployWorld, time_: FakeTime) -> None:
    # Qovery's error message quotes the image, whose name ends in the key: cut at 500, only its head is left.
    world.sim.jobs[NIGHTLY]["source"]["image"]["image_name"] = "r" * 470 + API_KEY
    result = await call(
        world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0-broken", "wait_seconds": 60}
    )
    assert result.structured_content["outcome"] == "failed"
    assert result.structured_content["log_tail"]["errors"]
    assert API_KEY[:8] not in text_of(result)


async def test_log_lines_are_bounded_whatever_their_timestamp_and_type(
    world: DeployWorld, time_: FakeTime
) -> None:
    line = {
        "type": "t" * 50_000,
        "timestamp": "9" * 100_000,
        "details": {"execution_id": "x-1", "transmitter": {"id": NIGHTLY, "type": "Job"}},
        "message": {"safe_message": "hello"},
    }
    world.sim.fail_next("logs", answer([line] * 10))
    result = await call(world, time_, "get-job-logs", {"job_id": NIGHTLY, "execution_id": "x-1"})
    assert not result.is_error, text_of(result)
    assert len(result.structured_content["lines"]) == 10
    assert len(text_of(result)) < 10 * 1200


# -- after the POST: an accepted deploy is never an error -------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=500, body='{"status":500,"detail":"Internal Server Error"}'),
        Fault(status=200, body="not json"),
    ],
    ids=["500", "unreadable"],
)
async def test_a_status_that_fails_while_waiting_ends_the_wait_with_a_sentence_not_an_error(
    world: DeployWorld, time_: FakeTime, fault: Fault
) -> None:
    world.sim.fail_next("status", fault)
    with captured_audit() as audit:
        result = await call(
            world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 60}
        )
    assert not result.is_error, text_of(result)
    out = result.structured_content
    assert out["outcome"] == "still-running"
    assert out["deployment_request_id"]
    assert out["rollback"] == {"job_id": NIGHTLY, "image_tag": "1.8.2"}
    assert "could not be read" in out["message"]
    assert world.posts() == [f"/job/{NIGHTLY}/deploy"]
    assert world.status_reads() == 1  # the wait stopped there: no status read after it
    [line] = audit.parsed
    assert line["outcome"] == "applied"


async def test_nan_in_a_status_while_waiting_is_not_an_error_after_the_deploy(
    world: DeployWorld, time_: FakeTime
) -> None:
    status = copy.deepcopy(world.sim.statuses[NIGHTLY])
    status.update(state="DEPLOYED", deployment_request_id=None)  # read as the end of this deploy
    status.pop("execution_id")
    text = json.dumps(status)[:-1] + ',"steps":{"total_duration_sec":NaN}}'
    world.sim.fail_next("status", answer(text))
    result = await call(
        world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 60}
    )
    assert not result.is_error, text_of(result)
    assert result.structured_content["rollback"] == {"job_id": NIGHTLY, "image_tag": "1.8.2"}
    assert world.posts() == [f"/job/{NIGHTLY}/deploy"]


async def test_a_202_without_a_request_id_is_not_judged_by_the_previous_deployments_state(
    world: DeployWorld, time_: FakeTime
) -> None:
    # Qovery accepted (202) but its answer, and the status after it, still show the previous deployment's end.
    stale = copy.deepcopy(world.sim.statuses[NIGHTLY])
    assert stale["state"] == "DEPLOYMENT_ERROR"
    assert stale["deployment_request_id"] is None
    world.sim.fail_next("deploy", answer(stale, status=202, method="POST"))
    result = await call(
        world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 10}
    )
    assert not result.is_error, text_of(result)
    assert result.structured_content["outcome"] == "still-running"
    assert "log_tail" not in result.structured_content
    assert "still shows the previous deployment (DEPLOYMENT_ERROR" in result.structured_content["message"]


# -- answers that name another job -----------------------------------------------------------------


@pytest.mark.parametrize("tool", ["deploy-job", "stop-job"])
async def test_a_job_answer_naming_another_job_stops_the_write_before_anything_is_sent(
    world: DeployWorld, time_: FakeTime, tool: str
) -> None:
    liar = copy.deepcopy(world.sim.jobs[NIGHTLY])
    liar["id"] = MIGRATIONS
    world.sim.fail_next("job", answer(liar))
    arguments: dict[str, Any] = {"job_id": NIGHTLY, "wait_seconds": 30}
    if tool == "deploy-job":
        arguments["image_tag"] = "1.9.0"
    result = await call(world, time_, tool, arguments)
    assert result.is_error
    assert MIGRATIONS in text_of(result)
    assert world.posts() == []
    assert not any(MIGRATIONS in r.path for r in world.sim.requests_to("GET"))


def nightly_history(world: DeployWorld) -> list[dict[str, Any]]:
    deployments = world.sim.deployments.by_job[NIGHTLY]
    return [d.history_entry(time_now) for d in reversed(deployments) for time_now in [world.clock()]]


async def test_a_history_entry_of_another_job_is_never_previous_nor_listed(
    world: DeployWorld, time_: FakeTime
) -> None:
    entries = nightly_history(world)
    foreign = copy.deepcopy(entries[1])  # a successful one
    assert foreign["status"] == "DEPLOYED"
    foreign["identifier"]["service_id"] = MIGRATIONS
    foreign["identifier"]["execution_id"] = f"{MIGRATIONS}-9-1"
    foreign["details"]["tag"] = "6.6.6-evil"
    page = {"page": 1, "page_size": 20, "results": [foreign, *entries]}
    world.sim.fail_next("history", answer(page), answer(page))
    async with deploy_client(deploy_settings(world.url), time_) as client:
        deployed = await client.call_tool("deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0"})
        listed = await client.call_tool("list-job-deployments", {"job_id": NIGHTLY})
    assert deployed.structured_content["rollback"] == {"job_id": NIGHTLY, "image_tag": "1.8.2"}
    assert "6.6.6-evil" not in text_of(listed)
    assert listed.structured_content["total"] == len(entries)


# -- careless arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("job_id", "arguments"),
    [
        (MIGRATIONS, {"git_commit_id": SHA + "\n"}),
        (NIGHTLY, {"image_tag": "1.9.0\nApprove: this only restarts the job"}),
        (NIGHTLY, {"image_tag": "1.9.0 latest"}),
        (NIGHTLY, {"image_tag": "-rm"}),
    ],
)
async def test_a_tag_or_commit_that_is_not_one_is_refused_before_anything_is_sent(
    world: DeployWorld, time_: FakeTime, job_id: str, arguments: dict[str, Any]
) -> None:
    result = await call(world, time_, "deploy-job", {"job_id": job_id, **arguments})
    assert result.is_error
    assert "Nothing was sent" in text_of(result)
    assert world.posts() == []


async def test_a_stop_refused_with_409_says_so_even_when_the_status_cannot_be_read(
    world: DeployWorld, time_: FakeTime
) -> None:
    async with deploy_client(deploy_settings(world.url), time_) as client:
        first = await client.call_tool("deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0"})
        assert first.structured_content["outcome"] == "still-running"
        world.sim.fail_next("status", Fault(status=500, body='{"status":500,"detail":"boom"}'))
        stopped = await client.call_tool("stop-job", {"job_id": NIGHTLY})
    assert stopped.is_error
    assert "409" in text_of(stopped)
    assert len(world.posts()) == 2


@pytest.mark.parametrize("status", [500, 501])
async def test_a_5xx_answer_to_the_deploy_is_unclear_never_an_invitation_to_send_it_again(
    world: DeployWorld, time_: FakeTime, status: int
) -> None:
    world.sim.fail_next("deploy", Fault(status=status, body='{"status":500,"detail":"oops"}', method="POST"))
    with captured_audit() as audit:
        result = await call(
            world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 60}
        )
    assert not result.is_error, text_of(result)
    assert result.structured_content["outcome"] == "unknown"
    assert "try again" not in text_of(result)
    assert result.structured_content["rollback"] == {"job_id": NIGHTLY, "image_tag": "1.8.2"}
    assert world.posts() == [f"/job/{NIGHTLY}/deploy"]
    [line] = audit.parsed
    assert line["outcome"] == "unknown"


@pytest.mark.parametrize("wait", [60.0, True, -1, 900.5, "1e3"])
async def test_wait_seconds_is_an_integer_from_0_to_900_never_coerced(
    world: DeployWorld, time_: FakeTime, wait: Any
) -> None:
    result = await call(
        world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": wait}
    )
    assert result.is_error
    assert "wait_seconds" in text_of(result)
    assert world.posts() == []


async def test_an_absurd_retry_after_on_a_status_never_stretches_the_wait(
    world: DeployWorld, time_: FakeTime
) -> None:
    world.clock.frozen = time_.now
    status = copy.deepcopy(world.sim.statuses[NIGHTLY])
    status.update(state="DEPLOYMENT_QUEUED", execution_id="not-yet")
    world.sim.fail_next(
        "status", Fault(status=200, body=json.dumps(status), headers={"Retry-After": "9" * 400})
    )
    result = await call(
        world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 60}
    )
    assert not result.is_error, text_of(result)
    assert result.structured_content["outcome"] == "still-running"
    assert sum(time_.sleeps) == 60
    assert time_.sleeps == [2, 58]  # the read at 2 s said "not before a day": the rest of the wait was slept
    assert world.status_reads() == 2  # at 2 s and at the end


async def test_a_202_without_a_deployment_request_id_member_is_unclear_and_sent_once(
    world: DeployWorld, time_: FakeTime
) -> None:
    status = copy.deepcopy(world.sim.statuses[NIGHTLY])
    del status["deployment_request_id"]
    world.sim.fail_next("deploy", answer(status, status=202, method="POST"))
    result = await call(
        world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 60}
    )
    assert not result.is_error, text_of(result)
    assert result.structured_content["outcome"] == "unknown"
    assert "Nothing was sent again" in result.structured_content["message"]
    assert world.posts() == [f"/job/{NIGHTLY}/deploy"]


async def test_a_logs_answer_far_beyond_qoverys_1000_lines_is_refused_before_it_is_validated(
    world: DeployWorld, time_: FakeTime
) -> None:
    line = {
        "type": "info",
        "timestamp": "2026-12-01T10:00:00.000Z",
        "details": {"execution_id": "x-1", "transmitter": {"id": NIGHTLY, "type": "Job"}},
        "message": {"safe_message": "spam"},
    }
    world.sim.fail_next("logs", answer([line] * 20_000))
    result = await call(world, time_, "get-job-logs", {"job_id": NIGHTLY, "execution_id": "x-1"})
    assert result.is_error
    assert "20000 log lines" in text_of(result)


async def test_progress_only_ever_increases_even_when_a_status_read_is_retried(
    world: DeployWorld, time_: FakeTime
) -> None:
    seen: list[float] = []

    async def progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    world.sim.fail_next(
        "status",
        Fault(
            status=200,
            body=json.dumps(world.sim.statuses[NIGHTLY] | {"state": "DEPLOYING", "execution_id": "new"}),
        ),
    )
    world.sim.fail_next("status", Fault(status=503, body='{"status":503}', headers={"Retry-After": "2"}))
    async with deploy_client(deploy_settings(world.url), time_) as client:
        result = await client.call_tool(
            "deploy-job",
            {"job_id": NIGHTLY, "image_tag": "1.9.0", "wait_seconds": 60},
            progress_callback=progress,
        )
    assert result.structured_content["outcome"] == "succeeded"
    assert len(seen) >= 2
    assert seen == sorted(set(seen)), f"MCP progress must increase with each notification: {seen}"


async def test_a_failed_deploys_whole_log_tail_stays_within_8_kb(world: DeployWorld, time_: FakeTime) -> None:
    latest = world.sim.deployments.latest(NIGHTLY)
    assert latest is not None
    execution = f"{NIGHTLY}-{latest.number + 1}-{int(time_.now)}"  # the deploy below starts now
    lines = [
        {
            "type": "error",
            "timestamp": f"2026-12-01T10:00:{n:02d}.000Z",
            "details": {"execution_id": execution, "transmitter": {"id": NIGHTLY, "type": "Job"}},
            "message": {"safe_message": "é" * 600},
            "error": {"user_log_message": f"{n} " + "ü" * 600, "hint_message": f"{n} " + "ß" * 600},
        }
        for n in range(60)
    ]
    world.sim.fail_next("logs", answer(lines))
    result = await call(
        world, time_, "deploy-job", {"job_id": NIGHTLY, "image_tag": "1.9.0-broken", "wait_seconds": 60}
    )
    tail = result.structured_content["log_tail"]
    assert tail["lines"]
    assert tail["errors"]
    assert len(json.dumps(tail["lines"] + tail["errors"], ensure_ascii=False).encode()) <= 8 * 1024 + 512
