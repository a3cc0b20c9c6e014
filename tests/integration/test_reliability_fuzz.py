"""Hostile input: every answer is a clean validation error or a correct call, and only documented URLs
with a real UUID ever reach Qovery.

Hypothesis drives the tools' arguments through a real MCP client; the run is bounded (fixed
example counts, derandomized) so it stays fast and reproducible.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import CallToolResult

from qovery_job_mcp.mcp_server.http import build_http_app
from qovery_job_mcp.mcp_server.server import build_server
from tests.support.clients import FakeTime, in_own_task, make_qovery_client, make_settings, mcp_client
from tests.support.constants import API_KEY, CLEANUP, MIGRATIONS, MISSING, NIGHTLY
from tests.support.loopback import serve_on_loopback
from tests.support.reliability import (
    DOCUMENTED_PATH,
    all_logs_at_debug,
)
from tests.support.simulator import LiveQovery

MiB = 1024 * 1024
KNOWN = (NIGHTLY, MIGRATIONS, CLEANUP, MISSING)
#: Error texts may quote this much of what the caller sent, no more.
MAX_QUOTE = 200
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

path_tricks = st.sampled_from(
    [
        "../",
        "..%2F..%2Fjob",
        "%2F",
        "?",
        "#",
        "/status",
        "/../../organization",
        "?skipReconcile=true",
        "%00",
        "\n",
        " ",
        "\u202e",
        "%252F",
    ]
)
uuids = st.sampled_from(KNOWN) | st.uuids().map(str)
tricky_ids = st.one_of(
    uuids,
    st.builds(lambda u, t: u + t, uuids, path_tricks),
    st.builds(lambda t, u: t + u, path_tricks, uuids),
    uuids.map(str.upper),
    uuids.map(lambda u: uuid.UUID(u).hex),
    uuids.map(lambda u: "{" + u + "}"),
    uuids.map(lambda u: "urn:uuid:" + u),
    st.text(max_size=80),
    st.text(alphabet="0123456789abcdef-", min_size=30, max_size=40),
    st.sampled_from(["", " ", "null", "undefined", "0", "-1"]),
)
huge_strings = st.sampled_from([1_000, 70_000, MiB]).flatmap(
    lambda n: st.sampled_from(["x", "é", "\U0001f600", "../", "%2F"]).map(lambda c: c * (n // len(c)))
)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
wrong_types = st.one_of(
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(json_scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), json_scalars, max_size=3),
)
hostile = st.one_of(st.sampled_from(KNOWN), tricky_ids, huge_strings, wrong_types)
shas = st.sampled_from(["5e1a9c3f7b2d4e6a8c0f1b3d5e7a9c2b4d6f8a0e", "b3d5f7a9", None])
plausible_edits = st.one_of(
    st.fixed_dictionaries({"description": st.text(max_size=200)}),
    st.fixed_dictionaries({"cpu": st.integers(-10, 5000), "memory": st.integers(-10, 5000)}),
    st.fixed_dictionaries(
        {
            "schedule": st.fixed_dictionaries(
                {"cronjob": st.fixed_dictionaries({"scheduled_at": st.text(max_size=30)})}
            )
        }
    ),
    st.fixed_dictionaries(
        {"source": st.fixed_dictionaries({"image": st.fixed_dictionaries({"tag": st.text(max_size=30)})})}
    ),
)
bodies = st.one_of(
    plausible_edits,
    st.dictionaries(
        st.sampled_from(["name", "description", "cpu", "memory", "schedule", "source", "port", "id", "bogus"])
        | st.text(max_size=20),
        json_values,
        max_size=4,
    ),
    json_values,
    huge_strings.map(lambda s: {"description": s}),
)

calls = st.one_of(
    st.tuples(st.just("get-job-id"), st.fixed_dictionaries({"job_id": hostile})),
    st.tuples(st.just("get-job-status"), st.fixed_dictionaries({"job_id": hostile})),
    st.tuples(
        st.just("delete-job"),
        st.fixed_dictionaries({"job_id": hostile}, optional={"skip_reconcile": st.booleans() | wrong_types}),
    ),
    st.tuples(
        st.just("list-last-job-commits"),
        st.fixed_dictionaries(
            {"job_id": hostile},
            optional={
                "start_id": shas | hostile,
                "git_commit_id": shas | hostile,
                "limit": st.integers(-5, 200) | wrong_types,
            },
        ),
    ),
    st.tuples(
        st.just("edit-job"),
        st.fixed_dictionaries(
            {"job_id": hostile, "body": bodies},
            optional={"dry_run": st.booleans(), "replace": st.booleans() | wrong_types},
        ),
    ),
)


@pytest.fixture
async def client(served_qovery: LiveQovery) -> AsyncIterator[Client]:
    served_qovery.sim.reset()
    async with in_own_task(mcp_client(make_settings(served_qovery.url), FakeTime())) as c:
        yield c


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def canonical(job_id: Any) -> str | None:
    """The UUID a job_id stands for, as the server reads it: the hyphenated form in any case, nothing else."""
    if not isinstance(job_id, str) or len(job_id) != 36:
        return None
    try:
        parsed = uuid.UUID(job_id)
    except ValueError:
        return None
    return str(parsed) if job_id.lower() == str(parsed) else None


def check_answer(tool: str, arguments: dict[str, Any], result: CallToolResult, live: LiveQovery) -> None:
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    if result.is_error:
        prefix, _, sentence = text.partition(": ")
        assert prefix == f"Error executing tool {tool}", text[:300]
        assert len(sentence) > 20, text
        assert "Internal error" not in text, text
        assert len(text) < 1500, len(text)
        for value in strings_in(arguments):
            if len(value) > MAX_QUOTE:
                assert value[: MAX_QUOTE + 1] not in text, "an error echoes a huge argument"
    else:
        content = result.structured_content
        assert content is not None
        job_id = canonical(arguments["job_id"])
        if tool in ("get-job-id", "get-job-status"):
            assert content["id"] == job_id
        elif tool == "delete-job":
            assert content["job_id"] == job_id
        elif tool == "list-last-job-commits":
            assert isinstance(content["results"], list)
        else:
            assert isinstance(content["changes"], list)
    for request in live.sim.requests:
        match = DOCUMENTED_PATH.match(request.path)
        assert match, request.path
        assert match.group(1) == canonical(arguments.get("job_id")), request.path
        assert set(request.query) <= {"startId", "gitCommitId", "skipReconcile"}, request.query
        assert all(value.isalnum() for value in request.query.values()), request.query
        assert request.authorization == f"Token {API_KEY}"
    if live.sim.requests_to("PUT") or live.sim.requests_to("DELETE"):
        assert not result.is_error or "HTTP" in text, text[:300]


@FUZZ
@given(call=calls)
async def test_hostile_arguments_get_a_clean_error_or_a_correct_call(
    call: tuple[str, dict[str, Any]], client: Client, served_qovery: LiveQovery
) -> None:
    tool, arguments = call
    served_qovery.sim.reset()
    with all_logs_at_debug() as logs:
        result = await client.call_tool(tool, arguments)
    check_answer(tool, arguments, result, served_qovery)
    event(f"{tool}: {'error' if result.is_error else 'correct call'}")
    assert not any(API_KEY in line for line in logs.lines)


@pytest.mark.parametrize(
    "tool",
    ["get-job-id", "get-job-status", "delete-job", "list-last-job-commits", "edit-job"],
)
async def test_a_one_mib_argument_never_comes_back_as_a_one_mib_error(
    tool: str, client: Client, served_qovery: LiveQovery
) -> None:
    huge = "7" * MiB
    cases: list[dict[str, Any]] = [{"job_id": huge}, {"job_id": [huge]}, {"job_id": {huge: huge}}]
    if tool == "list-last-job-commits":
        cases += [{"job_id": NIGHTLY, "start_id": huge}, {"job_id": NIGHTLY, "limit": huge}]
    if tool == "edit-job":
        cases = [{**case, "body": {"cpu": 1}} for case in cases] + [
            {"job_id": NIGHTLY, "body": {huge: 1}},
            {"job_id": NIGHTLY, "body": huge},
            {"job_id": NIGHTLY, "body": {"cpu": huge}},
            {"job_id": NIGHTLY, "body": {"schedule": {"cronjob": {"scheduled_at": huge}}}},
        ]
    for arguments in cases:
        result = await client.call_tool(tool, arguments)
        text = result.content[0].text  # type: ignore[union-attr]
        assert result.is_error
        assert len(text) < 1000, (arguments.keys(), len(text))
        assert "7" * (MAX_QUOTE + 1) not in text
    assert [r for r in served_qovery.sim.requests if r.method != "GET"] == []


async def test_a_body_nested_deeper_than_any_job_is_refused_before_qovery(
    client: Client, served_qovery: LiveQovery
) -> None:
    body: dict[str, Any] = {}
    node = body
    for _ in range(100):
        node["healthchecks"] = {}
        node = node["healthchecks"]
    result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"healthchecks": body}})
    text = result.content[0].text  # type: ignore[union-attr]
    assert result.is_error
    assert "nested more than 64 levels" in text
    assert served_qovery.sim.requests == []


async def test_a_body_of_several_mib_is_a_correct_call(client: Client, served_qovery: LiveQovery) -> None:
    # Each string within the edit's bound (issue 19 #18: 65,536 characters), several MiB in all.
    arguments = ["é" * 60_000] * 52
    body = {"schedule": {"cronjob": {"arguments": arguments}}}
    result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": body, "dry_run": True})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["request"]["schedule"]["cronjob"]["arguments"] == arguments
    assert served_qovery.sim.requests_to("PUT") == []


def test_over_http_huge_and_deep_bodies_get_clean_errors_and_serving_goes_on(
    served_qovery: LiveQovery,
) -> None:
    served_qovery.sim.reset()
    app_settings = make_settings(served_qovery.url, transport="http")
    server = build_server(app_settings, client=make_qovery_client(app_settings, FakeTime()))
    with serve_on_loopback(build_http_app(server, app_settings), lifespan="on") as base:
        headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}

        def call(body: bytes) -> httpx.Response:
            return httpx.post(f"{base}/mcp", content=body, headers=headers, timeout=30)

        def tool_call(arguments: dict[str, Any]) -> bytes:
            message = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "edit-job", "arguments": arguments},
            }
            return json.dumps(message).encode()

        too_big = call(tool_call({"job_id": NIGHTLY, "body": {"description": "x" * (5 * MiB)}}))
        assert too_big.status_code == 413
        deep = call(
            b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": '
            + b'{"a":' * 5000
            + b"1"
            + b"}" * 5001
        )
        assert 400 <= deep.status_code < 500
        not_json = call(b"not json at all")
        assert 400 <= not_json.status_code < 500
        assert len(deep.content) < 2000
        assert len(not_json.content) < 2000
        health = httpx.get(f"{base}/healthz", timeout=10)
        assert health.status_code == 200
    assert served_qovery.sim.requests == []
