"""The REST adapter over a real loopback port, backed by the simulated Qovery API on another one."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import openapi_spec_validator
import pytest

from qovery_job_mcp import __version__
from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.qovery.edit import job_to_request, version_of
from qovery_job_mcp.web.rest.app import build_rest_app
from qovery_job_mcp.web.rest.input import MAX_BODY_BYTES
from qovery_job_mcp.web.rest.openapi import OPERATIONS
from tests.support.clients import FakeTime, make_qovery_client, make_settings, mcp_client
from tests.support.constants import API_KEY, CLEANUP, MIGRATIONS, MISSING, NIGHTLY
from tests.support.loopback import serve_on_loopback
from tests.support.simulator import Fault, LiveQovery, simulated_qovery

PROBLEM = "application/problem+json"
MERGE = {"Content-Type": "application/merge-patch+json"}


@contextmanager
def rest_server(qovery: LiveQovery, fake_time: FakeTime, **overrides: Any) -> Iterator[httpx.Client]:
    """Our REST app on a free loopback port, with an httpx client pointed at it."""
    settings = make_settings(qovery.url, **overrides)
    app = build_rest_app(settings, JobOperations(make_qovery_client(settings, fake_time)))
    with serve_on_loopback(app, lifespan="on") as url, httpx.Client(base_url=url, timeout=10) as http:
        yield http


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[LiveQovery, FakeTime, str]]:
    """One simulated Qovery and one REST server for the module (starting servers per test is slow)."""
    clock = FakeTime()
    with simulated_qovery(jwts=()) as qovery:
        settings = make_settings(qovery.url)
        app = build_rest_app(settings, JobOperations(make_qovery_client(settings, clock)))
        with serve_on_loopback(app, lifespan="on") as url:
            yield qovery, clock, url


@pytest.fixture
def qovery(live: tuple[LiveQovery, FakeTime, str]) -> LiveQovery:
    """The module's simulated Qovery, back to its demo state: every test starts from the same jobs."""
    live[0].sim.reset()
    return live[0]


@pytest.fixture
def fake_time(live: tuple[LiveQovery, FakeTime, str]) -> FakeTime:
    live[1].sleeps.clear()
    return live[1]


@pytest.fixture
def rest(live: tuple[LiveQovery, FakeTime, str], qovery: LiveQovery) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live[2], timeout=10) as http:
        yield http


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status
    assert body["type"].startswith("urn:qovery-job-mcp:problem:")
    assert API_KEY not in response.text
    return dict(body)


def puts(qovery: LiveQovery) -> list[Any]:
    return [r.body for r in qovery.sim.requests_to("PUT")]


# ---------------------------------------------------------------------------------------------
# Every route, and the same bodies as the MCP tools' structuredContent
# ---------------------------------------------------------------------------------------------


