"""Issue 19, second review: what the first round of hostile tests left open.

Same harness as the other test_hostile_* files: our server in memory through a real MCP client, against
`tests.support.hostile` on a real loopback port, counting what reached it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from mcp.types import ElicitResult, InputRequiredResult

from qovery_job_mcp.mcp_server.eliciting import INPUT_KEY
from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.operations.deploy_calls import DeployCalls
from qovery_job_mcp.operations.deploy_writes import DeployPlan, StopSteps
from qovery_job_mcp.qovery.client import MAX_ANSWER_BYTES, QoveryClient
from qovery_job_mcp.simulation.data import demo_jobs
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.support.asking import Asker, accept
from tests.support.audit import captured_audit
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.constants import API_KEY, CLEANUP, NIGHTLY
from tests.support.deploying import BOTH, DeployWorld, deploy_client, deploy_settings
from tests.support.hostile import Hostile, Reply, gzip_bomb, hostile_client, job_with, text_of
from tests.support.loopback import serve_on_loopback
from tests.support.replicas import replica


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param("other-job", id="200-about-another-job"),
        pytest.param("not-json", id="200-not-json"),
        pytest.param("not-a-job", id="200-not-a-job"),
    ],
)
async def test_a_put_answered_200_unreadably_is_read_again_not_reported_from_the_answer(
    upstream: tuple[Hostile, str], fake_time: FakeTime, answer: str
) -> None:
    """A 200 to a PUT means it landed; an answer that cannot be trusted is checked with a fresh read.

    Before: another job's body became the result (its settings as `job`, its version as the new one, and
    remembered as this job's version); an unreadable body was a plain failure, audited `failed`.
    """
    hostile, url = upstream
    bodies = {
        "other-job": json.dumps(hostile.jobs[CLEANUP]).encode(),
        "not-json": b"<html>ok</html>",
        "not-a-job": b'{"ok": true}',
    }
    hostile.on("PUT", "job", Reply(body=bodies[answer]))
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off") as client:
            result = await client.call_tool(
                "edit-job", {"job_id": NIGHTLY, "body": {"description": "landed"}}
            )
    assert hostile.writes() == [f"PUT /job/{NIGHTLY}"], "the PUT was sent once, to the id named"
    assert hostile.jobs[NIGHTLY]["description"] == "landed"
    assert not result.is_error, text_of(result)
    content = result.structured_content
    assert content["job"]["id"] == NIGHTLY, "the result shows another job's settings as this one's"
    assert content["job"]["name"] == hostile.jobs[NIGHTLY]["name"]
    assert "preview-cleanup" not in text_of(result)
    [line] = audit.parsed
    assert (line["outcome"], line["reason"]) == ("applied", "answer_lost")


async def test_a_put_answered_200_unreadably_is_never_sent_twice_even_if_the_job_reads_as_before(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    """Qovery said yes; a fresh read showing the job as before may lag behind: no second PUT, `unknown`."""
    hostile, url = upstream
    hostile.on("PUT", "job", Reply(apply=False, body=b"<html>ok</html>"))
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off") as client:
            result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 500}})
    assert hostile.count("PUT") == 1
    assert result.is_error
    assert "may have applied the edit" in text_of(result)
    assert "A fresh read shows the job as it was before" in text_of(result)
    [line] = audit.parsed
    assert line["outcome"] == "unknown"


async def test_a_put_answered_200_with_a_body_past_the_cap_is_never_sent_twice(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    """A 200 whose body is cut at the size cap is a yes all the same: no resend on a fresh read showing the job as
    before (before: the second PUT went out)."""
    hostile, url = upstream
    bomb = Reply(apply=False, body=gzip_bomb(2 * MAX_ANSWER_BYTES), headers=(("Content-Encoding", "gzip"),))
    hostile.on("PUT", "job", bomb)
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off") as client:
            result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 500}})
    assert hostile.count("PUT") == 1
    assert result.is_error
    assert "too large" in text_of(result)
    [line] = audit.parsed
    assert line["outcome"] == "unknown"


async def test_a_put_answered_200_with_the_job_unchanged_is_not_reported_applied(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    """Qovery answers 200 with the job exactly as before the edit (it ignored the change). Before: "Job updated:
    1 change(s) applied; its version is now <the old version>", audit `applied`."""
    hostile, url = upstream
    hostile.on("PUT", "job", Reply(apply=False))
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off") as client:
            result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 900}})
    assert hostile.count("PUT") == 1
    assert result.is_error
    assert "Job updated" not in text_of(result)
    assert "exactly as before" in text_of(result)
    [line] = audit.parsed
    assert line["outcome"] == "unknown"


