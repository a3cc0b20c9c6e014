"""The REST adapter's writes over a real loopback port: merge patch, full replace, dry run, delete, ETag and If-Match."""

from __future__ import annotations

import copy

import httpx

from qovery_job_mcp.qovery.edit import job_to_request, version_of
from tests.support.constants import CLEANUP, NIGHTLY
from tests.support.rest import MERGE, problem_of, puts
from tests.support.simulator import LiveQovery

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
# Optimistic concurrency: ETag and If-Match
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
