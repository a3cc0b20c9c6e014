"""Stdio robustness: the spawned server answers every line, ends when its client goes, never hangs."""

from __future__ import annotations

import json

import anyio
import pytest
from mcp import Client, StdioServerParameters

from qovery_job_mcp.mcp_server.stdio import MAX_MESSAGE_BYTES
from qovery_job_mcp.simulation.faults import STALL, ChaosPolicy
from tests.support.constants import API_KEY, NIGHTLY, ROOT
from tests.support.helpers import INITIALIZE, PYTHON, subprocess_env
from tests.support.reliability import stdio_server, wait_until
from tests.support.simulator import LiveQovery

MiB = 1024 * 1024


def test_a_line_that_is_not_json_gets_a_parse_error_and_serving_goes_on(qovery: LiveQovery) -> None:
    with stdio_server(qovery.url) as server:
        server.initialize()
        server.send_raw(b"this is not json\n")
        parse_error = server.receive()
        assert parse_error["id"] is None
        assert parse_error["error"]["code"] == -32700
        assert "not JSON" in parse_error["error"]["message"]

        server.send_raw(b'{"jsonrpc": "2.0", "id": 7, "method": 5}\n')
        invalid = server.receive()
        assert invalid["id"] == 7
        assert invalid["error"]["code"] == -32600

        server.send_raw(b'{"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {"name"\n')
        cut = server.receive()
        assert cut["id"] is None
        assert cut["error"]["code"] == -32700

        server.send_raw(b"\n   \n")  # blank lines are not messages: nothing to answer
        answer = server.call(2, "get-job-status", {"job_id": NIGHTLY})
        assert answer["result"]["structuredContent"]["state"] == "DEPLOYMENT_ERROR"
        assert API_KEY not in server.stderr


def test_json_nested_thousands_deep_gets_a_parse_error(qovery: LiveQovery) -> None:
    with stdio_server(qovery.url) as server:
        server.initialize()
        server.send_raw(b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"\n")
        error = server.receive()
        assert error["error"]["code"] == -32700
        assert server.call(2, "get-job-status", {"job_id": NIGHTLY})["result"]["isError"] is False


def test_a_six_mib_message_is_answered(qovery: LiveQovery) -> None:
    with stdio_server(qovery.url) as server:
        server.initialize()
        answer = server.call(2, "get-job-id", {"job_id": "7" * (6 * MiB)})
        text = answer["result"]["content"][0]["text"]
        assert answer["result"]["isError"] is True
        assert "job_id must be a job's UUID" in text
        assert len(text) < 600

        big = "x" * (6 * MiB)
        answer = server.call(
            3, "edit-job", {"job_id": NIGHTLY, "body": {"description": big}, "dry_run": True}
        )
        text = answer["result"]["content"][0][
            "text"
        ]  # read whole, then refused by the field bound (issue 19 #18)
        assert answer["result"]["isError"] is True
        assert "/description may hold at most 255 characters" in text
        assert len(text) < 600
        assert qovery.sim.requests_to("PUT") == []


def test_a_message_over_the_limit_is_refused_and_serving_goes_on(qovery: LiveQovery) -> None:
    with stdio_server(qovery.url) as server:
        server.initialize()
        huge = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "get-job-id", "arguments": {"job_id": "x" * (MAX_MESSAGE_BYTES + 10)}},
            }
        )
        server.send_raw(huge.encode() + b"\n")
        error = server.receive(timeout=30)
        assert error["error"]["code"] == -32600
        assert "larger than" in error["error"]["message"]
        assert server.call(3, "get-job-status", {"job_id": NIGHTLY})["result"]["isError"] is False


def test_stdin_closed_mid_call_ends_the_process_within_seconds(qovery: LiveQovery) -> None:
    qovery.sim.chaos = ChaosPolicy(rate=1.0, kinds=(STALL,), stall_seconds=60)
    with stdio_server(qovery.url, QOVERY_TIMEOUT="60", QOVERY_DEADLINE="60") as server:
        server.initialize()
        server.send(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "get-job-status", "arguments": {"job_id": NIGHTLY}},
            }
        )
        wait_until(lambda: len(qovery.sim.requests) == 1)  # the call is now stuck upstream
        assert server.proc.stdin is not None
        server.proc.stdin.close()
        assert server.proc.wait(timeout=5) == 0


def test_stdout_closed_by_the_client_ends_the_process(qovery: LiveQovery) -> None:
    with stdio_server(qovery.url, read_stdout=False) as server:
        assert server.proc.stdout is not None
        server.proc.stdout.close()  # the client is gone: the first answer hits a closed pipe
        server.send(INITIALIZE)
        assert server.proc.wait(timeout=10) is not None


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_sdk_client_works_through_our_stdio_transport(mode: str, qovery: LiveQovery) -> None:
    """Our transport speaks both protocol eras with the SDK's own stdio client."""
    params = StdioServerParameters(
        command=PYTHON,
        args=["-m", "qovery_job_mcp"],
        env=subprocess_env(QOVERY_API_KEY=API_KEY, QOVERY_API_URL=qovery.url),
        cwd=str(ROOT),
    )
    with anyio.fail_after(60):
        async with Client(params, mode=mode) as client:
            tools = await client.list_tools()
            assert len(tools.tools) == 5
            status = await client.call_tool("get-job-status", {"job_id": NIGHTLY})
            assert status.structured_content is not None
            assert status.structured_content["state"] == "DEPLOYMENT_ERROR"
            refused = await client.call_tool("get-job-id", {"job_id": "../../organization"})
            assert refused.is_error