@pytest.mark.parametrize("fresh_read", ["finite", "nan"])
async def test_a_put_applied_and_answered_with_nan_is_never_reported_failed(
    upstream: tuple[Hostile, str], fake_time: FakeTime, fresh_read: str
) -> None:
    """The PUT landed; its answer holds NaN, which no result can carry. Before: "retry later", audit `failed`."""
    hostile, url = upstream
    after = dict(hostile.jobs[NIGHTLY], cpu=900)
    hostile.on("PUT", "job", Reply(raw_json=job_with(after, max_duration_seconds="NaN")))
    if fresh_read == "nan":
        hostile.on("GET", "job", Reply(), Reply(raw_json=job_with(after, max_duration_seconds="NaN")))
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off") as client:
            result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 900}})
    assert hostile.count("PUT") == 1
    assert "retry later" not in text_of(result)
    [line] = audit.parsed
    if fresh_read == "finite":  # the fresh read shows the edit: applied, from that read
        assert not result.is_error, text_of(result)
        assert (line["outcome"], line["reason"]) == ("applied", "answer_lost")
    else:
        assert result.is_error
        assert "may have landed. A fresh read shows version" in text_of(result)
        assert "/max_duration_seconds" in text_of(result)
        assert line["outcome"] == "unknown"


@pytest.mark.parametrize("pad", [260, 270, 280])
async def test_an_escaped_key_cut_by_the_error_quote_is_redacted(
    upstream: tuple[Hostile, str], fake_time: FakeTime, pad: int
) -> None:
    """The key JSON-escaped (`\\u0071ov_…`) in an error body without `detail`, cut inside it at 300 characters.

    Before: the head of the key came back escaped, and the client decodes it: 16 to 25 of its 30 characters.
    """
    hostile, url = upstream
    body = '{"title":"' + "x" * pad + "\\u0071" + API_KEY[1:] + '"}'
    hostile.on("GET", "job", Reply(status=400, body=body.encode()))
    async with hostile_client(url, fake_time, confirm="off") as client:
        result = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
    text = text_of(result)
    assert result.is_error
    assert "…" in text, "the quote was not cut: the test no longer tests the cut"
    decoded = text.replace("\\u0071", "q")  # what the client shows once it decodes the escape
    assert API_KEY[:8] not in decoded, text[-120:]


@pytest.mark.parametrize("tool", ["delete-job", "edit-job"])
async def test_the_audit_line_of_a_job_with_a_huge_name_stays_small(
    upstream: tuple[Hostile, str], fake_time: FakeTime, tool: str
) -> None:
    """Qovery's answer names the job; a 1 MB name made a 1 MB audit line (every write, every replica's log)."""
    hostile, url = upstream
    hostile.jobs[NIGHTLY]["name"] = "n" * 1_000_000 + API_KEY
    arguments: dict[str, object] = {"job_id": NIGHTLY}
    if tool == "edit-job":
        arguments["body"] = {"description": "x"}
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off") as client:
            await client.call_tool(tool, arguments)
    [raw] = audit.raw
    assert len(raw) < 2_000, len(raw)
    [line] = audit.parsed
    assert line["job_name"].startswith("nnnn")
    assert line["job_name"].endswith("…")
    assert API_KEY[:8] not in raw


@pytest.mark.parametrize("method", ["DELETE", "PATCH"])
@pytest.mark.parametrize("if_match", ['"garbage"', '""', '"0123456789ABCDEF"'])
def test_rest_an_if_match_that_is_no_version_is_refused_as_such_before_anything_is_read(
    upstream: tuple[Hostile, str], fake_time: FakeTime, method: str, if_match: str
) -> None:
    """Before: DELETE answered 412 "the job changed since version 'garbage'" (it had not), PATCH blamed a
    parameter the caller never sent (`expected_version`)."""
    hostile, url = upstream
    settings = make_settings(url)
    app = build_rest_app(settings, JobOperations(make_qovery_client(settings, fake_time)))
    headers = {"If-Match": if_match, "Content-Type": "application/merge-patch+json"}
    with serve_on_loopback(app, lifespan="on") as base, httpx.Client(base_url=base, timeout=10) as http:
        answer = http.request(method, f"/v1/job/{CLEANUP}", headers=headers, json={"cpu": 600})
    assert answer.status_code == 400, answer.text
    detail = answer.json()["detail"]
    assert detail.startswith("If-Match must be one strong ETag"), detail
    assert hostile.seen == [], "a malformed If-Match must stop the call before anything reaches Qovery"


