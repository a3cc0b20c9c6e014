"""Shared by the reliability tests: a spawned stdio server with bounded reads, log capture, URL checks."""

from __future__ import annotations

import json
import logging
import queue
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from mcp import StdioServerParameters

from tests.support.constants import API_KEY, ROOT
from tests.support.helpers import INITIALIZE, PYTHON, subprocess_env

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
#: The five documented Qovery calls, and nothing else, may reach the API.
DOCUMENTED_PATH = re.compile(rf"^/job/({UUID})(/commit|/status)?$")


def stdio_params(url: str, *args: str, **env: str) -> StdioServerParameters:
    """How mcp.Client spawns `python -m qovery_job_mcp` on stdio against the API at `url`."""
    return StdioServerParameters(
        command=PYTHON,
        args=["-m", "qovery_job_mcp", *args],
        env=subprocess_env(QOVERY_API_KEY=API_KEY, QOVERY_API_URL=url, **env),
        cwd=str(ROOT),
    )


class StdioServer:
    """`python -m qovery_job_mcp` on pipes; every read waits a bounded time."""

    def __init__(self, api_url: str, *, read_stdout: bool = True, **env: str) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "qovery_job_mcp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=subprocess_env(
                QOVERY_API_KEY=API_KEY, QOVERY_API_URL=api_url, QOVERY_MCP_LOG_LEVEL="DEBUG", **env
            ),
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.stderr_chunks: list[bytes] = []
        if read_stdout:
            threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()

    def _pump_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def _pump_stderr(self) -> None:
        assert self.proc.stderr is not None
        for chunk in self.proc.stderr:
            self.stderr_chunks.append(chunk)

    @property
    def stderr(self) -> str:
        return b"".join(self.stderr_chunks).decode("utf-8", "replace")

    def send_raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(json.dumps(message).encode() + b"\n")

    def receive(self, timeout: float = 15.0) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no answer within {timeout} s; stderr: {self.stderr[-2000:]}") from None
        answer = json.loads(line)
        assert isinstance(answer, dict)
        return answer

    def initialize(self) -> None:
        self.send(INITIALIZE)
        assert self.receive()["id"] == 1
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def call(self, request_id: int, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        self.send(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": "tools/call",
                "params": {"name": tool, "arguments": arguments},
            }
        )
        answer = self.receive()
        assert answer["id"] == request_id, answer
        return answer

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with suppress(OSError):
                    stream.close()


@contextmanager
def stdio_server(api_url: str, *, read_stdout: bool = True, **env: str) -> Iterator[StdioServer]:
    server = StdioServer(api_url, read_stdout=read_stdout, **env)
    try:
        yield server
    finally:
        server.stop()


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


class RecordAll(logging.Handler):
    """Keeps every record, formatted with its arguments, at every level."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.levelname} {record.name}: {text}")


@contextmanager
def all_logs_at_debug() -> Iterator[RecordAll]:
    """Every logger (ours, httpx and its aiohttp transport, httpcore, mcp, uvicorn) at DEBUG into one list."""
    handler = RecordAll()
    root = logging.getLogger()
    names = (
        "qovery_job_mcp",
        "httpx",
        "httpx_aiohttp",
        "aiohttp",
        "httpcore",
        "mcp",
        "uvicorn",
        "uvicorn.error",
    )
    saved = {name: logging.getLogger(name).level for name in names}
    saved_root = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