def test_get_job(rest: httpx.Client, qovery: LiveQovery) -> None:
    response = rest.get(f"/v1/job/{NIGHTLY}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == qovery.sim.jobs[NIGHTLY]
    (sent,) = qovery.sim.requests_to("GET")
    assert sent.authorization == f"Token {API_KEY}"


def test_uppercase_job_id_is_canonicalised(rest: httpx.Client, qovery: LiveQovery) -> None:
    assert rest.get(f"/v1/job/{NIGHTLY.upper()}").status_code == 200
    assert qovery.sim.requests[0].path == f"/job/{NIGHTLY}"


def test_get_status(rest: httpx.Client, qovery: LiveQovery) -> None:
    response = rest.get(f"/v1/job/{NIGHTLY}/status")
    assert response.status_code == 200
    assert response.json()["state"] == "DEPLOYMENT_ERROR"
    assert response.json() == qovery.sim.statuses[NIGHTLY]


def test_list_commits_with_limit(rest: httpx.Client) -> None:
    body = rest.get(f"/v1/job/{MIGRATIONS}/commit", params={"limit": 2}).json()
    assert [c["git_commit_id"][:7] for c in body["results"]] == ["5e1a9c3", "b3d5f7a"]
    assert body["total"] == 4
    assert body["truncated"] is True


def test_list_commits_passes_start_and_commit_ids(rest: httpx.Client, qovery: LiveQovery) -> None:
    sha = qovery.sim.commits[MIGRATIONS][1]["git_commit_id"]
    after = rest.get(f"/v1/job/{MIGRATIONS}/commit", params={"start_id": sha}).json()
    assert after["total"] == 2
    one = rest.get(f"/v1/job/{MIGRATIONS}/commit", params={"git_commit_id": sha}).json()
    assert [c["git_commit_id"] for c in one["results"]] == [sha]
    assert [r.query for r in qovery.sim.requests] == [{"startId": sha}, {"gitCommitId": sha}]


@pytest.mark.parametrize(
    ("method", "path", "tool", "arguments"),
    [
        ("GET", f"/v1/job/{NIGHTLY}", "get-job-id", {"job_id": NIGHTLY}),
        ("GET", f"/v1/job/{NIGHTLY}/status", "get-job-status", {"job_id": NIGHTLY}),
        (
            "GET",
            f"/v1/job/{MIGRATIONS}/commit?limit=3",
            "list-last-job-commits",
            {"job_id": MIGRATIONS, "limit": 3},
        ),
        (
            "PATCH",
            f"/v1/job/{NIGHTLY}?dry_run=true",
            "edit-job",
            {"job_id": NIGHTLY, "body": {"cpu": 500}, "dry_run": True},
        ),
    ],
)
async def test_bodies_are_the_tools_structured_content(
    qovery: LiveQovery, fake_time: FakeTime, method: str, path: str, tool: str, arguments: dict[str, Any]
) -> None:
    async with mcp_client(make_settings(qovery.url), fake_time) as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    body = arguments.get("body")
    with rest_server(qovery, fake_time) as http:
        response = http.request(method, path, json=body, headers=MERGE if body else None)
    assert response.status_code == 200, response.text
    assert response.json() == result.structured_content


def test_head_answers_like_get_without_a_body(rest: httpx.Client) -> None:
    response = rest.head(f"/v1/job/{NIGHTLY}")
    assert response.status_code == 200
    assert response.content == b""


def test_healthz_and_openapi(rest: httpx.Client) -> None:
    assert rest.get("/healthz").json() == {
        "status": "ok",
        "version": __version__,
        "transport": "rest",
        "read_only": False,
        "credentials": "server",
        "demo": False,
    }
    document = rest.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    operation_ids = {
        operation["operationId"]
        for path, item in document["paths"].items()
        if path.startswith("/v1/")
        for key, operation in item.items()
        if key != "parameters"
    }
    assert operation_ids == {
        "get-job-id",
        "edit-job",
        "edit-job-merge",
        "delete-job",
        "list-last-job-commits",
        "get-job-status",
    }
    openapi_spec_validator.validate(document)  # a valid OpenAPI 3.1 document, not just JSON
    schemas = document["components"]["schemas"]
    assert {"Job", "JobStatus", "CommitList", "EditResult", "JobRequest", "Problem"} <= set(schemas)
    assert schemas["Problem"]["required"] == ["type", "title", "status", "detail"]


def test_openapi_schemas_describe_real_answers(rest: httpx.Client, qovery: LiveQovery) -> None:
    """Every 200 body validates against the schema the document declares for it."""
    import jsonschema

    document = rest.get("/openapi.json").json()
    resolver_root = {"components": document["components"]}

    def check(
        path: str, method: str, body: Any, status: str = "200", media: str = "application/json"
    ) -> None:
        schema = document["paths"][path][method]["responses"][status]["content"][media]["schema"]
        jsonschema.validate(body, {**resolver_root, **schema}, cls=jsonschema.Draft202012Validator)

    check("/v1/job/{jobid}", "get", rest.get(f"/v1/job/{MIGRATIONS}").json())
    check("/v1/job/{jobid}/status", "get", rest.get(f"/v1/job/{CLEANUP}/status").json())
    check("/v1/job/{jobid}/commit", "get", rest.get(f"/v1/job/{MIGRATIONS}/commit").json())
    patch = rest.patch(f"/v1/job/{NIGHTLY}", json={"memory": 512}, headers=MERGE)
    check("/v1/job/{jobid}", "patch", patch.json())
    missing = rest.get(f"/v1/job/{MISSING}")
    check("/v1/job/{jobid}", "get", missing.json(), "404", PROBLEM)


# ---------------------------------------------------------------------------------------------
# Edits: merge patch, full replace, dry run
# ---------------------------------------------------------------------------------------------


def test_merge_patch_changes_only_what_it_names(rest: httpx.Client, qovery: LiveQovery) -> None:
    before = copy.deepcopy(qovery.sim.jobs[NIGHTLY])
    response = rest.patch(f"/v1/job/{NIGHTLY}", json={"source": {"image": {"tag": "1.9.0"}}}, headers=MERGE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is False
    assert body["changes"] == [{"path": "/source/image/tag", "before": "1.8.2", "after": "1.9.0"}]
    after = qovery.sim.jobs[NIGHTLY]
    assert body["job"] == after
    assert after["source"]["image"]["tag"] == "1.9.0"
    assert after["schedule"] == before["schedule"]
    assert after["cpu"] == before["cpu"]


def test_merge_patch_null_removes_a_field(rest: httpx.Client, qovery: LiveQovery) -> None:
    response = rest.patch(f"/v1/job/{NIGHTLY}", content=b'{"ephemeral_storage_in_gib": null}', headers=MERGE)
    assert response.json()["changes"] == [{"path": "/ephemeral_storage_in_gib", "before": 5, "after": None}]
    assert "ephemeral_storage_in_gib" not in puts(qovery)[0]


def test_merge_patch_accepts_plain_json_content_type(rest: httpx.Client, qovery: LiveQovery) -> None:
    response = rest.patch(f"/v1/job/{NIGHTLY}", json={"cpu": 300})
    assert response.status_code == 200, response.text
    assert qovery.sim.jobs[NIGHTLY]["cpu"] == 300


def test_dry_run_sends_nothing(rest: httpx.Client, qovery: LiveQovery) -> None:
    response = rest.patch(f"/v1/job/{NIGHTLY}", params={"dry_run": "true"}, json={"cpu": 500}, headers=MERGE)
    body = response.json()
    assert body["dry_run"] is True
    assert body["changes"] == [{"path": "/cpu", "before": 250, "after": 500}]
    assert body["request"]["schedule"]["cronjob"]["timezone"] == "Europe/Paris"
    assert puts(qovery) == []
    assert qovery.sim.jobs[NIGHTLY]["cpu"] == 250


def test_put_is_a_full_replace(rest: httpx.Client, qovery: LiveQovery) -> None:
    body = job_to_request(qovery.sim.jobs[CLEANUP])
    body["description"] = "replaced"
    body.pop("max_duration_seconds")
    response = rest.put(f"/v1/job/{CLEANUP}", json=body)
    assert response.status_code == 200, response.text
    assert puts(qovery) == [body]
    assert {c["path"] for c in response.json()["changes"]} == {"/description", "/max_duration_seconds"}


def test_put_dry_run(rest: httpx.Client, qovery: LiveQovery) -> None:
    body = job_to_request(qovery.sim.jobs[CLEANUP])
    body["cpu"] = 1000
    response = rest.put(f"/v1/job/{CLEANUP}", params={"dry_run": "true"}, json=body)
    assert response.json()["request"] == body
    assert puts(qovery) == []


def test_put_refuses_a_partial_body(rest: httpx.Client, qovery: LiveQovery) -> None:
    detail = problem_of(rest.put(f"/v1/job/{NIGHTLY}", json={"cpu": 500}), 400)["detail"]
    assert "'name' is a required property" in detail
    assert puts(qovery) == []


# ---------------------------------------------------------------------------------------------
# Delete
# ---------------------------------------------------------------------------------------------


def test_delete_answers_204_then_404(rest: httpx.Client, qovery: LiveQovery) -> None:
    response = rest.delete(f"/v1/job/{CLEANUP}", params={"skip_reconcile": "true"})
    assert response.status_code == 204
    assert response.content == b""
    assert CLEANUP not in qovery.sim.jobs
    assert qovery.sim.requests_to("DELETE")[0].query == {"skipReconcile": "true"}
    again = problem_of(rest.delete(f"/v1/job/{CLEANUP}"), 404)
    assert again["type"].endswith(":not-found")
    assert "nothing was deleted" in again["detail"]


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


# ---------------------------------------------------------------------------------------------
# End to end: the command, as the README runs it
# ---------------------------------------------------------------------------------------------


def test_rest_etag_and_if_match(rest: httpx.Client, qovery: LiveQovery) -> None:
    job = rest.get(f"/v1/job/{NIGHTLY}")
    etag = job.headers["etag"]
    assert etag == f'"{version_of(job_to_request(qovery.sim.jobs[NIGHTLY]))}"'
    headers = {"Content-Type": "application/merge-patch+json", "If-Match": etag}
    first = rest.patch(f"/v1/job/{NIGHTLY}", content=b'{"cpu": 650}', headers=headers)
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == f'"{first.json()["version"]}"'
    stale = rest.patch(f"/v1/job/{NIGHTLY}", content=b'{"cpu": 700}', headers=headers)
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert "changed since version" in stale.json()["detail"]
    assert len(qovery.sim.requests_to("PUT")) == 1
