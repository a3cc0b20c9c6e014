"""The simulator's deployment routes over real HTTP: Qovery's answers, 409s and bounded history."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from qovery_job_mcp.simulation.data import ENVIRONMENT_ID, MIGRATIONS_JOB_ID, NIGHTLY_JOB_ID
from qovery_job_mcp.simulation.deployments import MAX_DEPLOYMENTS_PER_JOB
from tests.support.clock import FakeTime
from tests.support.simulator import simulated_qovery

KEY = "qov_simulated_deployments_SECRET"


@pytest.fixture
def served() -> Iterator[tuple[httpx.Client, FakeTime]]:
    clock = FakeTime(now=1796119200.0)
    with (
        simulated_qovery(api_tokens=(KEY,), clock=clock.clock) as live,
        httpx.Client(base_url=live.url, headers={"Authorization": f"Token {KEY}"}, timeout=5) as http,
    ):
        yield http, clock


@pytest.mark.parametrize(
    ("path", "body", "status", "detail"),
    [
        (f"/job/{NIGHTLY_JOB_ID}/deploy", {"git_commit_id": "a" * 40}, 400, "git repository"),
        (
            f"/job/{NIGHTLY_JOB_ID}/deploy",
            {"image_tag": "1", "git_commit_id": "a" * 40},
            400,
            "cannot be set",
        ),
        (f"/job/{NIGHTLY_JOB_ID}/deploy", {}, 400, "must provide"),
        (f"/job/{MIGRATIONS_JOB_ID}/deploy", {"image_tag": "1"}, 400, "image"),
        ("/job/11111111-2222-4333-8444-555555555555/deploy", {"image_tag": "1"}, 404, "Not found"),
    ],
)
def test_refused_requests(
    served: tuple[httpx.Client, FakeTime], path: str, body: dict[str, str], status: int, detail: str
) -> None:
    http, _ = served
    answer = http.post(path, json=body)
    assert answer.status_code == status
    assert detail in answer.json()["detail"]


def test_a_missing_force_event_is_accepted_and_ignored(served: tuple[httpx.Client, FakeTime]) -> None:
    http, _ = served
    answer = http.post(f"/job/{NIGHTLY_JOB_ID}/redeploy", params={"forceEvent": "START"})
    assert answer.status_code == 202
    assert answer.json()["state"] == "DEPLOYMENT_ERROR"  # nothing started: the seeded status


def test_history_is_bounded_and_newest_first(served: tuple[httpx.Client, FakeTime]) -> None:
    http, clock = served
    for n in range(MAX_DEPLOYMENTS_PER_JOB + 5):
        assert http.post(f"/job/{NIGHTLY_JOB_ID}/deploy", json={"image_tag": f"2.{n}"}).status_code == 202
        assert http.post(f"/job/{NIGHTLY_JOB_ID}/deploy", json={"image_tag": "x"}).status_code == 409
        clock.now += 30
    history = http.get(f"/job/{NIGHTLY_JOB_ID}/deploymentHistoryV2").json()
    assert len(history["results"]) == MAX_DEPLOYMENTS_PER_JOB
    assert history["results"][0]["details"]["tag"] == f"2.{MAX_DEPLOYMENTS_PER_JOB + 4}"
    assert (
        http.get(f"/job/{NIGHTLY_JOB_ID}", timeout=5).json()["source"]["image"]["tag"]
        == f"2.{MAX_DEPLOYMENTS_PER_JOB + 4}"
    )
    assert (
        len(http.get(f"/job/{NIGHTLY_JOB_ID}/deploymentHistoryV2", params={"pageSize": 3}).json()["results"])
        == 3
    )
    logs = http.get(f"/environment/{ENVIRONMENT_ID}/logs").json()
    assert len(logs) <= 1000
    assert [line["timestamp"] for line in logs] == sorted(line["timestamp"] for line in logs)


def test_the_status_follows_the_simulated_clock(served: tuple[httpx.Client, FakeTime]) -> None:
    http, clock = served
    started = http.post(f"/job/{NIGHTLY_JOB_ID}/deploy", json={"image_tag": "1.9.0"}).json()
    seen = []
    for _ in range(4):
        status = http.get(f"/job/{NIGHTLY_JOB_ID}/status").json()
        assert status["deployment_request_id"] == started["deployment_request_id"]
        seen.append(status["state"])
        clock.now += 2
    assert seen == ["DEPLOYMENT_QUEUED", "DEPLOYING", "DEPLOYING", "DEPLOYED"]
    assert http.get("/environment/00000000-0000-4000-8000-000000000000/logs").status_code == 404
