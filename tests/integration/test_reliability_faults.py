"""Every fault the simulated Qovery can inject ends in the right result or a clear error, within limits.

All through a real MCP client of our server, against the simulated API on a loopback port; backoff
and Retry-After waits go through FakeTime, so nothing here sleeps for real (except a stalled answer,
which needs a real 0.3 s attempt timeout to run out).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from mcp import Client

from qovery_job_mcp.config import ConfigError, Settings, load_settings
from qovery_job_mcp.demo import demo_chaos
from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.qovery.client import QoveryClient
from qovery_job_mcp.simulation import faults
from qovery_job_mcp.simulation.data import DEMO_API_KEY, demo_jobs
from qovery_job_mcp.simulation.faults import ChaosPolicy
from tests.support.clients import FakeTime, in_own_task, make_settings, mcp_client
from tests.support.constants import CLEANUP, MIGRATIONS, NIGHTLY
from tests.support.helpers import error_text
from tests.support.simulator import Fault, LiveQovery, RecordingSimulator

READS: dict[str, tuple[str, dict[str, Any]]] = {
    "job": ("get-job-id", {"job_id": NIGHTLY}),
    "status": ("get-job-status", {"job_id": NIGHTLY}),
    "commit": ("list-last-job-commits", {"job_id": MIGRATIONS}),
}
RETRIED_OUT = r"Qovery failed to answer \(HTTP {status}\) after 3 attempts"
# kind -> (requests Qovery sees, the error that must come back, or None for the correct result)
EXPECTED: dict[str, tuple[int, str | None]] = {
    faults.RATE_LIMITED: (3, r"Qovery is rate-limiting requests \(HTTP 429\) after 3 attempts"),
    faults.RATE_LIMITED_SECONDS: (3, r"Qovery is rate-limiting requests \(HTTP 429\) after 3 attempts"),
    faults.RATE_LIMITED_DATE: (3, r"Qovery is rate-limiting requests \(HTTP 429\) after 3 attempts"),
    faults.SERVER_ERROR: (1, r"Qovery failed with HTTP 500 \(Internal Server Error\)"),
    faults.BAD_GATEWAY: (3, RETRIED_OUT.format(status=502)),
    faults.UNAVAILABLE: (3, RETRIED_OUT.format(status=503)),
    faults.GATEWAY_TIMEOUT: (3, RETRIED_OUT.format(status=504)),
    faults.HTML_PAGE: (1, r"Qovery answered unexpectedly \(HTTP 200\): the [a-z ]+ is not JSON"),
    faults.STALL: (3, r"Qovery did not answer in time \(no answer within 0\.3 s, 3 attempts\)"),
    faults.RESET: (
        3,
        r"Qovery failed to answer \(connection failed \((RemoteProtocolError|ConnectionResetError|ReadError)\)\) "
        r"after 3 attempts",
    ),
    faults.TRUNCATED: (1, r"Qovery answered unexpectedly \(HTTP 200\): the [a-z ]+ is not JSON"),
    faults.TRICKLE: (1, None),
    faults.MISSING_FIELDS: (
        1,
        r"Qovery answered unexpectedly \(HTTP 200\): the [a-z ]+ it returned is not in",
    ),
    faults.EXTRA_FIELDS: (1, None),
    faults.UNKNOWN_JOB_TYPE: (
        1,
        r"Qovery answered unexpectedly \(HTTP 200\): the [a-z ]+ it returned is not in",
    ),
}


@pytest.fixture
async def fast(qovery: LiveQovery, fake_time: FakeTime) -> AsyncIterator[Client]:
    """Our server with a 0.3 s attempt timeout (for stalls), 3 attempts, a 20 s deadline."""
    async with in_own_task(mcp_client(make_settings(qovery.url, timeout=0.3), fake_time)) as client:
        yield client


def assert_clear_error(text: str, pattern: str) -> None:
    prefix, _, sentence = text.partition(": ")
    assert prefix.startswith("Error executing tool "), text
    assert len(sentence) > 40, f"bare SDK error: {text!r}"
    assert re.search(pattern, sentence), sentence


@pytest.mark.parametrize("kind", sorted(EXPECTED))
async def test_every_fault_gives_the_right_result_or_a_clear_error(
    kind: str, qovery: LiveQovery, fast: Client, fake_time: FakeTime
) -> None:
    attempts, error = EXPECTED[kind]
    for route, (tool, arguments) in READS.items():
        qovery.sim.chaos = None
        correct = await fast.call_tool(tool, arguments)
        qovery.sim.requests.clear()
        fake_time.sleeps.clear()
        qovery.sim.chaos = ChaosPolicy(rate=1.0, kinds=(kind,), routes=(route,), stall_seconds=10)

        result = await fast.call_tool(tool, arguments)
        expected_error = error
        if kind == faults.UNKNOWN_JOB_TYPE and route == "job":
            expected_error = None  # the spec allows job types this server does not know: read, not refused

        assert len(qovery.sim.requests) == attempts, route
        assert qovery.sim.chaos.injected[kind] == attempts
        if expected_error is None:
            assert not result.is_error
            expected = dict(correct.structured_content or {})
            if kind == faults.EXTRA_FIELDS and route != "commit":
                expected[faults.EXTRA_FIELD] = {"note": "a field this server does not know yet"}
            if kind == faults.UNKNOWN_JOB_TYPE:
                expected["job_type"] = faults.UNKNOWN_JOB_TYPE_VALUE
            assert result.structured_content == expected
        else:
            assert_clear_error(error_text(result), expected_error)
        assert len(fake_time.sleeps) == attempts - 1
        assert sum(fake_time.sleeps) <= 20.0


@pytest.mark.parametrize("kind", faults.TRANSIENT)
async def test_a_transient_fault_is_retried_to_the_correct_result(
    kind: str, qovery: LiveQovery, fast: Client
) -> None:
    correct = await fast.call_tool("get-job-id", {"job_id": NIGHTLY})
    qovery.sim.chaos = ChaosPolicy(rate=1.0, kinds=(kind,), limit=1, stall_seconds=10)
    result = await fast.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert not result.is_error, error_text(result)
    assert qovery.sim.chaos.injected[kind] == 1
    got = dict(result.structured_content or {})
    got.pop(faults.EXTRA_FIELD, None)
    assert got == correct.structured_content


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 500])
async def test_a_4xx_other_than_429_or_a_500_is_never_repeated(
    status: int, qovery: LiveQovery, fast: Client, fake_time: FakeTime
) -> None:
    detail = json.dumps({"status": status, "detail": "refused by the test"})
    qovery.sim.fail_next("job", Fault(status, detail), Fault(status, detail))
    for tool in ("get-job-id", "delete-job"):
        qovery.sim.requests.clear()
        result = await fast.call_tool(tool, {"job_id": CLEANUP})
        assert len(qovery.sim.requests) == 1, tool
        if not (tool == "delete-job" and status == 404):
            assert f"HTTP {status}" in error_text(result)
    assert fake_time.sleeps == []


async def test_an_edit_refused_with_409_sends_one_put(qovery: LiveQovery, fast: Client) -> None:
    result = await fast.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"name": "db-migrations"}})
    assert "HTTP 409" in error_text(result)
    assert len(qovery.sim.requests_to("PUT")) == 1


@pytest.mark.parametrize(
    ("max_attempts", "retry_after", "expected_requests"), [(3, None, 3), (10, "8", 3), (10, "5", 4)]
)
async def test_retries_never_exceed_the_attempts_or_the_deadline(
    max_attempts: int,
    retry_after: str | None,
    expected_requests: int,
    qovery: LiveQovery,
    fake_time: FakeTime,
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    qovery.sim.fail_next("status", *[Fault(503, "{}", headers) for _ in range(20)])
    settings = make_settings(qovery.url, max_attempts=max_attempts, deadline=20.0)
    async with mcp_client(settings, fake_time) as client:
        result = await client.call_tool("get-job-status", {"job_id": NIGHTLY})
    assert "HTTP 503" in error_text(result)
    assert len(qovery.sim.requests) == expected_requests <= max_attempts
    assert sum(fake_time.sleeps) <= 20.0
    if retry_after:
        assert fake_time.sleeps == [float(retry_after)] * (expected_requests - 1)


@pytest.mark.parametrize("form", ["seconds", "http-date"])
async def test_retry_after_is_honoured(
    form: str, qovery: LiveQovery, fast: Client, fake_time: FakeTime
) -> None:
    value = (
        "4"
        if form == "seconds"
        else format_datetime(datetime.now(timezone.utc) + timedelta(seconds=5), usegmt=True)
    )
    qovery.sim.fail_next("status", Fault(429, '{"detail": "slow down"}', {"Retry-After": value}))
    result = await fast.call_tool("get-job-status", {"job_id": NIGHTLY})
    assert not result.is_error
    assert len(fake_time.sleeps) == 1
    if form == "seconds":
        assert fake_time.sleeps == [4.0]
    else:
        assert 3.0 <= fake_time.sleeps[0] <= 5.0  # HTTP dates have one-second resolution


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("form", ["seconds", "http-date"])
async def test_a_retry_after_beyond_the_deadline_is_answered_at_once(
    status: int, form: str, qovery: LiveQovery, fast: Client, fake_time: FakeTime
) -> None:
    value = (
        "3600"
        if form == "seconds"
        else format_datetime(datetime.now(timezone.utc) + timedelta(hours=1), usegmt=True)
    )
    qovery.sim.fail_next("status", Fault(status, "{}", {"Retry-After": value}))
    result = await fast.call_tool("get-job-status", {"job_id": NIGHTLY})
    text = error_text(result)
    assert re.search(r"retry after (3600|3599) seconds", text), text
    assert f"HTTP {status}" in text
    assert fake_time.sleeps == []
    assert len(qovery.sim.requests) == 1


MALFORMED_JOBS: dict[str, tuple[str | bytes, str]] = {
    "html": ("<!doctype html><html><body>Maintenance</body></html>", "is not JSON"),
    "truncated": (json.dumps(demo_jobs()[NIGHTLY])[:300], "is not JSON"),
    "missing fields": (
        json.dumps({k: v for k, v in demo_jobs()[NIGHTLY].items() if k not in ("name", "source")}),
        "name: Field required",
    ),
    "a list": ("[1, 2, 3]", "not in the documented shape"),
    "nested thousands deep": ("[" * 50_000 + "]" * 50_000, "is not JSON"),
    "nested too deep to use": (
        json.dumps({**demo_jobs()[NIGHTLY], "healthchecks": json.loads('{"a":' * 500 + "1" + "}" * 500)}),
        "nested more than 64 levels",
    ),
    "not utf-8": (b"\xff\xfe{\x00garbage", "is not JSON"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_JOBS))
async def test_a_malformed_job_is_a_clear_error_and_an_edit_of_it_sends_no_put(
    case: str, qovery: LiveQovery, fast: Client
) -> None:
    body, reason = MALFORMED_JOBS[case]
    qovery.sim.fail_next("job", Fault(200, body), Fault(200, body))
    read = error_text(await fast.call_tool("get-job-id", {"job_id": NIGHTLY}))
    edit = error_text(
        await fast.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"description": "changed"}})
    )
    for text in (read, edit):
        assert "Qovery answered unexpectedly (HTTP 200)" in text
        assert reason in text
        assert "Nothing was changed" in text
        assert len(text) < 500
    assert qovery.sim.requests_to("PUT") == []


async def test_a_job_of_an_unknown_type_is_read_but_an_edit_of_it_sends_no_put(
    qovery: LiveQovery, fast: Client
) -> None:
    body = json.dumps({**demo_jobs()[NIGHTLY], "job_type": "SERVERLESS"})
    qovery.sim.fail_next("job", Fault(200, body), Fault(200, body))
    read = await fast.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert not read.is_error
    edit = error_text(
        await fast.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"description": "changed"}})
    )
    assert "job_type is 'SERVERLESS', which this server does not know" in edit
    assert qovery.sim.requests_to("PUT") == []


@pytest.mark.parametrize("case", ["html", "missing fields"])
async def test_a_malformed_answer_to_a_put_is_an_error_never_a_partial_success(
    case: str, qovery: LiveQovery, fast: Client
) -> None:
    body, reason = MALFORMED_JOBS[case]
    qovery.sim.fail_next("job", Fault(200, body, method="PUT"))
    result = await fast.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"description": "changed"}})
    text = error_text(result)
    assert result.structured_content is None
    assert "Qovery answered unexpectedly (HTTP 200)" in text
    assert reason in text
    assert "may have applied the edit" in text
    assert len(qovery.sim.requests_to("PUT")) == 1


async def test_a_reset_after_a_delete_landed_reads_as_already_deleted(
    qovery: LiveQovery, fast: Client
) -> None:
    qovery.sim.chaos = ChaosPolicy(rate=1.0, kinds=(faults.RESET,), routes=("job",), methods=("DELETE",))
    first = await fast.call_tool("delete-job", {"job_id": CLEANUP})
    # The answer was cut and the DELETE never re-sent blind: a fresh read finds the job gone (issue 19 #4/#5).
    assert first.structured_content is not None
    assert first.structured_content["deleted"] is True
    assert "answer to the DELETE was lost" in first.structured_content["message"]
    assert CLEANUP not in qovery.sim.jobs
    assert [r.method for r in qovery.sim.requests] == ["GET", "DELETE", "GET"]
    qovery.sim.chaos = None
    again = await fast.call_tool("delete-job", {"job_id": CLEANUP})
    assert again.structured_content is not None
    assert again.structured_content["deleted"] is False


async def test_a_lost_delete_answer_then_404_reports_the_job_deleted(
    qovery: LiveQovery, fast: Client
) -> None:
    # The first DELETE is applied, then its answer is lost; a fresh read (never a resend) finds the job gone.
    qovery.sim.chaos = ChaosPolicy(
        rate=1.0, kinds=(faults.RESET,), routes=("job",), methods=("DELETE",), limit=1
    )
    result = await fast.call_tool("delete-job", {"job_id": CLEANUP})
    assert not result.is_error, result.content
    content = result.structured_content
    assert content is not None
    assert content["deleted"] is True
    assert "answer to the DELETE was lost" in content["message"]
    assert content["name"] == "preview-cleanup"
    assert [r.method for r in qovery.sim.requests] == ["GET", "DELETE", "GET"]


async def test_the_fault_sequence_is_reproducible_from_the_seed() -> None:
    def sequence(seed: int) -> list[str | None]:
        policy = ChaosPolicy(rate=0.3, seed=seed, kinds=faults.ALL_FAULTS)
        return [policy.pick(route) for _ in range(200) for route in faults.ROUTES]

    assert sequence(7) == sequence(7)
    assert sequence(7) != sequence(8)
    picked = [kind for kind in sequence(7) if kind is not None]
    assert 120 < len(picked) < 240  # about 30 % of 600
    assert set(picked) == set(faults.ALL_FAULTS)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
async def test_the_flaky_network_demo_behaves_the_same_in_process(kind: str, fake_time: FakeTime) -> None:
    """--demo serves the simulation through httpx's ASGI transport: every fault still ends cleanly."""
    sim = RecordingSimulator(chaos=ChaosPolicy(rate=1.0, kinds=(kind,), stall_seconds=10))
    settings = Settings(demo=True, timeout=0.3, deadline=20.0)
    client = QoveryClient(
        settings.api_url,
        credential=DEMO_API_KEY,
        timeout=0.3,
        deadline=20.0,
        transport=httpx.ASGITransport(app=sim.app),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    attempts, error = EXPECTED[kind]
    async with Client(build_server(settings, client=client)) as mcp:
        result = await mcp.call_tool("get-job-status", {"job_id": NIGHTLY})
    assert len(sim.requests) == attempts
    if error is None:
        assert not result.is_error
    else:
        assert_clear_error(error_text(result), error)


def test_the_demo_reads_its_fault_settings_from_the_environment() -> None:
    policy = demo_chaos(
        load_settings(["--demo"], {"QOVERY_MCP_DEMO_FAULTS": "0.25", "QOVERY_MCP_DEMO_SEED": "42"})
    )
    assert policy is not None
    assert (policy.rate, policy.seed, set(policy.kinds)) == (0.25, 42, set(faults.ALL_FAULTS))
    assert demo_chaos(load_settings(["--demo"], {})) is None
    for bad in (
        {"QOVERY_MCP_DEMO_FAULTS": "lots"},
        {"QOVERY_MCP_DEMO_FAULTS": "1.5"},
        {"QOVERY_MCP_DEMO_FAULTS": "0.1", "QOVERY_MCP_DEMO_SEED": "x"},
    ):
        with pytest.raises(ConfigError, match="QOVERY_MCP_DEMO_"):
            load_settings(["--demo"], bad)
