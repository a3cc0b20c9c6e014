"""Loopback ports for the processes a test starts: a free one to give them, and a bounded wait for /healthz."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

import httpx


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it), for a process the test is about to start."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(
    base: str, process: subprocess.Popen[bytes], timeout: float, what: str, log: Callable[[], str]
) -> None:
    """Poll `base`/healthz until it answers 200; fail with `what` and its log if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}: {log()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not become healthy within {timeout} s: {log()}")
        time.sleep(0.05)
