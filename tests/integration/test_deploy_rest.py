"""The deploy toolset over REST, on a real loopback port, against the simulator on injected time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openapi_spec_validator
import pytest

from tests.support.clients import FakeTime
from tests.support.constants import API_KEY, MIGRATIONS, NIGHTLY
from tests.support.deploying import DeployWorld, deploy_rest_app, deploy_settings, deploy_world
from tests.support.loopback import serve_on_loopback
from tests.support.simulator import Fault

PROBLEM = "application/problem+json"
SHA = "b3d5f7a9c1e3052749618a0c2e4f6a8b0d2f4a6c"


@dataclass
class Rest:
    world: DeployWorld
    time: FakeTime
    url: str


@pytest.fixture(scope="module")
def served() -> Iterator[Rest]:
    fake = FakeTime()
    with deploy_world() as world:
        app = deploy_rest_app(deploy_settings(world.url), fake)
        with serve_on_loopback(app, lifespan="on") as url:
            yield Rest(world, fake, url)


@pytest.fixture
def rest(served: Rest) -> Iterator[httpx.Client]:
    served.world.fresh(served.time)
    with httpx.Client(base_url=served.url, timeout=10) as http:
        yield http


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    return body


def test_a_waited_deploy_succeeds_with_rollback(served: Rest, rest: httpx.Client) -> None:
    answer = rest.post(f"/v1/job/{NIGHTLY}/deploy", json={"image_tag": "1.9.0", "wait_seconds": 60})
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "succeeded"
    assert answer.json()["rollback"] == {"job_id": NIGHTLY, "image_tag": "1.8.2"}
    assert served.world.posts() == [f"/job/{NIGHTLY}/deploy"]


def test_a_broken_tag_fails_with_a_log_tail(rest: httpx.Client) -> None:
    answer = rest.post(f"/v1/job/{NIGHTLY}/deploy", json={"image_tag": "1.9.0-broken", "wait_seconds": 60})
    assert answer.json()["outcome"] == "failed"
    assert answer.json()["log_tail"]["lines"]


def test_a_short_wait_is_still_running(rest: httpx.Client) -> None:
    answer = rest.post(f"/v1/job/{NIGHTLY}/deploy", json={"image_tag": "1.9.0", "wait_seconds": 3})
    assert answer.status_code == 200
    assert answer.json()["outcome"] == "still-running"


def test_an_empty_body_redeploys(served: Rest, rest: httpx.Client) -> None:
    answer = rest.post(f"/v1/job/{NIGHTLY}/deploy")
    assert answer.status_code == 200, answer.text
    assert served.world.posts() == [f"/job/{NIGHTLY}/redeploy"]


@pytest.mark.parametrize(
    ("job_id", "body", "says"),
    [
        (MIGRATIONS, {"image_tag": "1.9.0"}, "built from a git repository"),
        (NIGHTLY, {"image_tag": "1.9.0", "git_commit_id": SHA}, "not both"),
        (NIGHTLY, {"force_event": "START"}, "has no START event"),
        (NIGHTLY, {"force_event": "RESTART"}, "force_event must be one of"),
        (NIGHTLY, {"imageTag": "1.9.0"}, "did you mean 'image_tag'"),
        (NIGHTLY, {"wait_seconds": "60"}, "wait_seconds must be an integer"),
        (NIGHTLY, {"wait_seconds": True}, "wait_seconds must be an integer"),
        (NIGHTLY, [], "must be a JSON object"),
    ],
)
def test_refusals_are_problems_and_send_nothing(
    served: Rest, rest: httpx.Client, job_id: str, body: Any, says: str
) -> None:
    problem = problem_of(rest.post(f"/v1/job/{job_id}/deploy", json=body), 400)
    assert says in problem["detail"]
    assert served.world.posts() == []


def test_a_second_deploy_is_a_409_problem(served: Rest, rest: httpx.Client) -> None:
    assert rest.post(f"/v1/job/{NIGHTLY}/deploy", json={"image_tag": "1.9.0"}).status_code == 200
    problem = problem_of(rest.post(f"/v1/job/{NIGHTLY}/deploy", json={"image_tag": "1.9.1"}), 409)
    assert "Nothing more was sent" in problem["detail"]
    assert len(served.world.posts()) == 2


def test_a_lost_answer_is_sent_once(served: Rest, rest: httpx.Client) -> None:
    served.world.sim.fail_next("deploy", Fault(status=504, body='{"status":504,"detail":"Gateway Timeout"}'))
    answer = rest.post(f"/v1/job/{NIGHTLY}/deploy", json={"image_tag": "1.9.0", "wait_seconds": 60})
    assert answer.json()["outcome"] == "unknown"
    assert served.world.posts() == [f"/job/{NIGHTLY}/deploy"]


def test_the_polling_bound(served: Rest, rest: httpx.Client) -> None:
    served.world.clock.frozen = served.time.now
    answer = rest.post(f"/v1/job/{NIGHTLY}/deploy", json={"image_tag": "1.9.0", "wait_seconds": 60})
    assert answer.json()["state"] == "DEPLOYMENT_QUEUED"
    assert served.world.status_reads() == 7


def test_stop_deployments_and_logs(rest: httpx.Client) -> None:
    stopped = rest.post(f"/v1/job/{NIGHTLY}/stop", json={"wait_seconds": 30})
    assert stopped.json()["state"] == "STOPPED"
    listed = rest.get(f"/v1/job/{NIGHTLY}/deployments", params={"limit": 1})
    assert listed.json()["truncated"] is True
    logs = rest.get(f"/v1/job/{NIGHTLY}/logs", params={"lines": 3, "errors_only": "true"})
    assert len(logs.json()["lines"]) <= 3
    assert problem_of(rest.get(f"/v1/job/{NIGHTLY}/logs", params={"line": 3}), 400)["detail"].startswith(
        "Unknown query parameter"
    )


def test_a_secret_planted_in_a_log_line_never_comes_out(served: Rest, rest: httpx.Client) -> None:
    latest = served.world.sim.deployments.latest(NIGHTLY)
    assert latest is not None
    latest.lines.append((1.0, "error", f"token={API_KEY}", None))
    answer = rest.get(f"/v1/job/{NIGHTLY}/logs", params={"lines": 500})
    assert API_KEY not in answer.text
    assert "token=[redacted]" in answer.text


def test_the_openapi_document_describes_the_routes(rest: httpx.Client) -> None:
    document = rest.get("/openapi.json").json()
    openapi_spec_validator.validate(document)
    assert document["paths"]["/v1/job/{jobid}/deploy"]["post"]["operationId"] == "deploy-job"
    for path in ("stop", "deployments", "logs"):
        assert f"/v1/job/{{jobid}}/{path}" in document["paths"]


def test_without_the_toolset_the_routes_are_absent(served: Rest) -> None:
    app = deploy_rest_app(deploy_settings(served.world.url, toolsets=("jobs",)), served.time)
    with serve_on_loopback(app, lifespan="on") as url, httpx.Client(base_url=url, timeout=10) as http:
        assert "/v1/job/{jobid}/deploy" not in http.get("/openapi.json").json()["paths"]
        problem_of(http.post(f"/v1/job/{NIGHTLY}/deploy", json={}), 404)


def test_read_only_refuses_the_writes_with_405(served: Rest) -> None:
    app = deploy_rest_app(deploy_settings(served.world.url, read_only=True), served.time)
    with serve_on_loopback(app, lifespan="on") as url, httpx.Client(base_url=url, timeout=10) as http:
        problem = problem_of(http.post(f"/v1/job/{NIGHTLY}/stop"), 405)
        assert "read-only" in problem["detail"]
        assert http.get(f"/v1/job/{NIGHTLY}/deployments").status_code == 200


def test_a_key_split_by_the_line_cut_never_comes_out_over_rest(served: Rest, rest: httpx.Client) -> None:
    latest = served.world.sim.deployments.latest(NIGHTLY)
    assert latest is not None
    latest.lines.append((1.0, "info", "x" * 490 + API_KEY, None))
    latest.lines.append((1.0, "info", "env \\u0071" + API_KEY[1:], None))
    answer = rest.get(f"/v1/job/{NIGHTLY}/logs", params={"lines": "500"})
    assert answer.status_code == 200, answer.text
    assert API_KEY[:8] not in answer.text
    assert API_KEY[1:] not in answer.text


def test_a_500_to_the_deploy_is_unknown_not_a_problem_inviting_a_retry(
    served: Rest, rest: httpx.Client
) -> None:
    served.world.sim.fail_next("deploy", Fault(status=500, body='{"detail":"oops"}', method="POST"))
    answer = rest.post(f"/v1/job/{NIGHTLY}/deploy", json={"image_tag": "1.9.0", "wait_seconds": 30})
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "unknown"
    assert served.world.posts() == [f"/job/{NIGHTLY}/deploy"]
