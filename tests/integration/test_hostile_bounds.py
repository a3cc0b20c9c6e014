"""Issue 19, findings 11 and 14: every parsed header and every answer body is bounded.

A 400-digit `Retry-After` must end in a clear sentence and an audit line, never a bare SDK error
or a REST 500; a 32 MB body or a gzip answer that expands to 64 MB must be refused with a sentence
that says so, before it is parsed.
"""

from __future__ import annotations

import math

import httpx
import pytest

from qovery_job_mcp.operations.jobs import JobOperations
from qovery_job_mcp.qovery.errors import RateLimitedError
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.support.audit import captured_audit
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.constants import CLEANUP, NIGHTLY
from tests.support.hostile import Hostile, Reply, gzip_bomb, hostile_client, text_of
from tests.support.loopback import serve_on_loopback

HUGE_RETRY_AFTER = (("Retry-After", "9" * 400),)


def rate_limited(hostile: Hostile, method: str = "GET") -> None:
    hostile.on(method, "job", *[Reply(status=429, body=b"{}", headers=HUGE_RETRY_AFTER) for _ in range(5)])


async def test_11_a_400_digit_retry_after_is_a_clear_error_with_an_audit_line(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    hostile, url = upstream
    rate_limited(hostile)
    with captured_audit() as audit:
        async with hostile_client(url, fake_time, confirm="off") as client:
            result = await client.call_tool("delete-job", {"job_id": CLEANUP})
    text = text_of(result)
    assert result.is_error
    assert "rate-limiting" in text, text
    [line] = audit.parsed
    assert line["outcome"] == "failed"
    assert hostile.writes() == []


def test_11_rest_answers_a_bounded_retry_after_not_500(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    hostile, url = upstream
    rate_limited(hostile)
    settings = make_settings(url, transport="rest")
    app = build_rest_app(settings, JobOperations(make_qovery_client(settings, fake_time)))
    with serve_on_loopback(app, lifespan="on") as rest, httpx.Client(base_url=rest, timeout=10) as http:
        answer = http.get(f"/v1/job/{NIGHTLY}")
    assert answer.status_code == 503, answer.text
    assert len(answer.headers["Retry-After"]) <= 6
    assert math.isfinite(answer.json()["retry_after_seconds"])


def test_11_a_rate_limit_error_bounds_what_it_was_given() -> None:
    error = RateLimitedError("Qovery is rate-limiting requests (HTTP 429).", math.inf)
    assert error.problem_headers()["Retry-After"].isdigit()
    assert math.isfinite(float(str(error.problem_extra()["retry_after_seconds"])))


async def test_11_the_sentence_names_a_bounded_wait(
    upstream: tuple[Hostile, str], fake_time: FakeTime
) -> None:
    hostile, url = upstream
    rate_limited(hostile)
    async with hostile_client(url, fake_time, confirm="off") as client:
        result = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert "inf" not in text_of(result), text_of(result)


@pytest.mark.parametrize("kind", ["plain", "gzip"])
async def test_14_an_oversized_answer_is_refused_saying_so(
    upstream: tuple[Hostile, str], fake_time: FakeTime, kind: str
) -> None:
    hostile, url = upstream
    size = 32 * 1024 * 1024
    if kind == "plain":
        hostile.on("GET", "job", Reply(body=b"{" + b" " * (size - 2) + b"}"))
    else:
        hostile.on("GET", "job", Reply(body=gzip_bomb(2 * size), headers=(("Content-Encoding", "gzip"),)))
    async with hostile_client(url, fake_time, confirm="off") as client:
        result = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
    assert result.is_error
    assert "too large" in text_of(result), text_of(result)
