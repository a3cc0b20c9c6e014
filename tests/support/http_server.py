"""Run our HTTP server as a real subprocess on a free loopback port, and talk to it with mcp.Client.

Every start waits for /healthz within a bound, and every process is terminated (then killed) in a
`finally`, whatever the test did.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.support.helpers import PYTHON, subprocess_env
from tests.support.ports import free_port, wait_until_healthy

START_TIMEOUT = 30.0


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    port: int
    stderr_file: IO[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/mcp"

    def stderr(self) -> str:
        return Path(self.stderr_file.name).read_text(errors="replace")


def wait_healthy(server: RunningServer, timeout: float = START_TIMEOUT) -> None:
    wait_until_healthy(server.base, server.process, timeout, "server", server.stderr)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextlib.contextmanager
def http_server(
    *args: str, env: Mapping[str, str] | None = None, transport: str = "http"
) -> Iterator[RunningServer]:
    """Start `qovery-job-mcp --transport http` (or rest) with these flags and env on a free loopback port."""
    port = free_port()
    command = [PYTHON, "-m", "qovery_job_mcp", "--transport", transport, "--port", str(port), *args]
    with tempfile.NamedTemporaryFile(prefix="qjm-http-", suffix=".log") as log:
        process = subprocess.Popen(
            command, env=subprocess_env(**dict(env or {})), stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        server = RunningServer(process, port, log)
        try:
            wait_healthy(server)
            yield server
        finally:
            stop(process)


@contextlib.asynccontextmanager
async def http_client(
    url: str,
    headers: Mapping[str, str] | None = None,
    mode: str = "auto",
    transport: httpx2.AsyncBaseTransport | None = None,
    elicitation_callback: Any = None,
) -> AsyncIterator[Client]:
    """An MCP client over streamable HTTP whose every request carries `headers` (and that can ask, if given a callback)."""
    kwargs: dict[str, Any] = {"headers": dict(headers or {}), "timeout": 30.0}
    if transport is not None:
        kwargs["transport"] = transport
    async with (
        httpx2.AsyncClient(**kwargs) as http,
        Client(
            streamable_http_client(url, http_client=http),
            mode=mode,
            elicitation_callback=elicitation_callback,
        ) as client,
    ):
        yield client