@pytest.mark.parametrize("tool", ["deploy-job", "stop-job"])
async def test_a_sealed_yes_to_a_deploy_or_a_stop_cannot_be_replayed(
    world: DeployWorld, time_: FakeTime, tool: str
) -> None:
    """A redeploy or a stop leaves the job's settings (its version) as they were, so a yes bound to the version
    alone could be sent back with the same sealed state: one yes, three POSTs. It is bound to the newest
    deployment too, which the POST changes: that holds across replicas even where the single-use markers are
    each process's own (the in-process store)."""
    arguments = {"job_id": NIGHTLY}
    settings = deploy_settings(world.url, confirm="writes")
    async with deploy_client(settings, time_, "auto", Asker(accept(True))) as client:
        first = await client.session.call_tool(tool, arguments, allow_input_required=True)
        assert isinstance(first, InputRequiredResult)
        answer: dict[str, Any] = {INPUT_KEY: ElicitResult(action="accept", content={"confirm": True})}
        results = [
            await client.call_tool(tool, arguments, input_responses=answer, request_state=first.request_state)
            for _ in range(3)
        ]
    assert len(world.posts()) == 1, world.posts()
    assert not results[0].is_error, text_of(results[0])
    for replayed in results[1:]:  # refused by the single-use marker, or by the binding where none is shared
        assert "nothing was sent" in text_of(replayed).lower()


async def test_a_deploy_yes_replayed_on_another_replica_without_a_shared_store_is_refused(
    world: DeployWorld, time_: FakeTime
) -> None:
    """Two replicas, one state key, each its own in-process store: the single-use marker of one is unknown to the
    other, so only the binding to the newest deployment stops the second redeploy."""
    arguments = {"job_id": NIGHTLY}
    answer: dict[str, Any] = {INPUT_KEY: ElicitResult(action="accept", content={"confirm": True})}
    options: dict[str, Any] = {
        "confirm": "writes",
        "toolsets": BOTH,
        "elicitation_callback": Asker(accept(True)),
    }
    async with replica(world.url, None, **options) as first, replica(world.url, None, **options) as second:
        asked = await first.session.call_tool("deploy-job", arguments, allow_input_required=True)
        assert isinstance(asked, InputRequiredResult)
        state = asked.request_state
        done = await first.call_tool("deploy-job", arguments, input_responses=answer, request_state=state)
        replayed = await second.call_tool(
            "deploy-job", arguments, input_responses=answer, request_state=state
        )
    assert not done.is_error, text_of(done)
    assert world.posts() == [f"/job/{NIGHTLY}/redeploy"]
    assert "changed after the user was asked" in text_of(replayed)


def test_the_deploy_binding_carries_no_upstream_text_into_the_readable_state() -> None:
    """The 2026-07-28 state is signed, not encrypted: the client reads it. The newest deployment's id is Qovery's
    text (a key planted there, or 1 MB of it), so the binding holds a digest of it, never the id itself."""
    steps = StopSteps(
        DeployCalls(QoveryClient("http://127.0.0.1:9", credential=None)), NIGHTLY, credential=None
    )
    job = demo_jobs()[NIGHTLY]
    bound = steps.binding(DeployPlan(job=job, call=None, newest_before=API_KEY + "x" * 100_000))
    assert API_KEY[:8] not in json.dumps(bound)
    assert all(len(value) <= 64 for value in bound.values())
    other = steps.binding(DeployPlan(job=job, call=None, newest_before=API_KEY + "y"))
    assert bound["deployments"] != other["deployments"]


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token"])
async def test_a_server_key_given_with_its_scheme_is_redacted_bare_too(
    upstream: tuple[Hostile, str], fake_time: FakeTime, scheme: str
) -> None:
    """QOVERY_API_KEY may name its scheme (`Token qov_…`, kept as sent); Qovery echoes the bare key. Before: only
    the caller's own credential had its bare value scrubbed, so the server's came back in full."""
    hostile, url = upstream
    hostile.jobs[NIGHTLY]["description"] = f"uses {API_KEY}"
    hostile.on("PUT", "job", Reply(status=400, body=f'{{"detail":"bad token {API_KEY}"}}'.encode()))
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off", api_key=f"{scheme} {API_KEY}") as client:
            read = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
            edit = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": 900}})
    for text in (text_of(read), text_of(edit), *audit.raw):
        assert API_KEY not in text, text[:300]
