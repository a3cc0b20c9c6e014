"""Retries, Retry-After, deadlines and the error sentences, through the MCP client, with injected time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from mcp import Client

from tests.support.clients import FakeTime, make_settings, mcp_client
from tests.support.constants import API_KEY, JWT, NIGHTLY
from tests.support.helpers import error_text
from tests.support.ports import free_port
from tests.support.simulator import Fault, LiveQovery


def busy(status: int = 503, **headers: str) -> Fault:
    return Fault(status=status, body=f'{{"status":{status},"detail":"busy"}}', headers=headers)


async def test_transient_failures_are_retried_with_backoff(
    client: Client, qovery: LiveQovery, fake_time: FakeTime
) -> None:
    qovery.sim.fail_next("status", busy(502), busy(504))
    result = await client.call_tool("get-job-status", {"job_id": NIGHTLY})
    assert not result.is_error
    assert len(qovery.sim.requests) == 3
    assert len(fake_time.sleeps) == 2
    assert 0.25 <= fake_time.sleeps[0] <= 0.5
    assert 0.5 <= fake_time.sleeps[1] <= 1.0


async def test_retry_after_seconds_is_honoured(
    client: Client, qovery: LiveQovery, fake_time: FakeTime
) -> None:
    qovery.sim.fail_next("job", busy(429, **{"Retry-After": "7"}))
    result = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert not result.is_error
    assert fake_time.sleeps == [7.0]


async def test_retry_after_http_date_is_honoured(
    client: Client, qovery: LiveQovery, fake_time: FakeTime
) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=5)
    qovery.sim.fail_next("job", busy(503, **{"Retry-After": format_datetime(when, usegmt=True)}))
    result = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert not result.is_error
    (slept,) = fake_time.sleeps
    assert 3.0 <= slept <= 5.0


async def test_retry_after_beyond_deadline_is_not_slept(
    client: Client, qovery: LiveQovery, fake_time: FakeTime
) -> None:
    qovery.sim.fail_next("job", busy(429, **{"Retry-After": "3600"}))
    text = error_text(await client.call_tool("get-job-id", {"job_id": NIGHTLY}))
    assert "retry after 3600 seconds" in text
    assert fake_time.sleeps == []
    assert len(qovery.sim.requests) == 1


async def test_attempts_are_bounded(client: Client, qovery: LiveQovery, fake_time: FakeTime) -> None:
    qovery.sim.fail_next("status", *[busy(503) for _ in range(5)])
    text = error_text(await client.call_tool("get-job-status", {"job_id": NIGHTLY}))
    assert "after 3 attempts" in text
    assert "HTTP 503" in text
    assert len(qovery.sim.requests) == 3


@pytest.mark.parametrize(
    ("status", "sentence"),
    [
        (500, "Qovery failed with HTTP 500"),
        (400, "Qovery rejected the request (HTTP 400: busy)"),
        (422, "Qovery rejected the request (HTTP 422: busy)"),
        (403, "editing and deleting a job need the admin role"),
        (401, "must be sent as 'Token <token>'"),
    ],
)
async def test_non_retryable_statuses(client: Client, qovery: LiveQovery, status: int, sentence: str) -> None:
    qovery.sim.fail_next("job", busy(status))
    text = error_text(await client.call_tool("get-job-id", {"job_id": NIGHTLY}))
    assert sentence in text
    assert len(qovery.sim.requests) == 1


async def test_error_detail_fallbacks(client: Client, qovery: LiveQovery) -> None:
    qovery.sim.fail_next(
        "job",
        Fault(status=400, body='{"message": "old style message"}'),
        Fault(status=400, body='{"error": "Bad Request"}'),
        Fault(status=400, body="plain text " + "x" * 5000, content_type="text/plain"),
    )
    assert "old style message" in error_text(await client.call_tool("get-job-id", {"job_id": NIGHTLY}))
    assert "Bad Request" in error_text(await client.call_tool("get-job-id", {"job_id": NIGHTLY}))
    text = error_text(await client.call_tool("get-job-id", {"job_id": NIGHTLY}))
    assert "plain text" in text
    assert len(text) < 600


async def test_timeout_is_retried_then_explained(qovery: LiveQovery, fake_time: FakeTime) -> None:
    # A stalled upstream: the real per-attempt timeout is short, the backoff between attempts is injected.
    stall = Fault(status=200, body="{}", delay=2.0)
    qovery.sim.fail_next("status", stall, stall)
    settings = make_settings(qovery.url, timeout=0.3, max_attempts=2)
    async with mcp_client(settings, fake_time) as client:
        text = error_text(await client.call_tool("get-job-status", {"job_id": NIGHTLY}))
    assert "did not answer in time" in text
    assert "2 attempts" in text
    assert len(fake_time.sleeps) == 1


async def test_bearer_is_refused_for_api_tokens(qovery: LiveQovery, fake_time: FakeTime) -> None:
    async with mcp_client(make_settings(qovery.url, api_key=f"Bearer {API_KEY}"), fake_time) as client:
        text = error_text(await client.call_tool("get-job-id", {"job_id": NIGHTLY}))
    assert "HTTP 401" in text
    assert API_KEY not in text
    assert qovery.sim.requests[-1].authorization == f"Bearer {API_KEY}"


async def test_jwt_is_sent_as_bearer(qovery: LiveQovery, fake_time: FakeTime) -> None:
    async with mcp_client(make_settings(qovery.url, api_key=JWT), fake_time) as client:
        result = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert not result.is_error
    assert qovery.sim.requests[-1].authorization == f"Bearer {JWT}"


async def test_key_never_leaks_even_when_qovery_echoes_it(client: Client, qovery: LiveQovery) -> None:
    qovery.sim.fail_next("job", Fault(status=400, body=f'{{"detail": "bad token {API_KEY}"}}'))
    text = error_text(await client.call_tool("get-job-id", {"job_id": NIGHTLY}))
    assert API_KEY not in text
    assert "[redacted]" in text


async def test_connection_refused_is_explained(fake_time: FakeTime) -> None:
    port = free_port()  # nobody listens there: every attempt is refused
    async with mcp_client(make_settings(f"http://127.0.0.1:{port}"), fake_time) as client:
        text = error_text(await client.call_tool("get-job-id", {"job_id": NIGHTLY}))
    assert "was refused" in text
    assert "after 3 attempts" in text
