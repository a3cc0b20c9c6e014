"""The REST adapter's reads over a real loopback port: every route, the same bodies as the MCP tools, the OpenAPI document."""

from __future__ import annotations

from typing import Any

import httpx
import openapi_spec_validator
import pytest

from qovery_job_mcp import __version__
from tests.support.clients import FakeTime, make_settings, mcp_client
from tests.support.constants import API_KEY, CLEANUP, MIGRATIONS, MISSING, NIGHTLY
from tests.support.rest import MERGE, PROBLEM, rest_server
from tests.support.simulator import LiveQovery

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
