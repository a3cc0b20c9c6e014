"""DeployOperations against the simulated Qovery API on a real loopback port, on injected time.

The simulator's clock and the operations' clock are the same fake clock (one test freezes the
simulator's), so a deployment walks through its states while the waiting loop "sleeps" without
ever sleeping. Requests are counted where they land: in the simulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from qovery_job_mcp.operations import settled
from qovery_job_mcp.operations.deploy import DeployOperations
from qovery_job_mcp.operations.deploy_rules import poll_times
from qovery_job_mcp.qovery.client import QoveryClient
from qovery_job_mcp.qovery.errors import ConflictError, InvalidInputError
from qovery_job_mcp.simulation.data import CLEANUP_JOB_ID, MIGRATIONS_JOB_ID, NIGHTLY_JOB_ID
from tests.support.clients import FakeTime
from tests.support.deploying import EPOCH, SimClock
from tests.support.simulator import Fault, RecordingSimulator, simulated_qovery

KEY = "qov_deploy_tests_0123456789SECRET"


@dataclass
class Live:
    sim: RecordingSimulator
    url: str
    clock: SimClock


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    clock = SimClock()
    with simulated_qovery(api_tokens=(KEY,), clock=clock) as served:
        yield Live(served.sim, served.url, clock)


@pytest.fixture
def time_(live: Live) -> FakeTime:
    fake = FakeTime(now=EPOCH)
    live.clock.source, live.clock.frozen = fake, None
    live.sim.reset()
    return fake


@pytest.fixture
async def ops(live: Live, time_: FakeTime) -> AsyncIterator[DeployOperations]:
    client = QoveryClient(live.url, credential=KEY, sleep=time_.sleep, clock=time_.clock, deadline=20.0)
    operations = DeployOperations(client, sleep=time_.sleep, clock=time_.clock)
    try:
        yield operations
    finally:
        await client.aclose()


def posts(live: Live) -> list[str]:
    return [r.path for r in live.sim.requests_to("POST")]


def status_reads(live: Live) -> int:
    return sum(1 for r in live.sim.requests_to("GET") if r.path.endswith("/status"))


async def test_deploy_succeeds_with_previous_and_rollback(
    live: Live, ops: DeployOperations, time_: FakeTime
) -> None:
    seen: list[str] = []

    async def progress(elapsed: float, total: float, message: str) -> None:
        seen.append(message.rsplit(" ", 1)[-1])

    result = settled(
        await ops.deploy_job(NIGHTLY_JOB_ID, image_tag="1.9.0", wait_seconds=60, progress=progress)
    )
    assert result["outcome"] == "succeeded"
    assert result["state"] == "DEPLOYED"
    assert result["previous"] is not None
    assert result["previous"]["image_tag"] == "1.8.2"
    assert result["rollback"] == {"job_id": NIGHTLY_JOB_ID, "image_tag": "1.8.2"}
    assert result["sent"] == {"image_tag": "1.9.0"}
    assert seen == ["DEPLOYING", "DEPLOYED"]
    assert posts(live) == [f"/job/{NIGHTLY_JOB_ID}/deploy"]
    assert live.sim.requests_to("POST")[0].body == {"image_tag": "1.9.0"}
    assert 0 < result["duration_seconds"] <= 60
    assert "log_tail" not in result


async def test_deploy_of_a_broken_tag_fails_with_a_log_tail(live: Live, ops: DeployOperations) -> None:
    result = settled(await ops.deploy_job(NIGHTLY_JOB_ID, image_tag="1.9.0-broken", wait_seconds=60))
    assert result["outcome"] == "failed"
    assert result["state"] == "DEPLOYMENT_ERROR"
    tail = result["log_tail"]
    assert " ERROR " in tail["lines"][0]
    assert tail["errors"][0]["user_log_message"].startswith("The job's container acme/reporter:1.9.0-broken")
    assert "hint_message" in tail["errors"][0]
    assert all(len(line) <= 500 for line in tail["lines"])
    assert "failed" in result["message"]
    assert "1.8.2" in result["message"]


async def test_a_short_wait_ends_still_running_not_in_error(live: Live, ops: DeployOperations) -> None:
    result = settled(await ops.deploy_job(NIGHTLY_JOB_ID, image_tag="1.9.0", wait_seconds=3))
    assert result["outcome"] == "still-running"
    assert result["state"] == "DEPLOYING"
    assert "not an error" in result["message"]
    assert status_reads(live) == len(poll_times(3))


async def test_a_cron_job_forced_with_cron_executes_and_ends(live: Live, ops: DeployOperations) -> None:
    seen: list[str] = []

    async def progress(elapsed: float, total: float, message: str) -> None:
        seen.append(message.rsplit(" ", 1)[-1])

    result = settled(
        await ops.deploy_job(NIGHTLY_JOB_ID, force_event="CRON", wait_seconds=120, progress=progress)
    )
    assert result["outcome"] == "succeeded"
    assert "EXECUTING" in seen
    assert posts(live) == [f"/job/{NIGHTLY_JOB_ID}/redeploy"]
    assert live.sim.requests_to("POST")[0].query == {"forceEvent": "CRON"}


async def test_a_second_deploy_while_one_runs_is_a_conflict_that_names_it(
    live: Live, ops: DeployOperations
) -> None:
    first = settled(await ops.deploy_job(NIGHTLY_JOB_ID, image_tag="1.9.0"))
    assert first["outcome"] == "still-running"
    with pytest.raises(ConflictError) as refused:
        settled(await ops.deploy_job(NIGHTLY_JOB_ID, image_tag="1.9.1"))
    assert "DEPLOY (DEPLOYMENT_QUEUED since 10:00)" in refused.value.message
    assert "Nothing more was sent" in refused.value.message
    assert len(posts(live)) == 2


async def test_a_lost_answer_is_never_resent_and_found_in_the_history(
    live: Live, ops: DeployOperations
) -> None:
    live.sim.deployments.lose_next_answer("deploy")
    result = settled(await ops.deploy_job(NIGHTLY_JOB_ID, image_tag="1.9.0", wait_seconds=60))
    assert posts(live) == [f"/job/{NIGHTLY_JOB_ID}/deploy"]
    assert result["outcome"] == "succeeded"
    assert "answer to the deploy was lost" in result["message"]


async def test_a_lost_answer_with_nothing_new_says_it_may_have_been_accepted(
    live: Live, ops: DeployOperations
) -> None:
    live.sim.fail_next("deploy", Fault(status=502, body='{"status":502,"detail":"Bad Gateway"}'))
    result = settled(await ops.deploy_job(NIGHTLY_JOB_ID, image_tag="1.9.0", wait_seconds=60))
    assert posts(live) == [f"/job/{NIGHTLY_JOB_ID}/deploy"]
    assert result["outcome"] == "unknown"
    assert result["message"].startswith(
        "Qovery may have accepted the deploy; the status shows DEPLOYMENT_ERROR"
    )


async def test_a_60_second_wait_reads_the_status_a_bounded_number_of_times(
    live: Live, ops: DeployOperations, time_: FakeTime
) -> None:
    live.clock.frozen = time_.now  # the simulated deployment never leaves DEPLOYMENT_QUEUED
    result = settled(await ops.deploy_job(NIGHTLY_JOB_ID, image_tag="1.9.0", wait_seconds=60))
    assert result["outcome"] == "still-running"
    assert result["state"] == "DEPLOYMENT_QUEUED"
    assert status_reads(live) == len(poll_times(60)) == 7
    assert sum(time_.sleeps) == 60
    assert max(time_.sleeps) == 15


@pytest.mark.parametrize(
    ("job_id", "arguments", "says"),
    [
        (MIGRATIONS_JOB_ID, {"image_tag": "1.9.0"}, "built from a git repository"),
        (
            NIGHTLY_JOB_ID,
            {"git_commit_id": "b3d5f7a9c1e3052749618a0c2e4f6a8b0d2f4a6c"},
            "runs a container image",
        ),
        (
            NIGHTLY_JOB_ID,
            {"image_tag": "1.9.0", "git_commit_id": "b3d5f7a9c1e3052749618a0c2e4f6a8b0d2f4a6c"},
            "not both",
        ),
        (NIGHTLY_JOB_ID, {"force_event": "START"}, "has no START event"),
        (MIGRATIONS_JOB_ID, {"force_event": "CRON"}, "has no CRON event"),
        (NIGHTLY_JOB_ID, {"wait_seconds": 901}, "wait_seconds must be"),
    ],
)
async def test_refusals_send_nothing(
    live: Live, ops: DeployOperations, job_id: str, arguments: dict[str, object], says: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        settled(await ops.deploy_job(job_id, **arguments))  # type: ignore[arg-type]
    assert says in refused.value.message
    assert posts(live) == []


async def test_a_git_job_deploys_a_commit(live: Live, ops: DeployOperations) -> None:
    sha = "b3d5f7a9c1e3052749618a0c2e4f6a8b0d2f4a6c"
    result = settled(await ops.deploy_job(MIGRATIONS_JOB_ID, git_commit_id=sha, wait_seconds=60))
    assert result["outcome"] == "succeeded"
    assert result["rollback"] == {
        "job_id": MIGRATIONS_JOB_ID,
        "git_commit_id": "5e1a9c3f7b2d4e6a8c0f1b3d5e7a9c2b4d6f8a0e",
    }
    listed = await ops.list_deployments(MIGRATIONS_JOB_ID, limit=1)
    assert listed["results"][0]["details"]["commit"]["git_commit_id"] == sha
    assert listed["truncated"] is True


async def test_stop_then_stop_again(live: Live, ops: DeployOperations) -> None:
    stopped = settled(await ops.stop_job(NIGHTLY_JOB_ID, wait_seconds=30))
    assert stopped["outcome"] == "succeeded"
    assert stopped["state"] == "STOPPED"
    again = settled(await ops.stop_job(NIGHTLY_JOB_ID))
    assert again["outcome"] == "succeeded"
    assert "already stopped" in again["message"]
    assert len(posts(live)) == 2


async def test_deployments_of_the_demo_show_the_failed_deploy(live: Live, ops: DeployOperations) -> None:
    listed = await ops.list_deployments(NIGHTLY_JOB_ID)
    assert [e["status"] for e in listed["results"]] == [
        "DEPLOYMENT_ERROR",
        "DEPLOYED",
        "DEPLOYMENT_ERROR",
        "DEPLOYED",
    ]
    assert [e["details"]["tag"] for e in listed["results"]] == ["1.8.2", "1.8.2", "1.9.0-rc1", "1.8.1"]
    assert listed["truncated"] is False


async def test_logs_of_the_latest_execution_bounded_and_filtered(live: Live, ops: DeployOperations) -> None:
    everything = await ops.get_logs(NIGHTLY_JOB_ID)
    assert everything["execution_id"] == f"{NIGHTLY_JOB_ID}-57-1764464412"
    assert everything["lines"]
    assert everything["omitted"] == 0
    assert everything["lines"][-1]["message"] == "Deployment of job nightly-report failed"
    two = await ops.get_logs(NIGHTLY_JOB_ID, lines=2)
    assert two["lines"] == everything["lines"][-2:]
    assert two["omitted"] == len(everything["lines"]) - 2
    errors = await ops.get_logs(NIGHTLY_JOB_ID, errors_only=True)
    assert errors["lines"]
    assert all(line["type"] == "error" for line in errors["lines"])
    assert any("hint_message" in line.get("error", {}) for line in errors["lines"])


async def test_logs_of_a_job_never_deployed_are_empty_with_a_sentence(
    live: Live, ops: DeployOperations
) -> None:
    result = await ops.get_logs(CLEANUP_JOB_ID)
    assert result["lines"] == []
    assert "no deployment yet" in result["message"]


async def test_the_wait_honours_retry_after_and_still_ends_on_time(
    live: Live, ops: DeployOperations, time_: FakeTime
) -> None:
    live.clock.frozen = time_.now
    live.sim.fail_next(
        "status",
        Fault(status=429, body='{"status":429,"detail":"Too many requests"}', headers={"Retry-After": "30"}),
    )
    result = settled(await ops.deploy_job(NIGHTLY_JOB_ID, image_tag="1.9.0", wait_seconds=60))
    assert result["outcome"] == "still-running"
    assert time_.sleeps[:2] == [2, 30]
    assert sum(time_.sleeps) == 60
