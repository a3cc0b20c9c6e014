"""The server as Claude Desktop runs it: a subprocess speaking JSON-RPC over stdio."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from tests.support.constants import API_KEY, NIGHTLY, ROOT
from tests.support.helpers import INITIALIZE, PYTHON, subprocess_env
from tests.support.reliability import stdio_params
from tests.support.simulator import LiveQovery

EXPECTED_HINTS = {
    "get-job-id": (True, False, True),
    "edit-job": (False, False, True),
    "delete-job": (False, True, True),
    "list-last-job-commits": (True, False, True),
    "get-job-status": (True, False, True),
}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_exactly_five_tools_with_hints(qovery: LiveQovery, mode: str) -> None:
    async with Client(stdio_params(qovery.url), mode=mode) as client:
        tools = (await client.list_tools()).tools
        hints = {
            t.name: (
                t.annotations.read_only_hint,
                t.annotations.destructive_hint,
                t.annotations.idempotent_hint,
            )
            for t in tools
            if t.annotations
        }
        assert hints == EXPECTED_HINTS
        assert all(t.annotations and t.annotations.open_world_hint for t in tools)
        assert all(t.title and t.output_schema and t.description for t in tools)
        assert all(t.input_schema["properties"]["job_id"]["format"] == "uuid" for t in tools)
        result = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
        assert result.structured_content == qovery.sim.jobs[NIGHTLY]


def _rpc(proc: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()


def read_lines(proc: subprocess.Popen[bytes], count: int, timeout: float) -> list[bytes]:
    """Read `count` stdout lines, failing (not hanging) if they do not come within `timeout`."""
    found: queue.Queue[bytes] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for _ in range(count):
            found.put(proc.stdout.readline())

    threading.Thread(target=pump, daemon=True).start()
    return [found.get(timeout=timeout) for _ in range(count)]


def test_stdout_carries_only_json_rpc(qovery: LiveQovery) -> None:
    """Every stdout line is a JSON-RPC message, even at DEBUG with upstream failures; logs go to stderr."""
    env = subprocess_env(QOVERY_API_KEY=API_KEY, QOVERY_API_URL=qovery.url, QOVERY_MCP_LOG_LEVEL="DEBUG")
    proc = subprocess.Popen(
        [PYTHON, "-m", "qovery_job_mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        _rpc(proc, INITIALIZE)
        _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _rpc(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        for i, job_id in enumerate([NIGHTLY, "11111111-2222-4333-8444-555555555555", "nope"], start=3):
            _rpc(
                proc,
                {
                    "jsonrpc": "2.0",
                    "id": i,
                    "method": "tools/call",
                    "params": {"name": "get-job-id", "arguments": {"job_id": job_id}},
                },
            )
        lines = read_lines(proc, count=5, timeout=30)
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    assert proc.stdout is not None
    assert proc.stderr is not None
    stdout_rest, stderr = proc.stdout.read(), proc.stderr.read()
    stdout = b"".join(lines) + stdout_rest
    messages = sorted(
        (json.loads(line) for line in stdout.decode().splitlines()), key=lambda m: m.get("id", 0)
    )
    assert [m.get("id") for m in messages] == [1, 2, 3, 4, 5]
    assert all(m["jsonrpc"] == "2.0" for m in messages)
    assert messages[0]["result"]["serverInfo"]["name"] == "qovery-job-mcp"
    assert [m["result"]["isError"] for m in messages[2:]] == [False, True, True]
    assert b"DEBUG" in stderr or b"INFO" in stderr
    assert API_KEY.encode() not in stdout + stderr


async def test_demo_mode_over_stdio_says_it_is_a_demo() -> None:
    params = StdioServerParameters(
        command=PYTHON, args=["-m", "qovery_job_mcp", "--demo"], env=subprocess_env(), cwd=str(ROOT)
    )
    async with Client(params, mode="legacy") as client:
        instructions = client.instructions or ""
        assert "DEMO MODE" in instructions
        assert NIGHTLY in instructions
        edited = await client.call_tool(
            "edit-job", {"job_id": NIGHTLY, "body": {"schedule": {"cronjob": {"scheduled_at": "0 4 * * *"}}}}
        )
        assert not edited.is_error
        again = await client.call_tool("get-job-id", {"job_id": NIGHTLY})
        assert again.structured_content["schedule"]["cronjob"]["scheduled_at"] == "0 4 * * *"
