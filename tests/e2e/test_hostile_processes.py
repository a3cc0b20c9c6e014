"""Issue 19, findings 15 and 18 (processes): what only a spawned server shows.

stdio ids that are neither string nor integer, an elicitation nobody answers then SIGTERM, a port
already in use, Ctrl-C twice, the state-key warning under `--read-only`. Each process is bounded
and killed in a `finally` (StdioServer.stop, http_server's stop).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from typing import Any

import anyio
import pytest

from tests.support.constants import API_KEY, CLEANUP, ROOT
from tests.support.helpers import PYTHON, run_cli, subprocess_env
from tests.support.hostile import Hostile
from tests.support.http_server import http_client, http_server
from tests.support.reliability import stdio_server

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("request_id", [True, 1.5, {"a": 1}, [1], None])
def test_15_a_request_whose_id_is_not_a_string_or_integer_is_answered_32600(
    upstream: tuple[Hostile, str], request_id: Any
) -> None:
    _, url = upstream
    with stdio_server(url) as server:
        server.initialize()
        server.send({"jsonrpc": "2.0", "id": request_id, "method": "tools/list"})
        answer = server.receive(timeout=10)
        server.send({"jsonrpc": "2.0", "id": 7, "method": "ping"})
        assert server.receive(timeout=10)["id"] == 7, "the server stopped serving"
    assert answer["error"]["code"] == -32600, answer
    assert answer["id"] is None


async def test_15_sigterm_during_an_unanswered_question_exits_within_the_grace(
    upstream: tuple[Hostile, str],
) -> None:
    hostile, url = upstream
    asked = anyio.Event()

    async def never_answers(context: Any, params: Any) -> Any:
        asked.set()
        await anyio.sleep_forever()

    env = {"QOVERY_API_KEY": API_KEY, "QOVERY_API_URL": url, "QOVERY_MCP_SHUTDOWN_GRACE": "2"}
    with http_server(env=env) as server:
        async with (
            anyio.create_task_group() as tg,
            http_client(server.url, mode="legacy", elicitation_callback=never_answers) as client,
        ):

            async def call() -> None:
                with contextlib.suppress(Exception):
                    await client.call_tool("delete-job", {"job_id": CLEANUP})

            tg.start_soon(call)
            with anyio.fail_after(15):
                await asked.wait()
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                await anyio.to_thread.run_sync(lambda: server.process.wait(timeout=20))
            took = time.monotonic() - started
            tg.cancel_scope.cancel()
    assert took < 3.5, f"SIGTERM took {took:.1f} s against a 2 s grace, with a question unanswered"
    assert hostile.writes() == []


def test_18_a_port_in_use_is_one_clear_line(upstream: tuple[Hostile, str]) -> None:
    _, url = upstream
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli(
            "--transport",
            "http",
            "--port",
            str(port),
            QOVERY_API_KEY=API_KEY,
            QOVERY_API_URL=url,
            QOVERY_MCP_STATE_KEY="k" * 64,  # no start-up warning: the one line must be about the port
        )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, lines
    assert str(port) in lines[0]
    assert "in use" in lines[0]


def test_18_no_state_key_warning_in_read_only_mode(upstream: tuple[Hostile, str]) -> None:
    _, url = upstream
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [PYTHON, "-m", "qovery_job_mcp", "--transport", "http", "--port", str(port), "--read-only"],
        cwd=ROOT,
        env=subprocess_env(QOVERY_API_KEY=API_KEY, QOVERY_API_URL=url),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen = [process.stderr.readline()]
        while "listening on" not in seen[-1] and process.poll() is None:
            seen.append(process.stderr.readline())
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert not any("QOVERY_MCP_STATE_KEY" in line for line in seen), seen


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_18_ctrl_c_twice_prints_no_traceback(upstream: tuple[Hostile, str], transport: str) -> None:
    _, url = upstream
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [PYTHON, "-m", "qovery_job_mcp", "--transport", transport, "--port", str(port)],
        cwd=ROOT,
        env=subprocess_env(QOVERY_API_KEY=API_KEY, QOVERY_API_URL=url),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2.0 if transport == "stdio" else 0)
        if transport == "http":
            assert process.stderr is not None
            while "listening on" not in process.stderr.readline() and process.poll() is None:
                pass
        process.send_signal(signal.SIGINT)
        time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
    assert "Traceback" not in stderr, stderr
