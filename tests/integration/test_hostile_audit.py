"""Issue 19, finding 12: every write attempt is exactly one audit line any JSON-lines reader splits right.

The hostile upstream names a job with U+2028, U+2029 and U+0085 (which JSON leaves unescaped and
`str.splitlines()` breaks on); writes refused by `--read-only`, by the tool selection or for their
arguments must leave a line too.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from qovery_job_mcp.audit import AuditRecord, line_text
from qovery_job_mcp.operations.jobs import JobOperations
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.support.audit import captured_audit
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.constants import API_KEY, CLEANUP, NIGHTLY
from tests.support.hostile import Hostile, hostile_client
from tests.support.loopback import serve_on_loopback

SEPARATORS = "\u2028\u2029\x85\x1c\x1d\x1e\x0b\x0c\r\n"


@pytest.mark.parametrize("tool", ["delete-job", "edit-job"])
async def test_12_a_job_name_with_line_separators_stays_on_one_audit_line(
    upstream: tuple[Hostile, str], fake_time: FakeTime, tool: str
) -> None:
    hostile, url = upstream
    hostile.jobs[CLEANUP]["name"] = f"a{SEPARATORS}b"
    arguments: dict[str, Any] = {"job_id": CLEANUP}
    if tool == "edit-job":
        arguments["body"] = {"description": f"x{SEPARATORS}y"}
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off") as client:
            await client.call_tool(tool, arguments)
    [raw] = audit.raw
    assert len(raw.splitlines()) == 1, raw.splitlines()
    assert json.loads(raw)["job_name"] == f"a{SEPARATORS}b"


def test_12_an_escaped_key_in_a_line_is_scrubbed_and_the_line_stays_json() -> None:
    record = AuditRecord("edit-job", "stdio", "server", changes=[f'/x"\u2028{API_KEY}'])
    text = line_text(record.line(), (API_KEY,))
    assert API_KEY not in text
    assert len(text.splitlines()) == 1
    assert json.loads(text)["changes"] == ['/x"\u2028[redacted]']


@pytest.mark.parametrize(
    ("settings", "arguments"),
    [
        ({"read_only": True}, {"job_id": NIGHTLY, "body": {"cpu": 300}}),
        ({"exclude_tools": ("edit-job",)}, {"job_id": NIGHTLY, "body": {"cpu": 300}}),
        ({}, {"job_id": NIGHTLY, "body": {"cpu": 300}, "dryRun": True}),
        ({}, {"job_id": NIGHTLY, "body": '{"cpu": 300}'}),
    ],
)
async def test_12_a_refused_write_leaves_one_audit_line(
    upstream: tuple[Hostile, str], fake_time: FakeTime, settings: dict[str, Any], arguments: dict[str, Any]
) -> None:
    hostile, url = upstream
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off", **settings) as client:
            result = await client.call_tool("edit-job", arguments)
    assert result.is_error
    assert hostile.writes() == []
    [line] = audit.parsed
    assert (line["tool"], line["outcome"]) == ("edit-job", "refused")


@pytest.mark.parametrize(
    ("method", "path", "settings"),
    [
        ("DELETE", f"/v1/job/{CLEANUP}", {"read_only": True}),
        ("PATCH", f"/v1/job/{NIGHTLY}", {"exclude_tools": ("edit-job",)}),
        ("DELETE", f"/v1/job/{CLEANUP}?skip_reconcile=maybe", {}),
    ],
)
def test_12_a_refused_rest_write_leaves_one_audit_line(
    upstream: tuple[Hostile, str], fake_time: FakeTime, method: str, path: str, settings: dict[str, Any]
) -> None:
    hostile, url = upstream
    rest_settings = make_settings(url, transport="rest", **settings)
    app = build_rest_app(rest_settings, JobOperations(make_qovery_client(rest_settings, fake_time)))
    with (
        captured_audit() as audit,
        serve_on_loopback(app, lifespan="on") as rest,
        httpx.Client(base_url=rest, timeout=10) as http,
    ):
        answer = http.request(method, path, json={"cpu": 300} if method == "PATCH" else None)
    assert answer.status_code in (400, 405), answer.text
    assert hostile.writes() == []
    [line] = audit.parsed
    assert line["outcome"] == "refused"
    assert line["tool"] in ("delete-job", "edit-job")
