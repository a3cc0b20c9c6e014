"""The REST adapter's refusals as problem documents: bad input, Qovery's errors mapped to statuses, methods, routes, Host."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from qovery_job_mcp.web.rest.input import MAX_BODY_BYTES
from qovery_job_mcp.web.rest.openapi import OPERATIONS
from tests.support.clients import FakeTime
from tests.support.constants import API_KEY, MIGRATIONS, MISSING, NIGHTLY
from tests.support.rest import MERGE, problem_of, puts, rest_server
from tests.support.simulator import Fault, LiveQovery

# ---------------------------------------------------------------------------------------------
# Bad input: 400 (or 413/415) and nothing reaches Qovery
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/job/not-a-uuid"),
        ("GET", "/v1/job/d4a2f9c61e8b4c7db3a57f9e2c4a6b18/status"),
        ("GET", "/v1/job/%2e%2e/commit"),
        ("DELETE", "/v1/job/' or 1=1"),
        ("PATCH", "/v1/job/x"),
    ],
)
def test_bad_job_id(rest: httpx.Client, qovery: LiveQovery, method: str, path: str) -> None:
    response = rest.request(method, path, json={"cpu": 1}, headers=MERGE)
    assert "must be a job's UUID" in problem_of(response, 400)["detail"]
    assert qovery.sim.requests == []


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (f"/v1/job/{MIGRATIONS}/commit", {"limit": "abc"}, "limit must be a whole number from 1 to 100"),
        (f"/v1/job/{MIGRATIONS}/commit", {"limit": "0"}, "limit must be a whole number from 1 to 100"),
        (f"/v1/job/{MIGRATIONS}/commit", {"limit": "101"}, "got 101"),
        (f"/v1/job/{MIGRATIONS}/commit", {"limit": "9" * 5000}, "limit must be a whole number"),
        (f"/v1/job/{MIGRATIONS}/commit", {"start_id": "main"}, "start_id must be a git commit SHA"),
        (f"/v1/job/{MIGRATIONS}/commit", {"git_commit_id": ""}, "git_commit_id must be a git commit SHA"),
        (f"/v1/job/{MIGRATIONS}/commit", [("limit", "1"), ("limit", "2")], "given 2 times"),
        (f"/v1/job/{NIGHTLY}", {"verbose": "1"}, "Unknown query parameter(s): 'verbose'"),
        (f"/v1/job/{NIGHTLY}/status", {"x": "1"}, "takes no query parameters"),
    ],
)
def test_bad_query_parameters(
    rest: httpx.Client, qovery: LiveQovery, path: str, params: Any, message: str
) -> None:
    assert message in problem_of(rest.get(path, params=params), 400)["detail"]
    assert qovery.sim.requests == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"dry_run": "yes"}, "dry_run must be true or false"),
        ({"dryrun": "true"}, "Unknown query parameter(s): 'dryrun'"),
    ],
)
def test_bad_edit_query_changes_nothing(
    rest: httpx.Client, qovery: LiveQovery, params: dict[str, str], message: str
) -> None:
    response = rest.patch(f"/v1/job/{NIGHTLY}", params=params, json={"cpu": 500}, headers=MERGE)
    assert message in problem_of(response, 400)["detail"]
    assert qovery.sim.requests == []
    assert problem_of(rest.delete(f"/v1/job/{NIGHTLY}", params={"skip_reconcile": "1"}), 400)
    assert NIGHTLY in qovery.sim.jobs


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The request body is empty"),
        (b"   ", "The request body is empty"),
        (b"{}", "body is empty: there is nothing to change"),
        (b'{"cpu": 500', "The request body is not valid JSON"),
        (b'{"cpu": NaN}', "NaN is not a JSON number"),
        (b'{"healthchecks": {"x": 1e400}}', "1e400 is out of range"),
        (b'{"cpu": ' + b"9" * 5000 + b"}", "The request body is not valid JSON"),
        (b"\xff\xfe\xfa", "not UTF-8"),
        (b"[1, 2]", "body must be a JSON object"),
        (b'"cpu"', "body must be a JSON object"),
        (b'{"colour": "blue"}', "unknown field '/colour' in body"),
        (b'{"id": "x"}', "id cannot be changed"),
        (b'{"healthchecks": ' + b'{"a": ' * 70 + b"1" + b"}" * 71, "nested more than 64 levels deep"),
        (b"[" * 100_000 + b"]" * 100_000, "The request body"),
        (b'{"schedule": {"cronjob": {"scheduled_at": "every day"}}}', "must have exactly 5 fields"),
    ],
)
def test_bad_bodies_are_400_and_send_nothing(
    rest: httpx.Client, qovery: LiveQovery, content: bytes, message: str
) -> None:
    response = rest.patch(f"/v1/job/{NIGHTLY}", content=content, headers=MERGE)
    assert message in problem_of(response, 400)["detail"]
    assert puts(qovery) == []


def test_wrong_content_type_is_415(rest: httpx.Client, qovery: LiveQovery) -> None:
    response = rest.patch(
        f"/v1/job/{NIGHTLY}",
        content=b"cpu=500",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (
        "Content-Type: application/merge-patch+json or application/json"
        in problem_of(response, 415)["detail"]
    )
    put = rest.put(
        f"/v1/job/{NIGHTLY}", content=b"{}", headers={"Content-Type": "application/merge-patch+json"}
    )
    assert problem_of(put, 415)
    assert qovery.sim.requests == []


def test_oversized_body_is_413(rest: httpx.Client, qovery: LiveQovery) -> None:
    content = json.dumps({"description": "x" * MAX_BODY_BYTES}).encode()
    assert problem_of(rest.patch(f"/v1/job/{NIGHTLY}", content=content, headers=MERGE), 413)
    assert qovery.sim.requests == []


# ---------------------------------------------------------------------------------------------
# Qovery's errors, mapped to statuses with the same sentences as the tools
# ---------------------------------------------------------------------------------------------


def test_404_from_qovery(rest: httpx.Client) -> None:
    for path in (f"/v1/job/{MISSING}", f"/v1/job/{MISSING}/status", f"/v1/job/{MISSING}/commit"):
        assert f"No job with id {MISSING} exists" in problem_of(rest.get(path), 404)["detail"]


def test_401_when_qovery_refuses_the_key(qovery: LiveQovery, fake_time: FakeTime) -> None:
    wrong = "qov_wrong_key_0123456789SECRETVALUE"
    with rest_server(qovery, fake_time, api_key=wrong) as http:
        response = http.get(f"/v1/job/{NIGHTLY}")
    body = problem_of(response, 401)
    assert body["type"].endswith(":unauthorized")
    assert "Qovery refused the credentials" in body["detail"]
    assert wrong not in response.text


def test_403(rest: httpx.Client, qovery: LiveQovery) -> None:
    qovery.sim.fail_next(
        "job", Fault(status=403, body='{"status":403,"detail":"Forbidden: admin role needed"}')
    )
    detail = problem_of(rest.delete(f"/v1/job/{NIGHTLY}"), 403)["detail"]
    assert "admin role" in detail
    assert NIGHTLY in qovery.sim.jobs


def test_409_name_taken(rest: httpx.Client) -> None:
    response = rest.patch(f"/v1/job/{NIGHTLY}", json={"name": "db-migrations"}, headers=MERGE)
    assert "unique within its environment" in problem_of(response, 409)["detail"]


def test_400_when_qovery_rejects(rest: httpx.Client, qovery: LiveQovery) -> None:
    qovery.sim.fail_next("status", Fault(status=422, body='{"status":422,"detail":"bad things"}'))
    body = problem_of(rest.get(f"/v1/job/{NIGHTLY}/status"), 400)
    assert body["type"].endswith(":rejected")
    assert "bad things" in body["detail"]


def test_502_after_retries(rest: httpx.Client, qovery: LiveQovery, fake_time: FakeTime) -> None:
    qovery.sim.fail_next("status", Fault(), Fault(), Fault())
    body = problem_of(rest.get(f"/v1/job/{NIGHTLY}/status"), 502)
    assert "after 3 attempts" in body["detail"]
    assert len(fake_time.sleeps) == 2
    assert len(qovery.sim.requests) == 3


def test_502_when_qovery_answers_garbage(rest: httpx.Client, qovery: LiveQovery) -> None:
    qovery.sim.fail_next("job", Fault(status=200, body="<html>oops</html>", content_type="text/html"))
    body = problem_of(rest.get(f"/v1/job/{NIGHTLY}"), 502)
    assert body["type"].endswith(":unexpected-answer")


def test_503_rate_limited_says_when_to_retry(rest: httpx.Client, qovery: LiveQovery) -> None:
    qovery.sim.fail_next("job", Fault(status=429, body="{}", headers={"Retry-After": "120"}))
    response = rest.get(f"/v1/job/{NIGHTLY}")
    body = problem_of(response, 503)
    assert response.headers["retry-after"] == "120"
    assert body["retry_after_seconds"] == 120
    assert "retry after 120 seconds" in body["detail"]


@dataclass
class StalledTime(FakeTime):
    """A clock that jumps a whole deadline at every reading: Qovery never answers in time."""

    step: float = 20.0

    def clock(self) -> float:
        self.now += self.step
        return self.now


def test_504_when_qovery_does_not_answer_in_time(qovery: LiveQovery) -> None:
    with rest_server(qovery, StalledTime()) as http:
        body = problem_of(http.get(f"/v1/job/{NIGHTLY}"), 504)
    assert body["type"].endswith(":upstream-timeout")
    # Cut by the call's overall deadline, and said so (not "raise QOVERY_TIMEOUT").
    assert "overall deadline" in body["detail"]
    assert "QOVERY_TIMEOUT" not in body["detail"]


def test_secrets_are_scrubbed_from_problems_and_bodies(rest: httpx.Client, qovery: LiveQovery) -> None:
    qovery.sim.fail_next("job", Fault(status=400, body=json.dumps({"detail": f"token {API_KEY} is odd"})))
    assert "[redacted]" in problem_of(rest.get(f"/v1/job/{NIGHTLY}"), 400)["detail"]
    qovery.sim.jobs[NIGHTLY]["description"] = f"key is {API_KEY}"
    response = rest.get(f"/v1/job/{NIGHTLY}")
    assert API_KEY not in response.text
    assert response.json()["description"] == "key is [redacted]"


# ---------------------------------------------------------------------------------------------
# Methods, routes, Host, read-only
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", f"/v1/job/{NIGHTLY}", "GET, HEAD, PUT, PATCH, DELETE"),
        ("OPTIONS", f"/v1/job/{NIGHTLY}", "GET, HEAD, PUT, PATCH, DELETE"),
        ("DELETE", f"/v1/job/{NIGHTLY}/commit", "GET, HEAD"),
        ("PUT", f"/v1/job/{NIGHTLY}/status", "GET, HEAD"),
        ("POST", "/healthz", "GET, HEAD"),
    ],
)
def test_unsupported_method_is_405_with_allow(
    rest: httpx.Client, qovery: LiveQovery, method: str, path: str, allow: str
) -> None:
    response = rest.request(method, path)
    assert set(response.headers["allow"].split(", ")) == set(allow.split(", "))
    assert "is not supported" in problem_of(response, 405)["detail"]
    assert qovery.sim.requests == []


def test_unknown_route_is_a_404_problem(rest: httpx.Client) -> None:
    assert "/v1/job/{jobid}" in problem_of(rest.get("/v2/jobs"), 404)["detail"]


def test_foreign_host_header_is_refused(rest: httpx.Client, qovery: LiveQovery) -> None:
    response = rest.get(f"/v1/job/{NIGHTLY}", headers={"Host": "attacker.example:8080"})
    assert "DNS rebinding" in problem_of(response, 421)["detail"]
    assert rest.get(f"/v1/job/{NIGHTLY}", headers={"Host": "localhost:8080"}).status_code == 200
    assert len(qovery.sim.requests) == 1


def test_read_only_refuses_writes_with_405(qovery: LiveQovery, fake_time: FakeTime) -> None:
    with rest_server(qovery, fake_time, read_only=True) as http:
        for method in ("PUT", "PATCH", "DELETE"):
            response = http.request(method, f"/v1/job/{NIGHTLY}", json={"cpu": 1}, headers=MERGE)
            assert response.headers["allow"] == "GET, HEAD"
            assert "read-only" in problem_of(response, 405)["detail"]
        assert qovery.sim.requests == []
        assert http.get(f"/v1/job/{NIGHTLY}").status_code == 200
        assert http.get("/healthz").json()["read_only"] is True
        item = http.get("/openapi.json").json()["paths"]["/v1/job/{jobid}"]
        assert set(item) == {"parameters", "get"}


def test_excluded_tool_is_405(qovery: LiveQovery, fake_time: FakeTime) -> None:
    with rest_server(qovery, fake_time, exclude_tools=("delete-job",)) as http:
        response = http.delete(f"/v1/job/{NIGHTLY}")
        assert "delete-job is turned off" in problem_of(response, 405)["detail"]
        assert response.headers["allow"] == "GET, HEAD, PUT, PATCH"
    assert NIGHTLY in qovery.sim.jobs
    assert set(OPERATIONS) >= {"delete-job"}
