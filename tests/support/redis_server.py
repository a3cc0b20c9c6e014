"""A real `redis-server` on a free loopback port, for the shared-store tests.

Debian's redis-server (scripts/install-redis.sh, run by .ci/run); tests that need it skip with the
reason where it is not installed and cannot be. The server runs in a temporary directory with no
persistence (no RDB, no AOF), so a kill and a restart lose everything, as a Redis without
persistence does in production. Start-up waits are bounded; the process is killed at teardown.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.helpers import installed_binary
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
START_TIMEOUT = 10.0


def redis_binary() -> str:
    """The redis-server binary, installed from Debian if missing; skip the test when neither works."""
    return installed_binary("redis-server", "install-redis.sh")


def answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process; `kill`, `pause`/`resume` and `start` again on the same port."""

    def __init__(self, binary: str, directory: Path, password: str | None = None) -> None:
        self.binary = binary
        self.directory = directory
        self.password = password
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = directory / "redis.log"

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", str(self.log),
        ]  # fmt: skip
        if self.password:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                log = self.log.read_text() if self.log.exists() else ""
                raise RuntimeError(f"redis-server did not start on port {self.port}: {log[-2000:]}")
            time.sleep(0.01)

    def _ready(self) -> bool:
        if self.password is None:
            return answers_ping(self.port)
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL, as a crashed node: no shutdown, nothing saved."""
        if self.process is not None and self.process.poll() is None:
            self.resume()
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers (a hung Redis)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)


@contextmanager
def running_redis(password: str | None = None) -> Iterator[RedisServer]:
    """A started redis-server in a temporary directory, killed and removed on exit."""
    binary = redis_binary()
    with tempfile.TemporaryDirectory(prefix="redis-test-") as directory:
        server = RedisServer(binary, Path(directory), password)
        server.start()
        try:
            yield server
        finally:
            server.kill()
