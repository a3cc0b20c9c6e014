"""Processes of a benchmark run: the upstream, the servers under test, their memory, their cleanup.

Every process started here is registered and killed at exit, whatever happened.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
SERVERS = BENCH / "servers"
FASTMCP_VENV = BENCH / ".venv-fastmcp"
FASTMCP_PYTHON = FASTMCP_VENV / "bin" / "python"
#: What the separate environment holds: the generic contender, the plotting library, and h2
#: (only to measure what HTTP/2 support would cost to import), pinned.
FASTMCP_PINS = ("fastmcp==4.2.3", "matplotlib==3.11.2", "pyyaml>=6", "h2>=4")
DEMO_KEY = "qov_demo_key_for_the_simulated_api"

_STARTED: list[subprocess.Popen[bytes]] = []


def _cleanup() -> None:
    for proc in _STARTED:
        if proc.poll() is None:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)


atexit.register(_cleanup)


def spawn(cmd: list[str], env: dict[str, str] | None = None, **kwargs: object) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, **kwargs)  # type: ignore[call-overload]
    _STARTED.append(proc)
    return proc


def stop(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {timeout:.0f} s")


# -- memory ---------------------------------------------------------------------------------------


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, from /proc (Linux)."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(marker: str) -> list[int]:
    """Children of this process whose command line contains `marker` (stdio servers the SDK spawned)."""
    me = os.getpid()
    ours = {proc.pid for proc in _STARTED}  # HTTP servers and the upstream: not spawned by the SDK
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != me:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if marker in cmdline and int(entry) not in ours:
            found.append(int(entry))
    return found


# -- the upstream ---------------------------------------------------------------------------------


@dataclass
class Upstream:
    proc: subprocess.Popen[bytes]
    url: str

    def stats(self) -> dict[str, int]:
        """Connections the servers under test opened (this request's own connection left out)."""
        request = urllib.request.Request(f"{self.url}/__bench__/stats", headers={"Connection": "close"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            data: dict[str, int] = json.loads(answer.read())
        data["accepted"] -= data["stats_requests"]
        data["open"] -= 1
        return data


def start_upstream() -> Upstream:
    proc = spawn(
        [sys.executable, str(BENCH / "upstream.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=str(ROOT),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().strip()
    if not line.startswith("READY "):
        raise RuntimeError(f"the simulated Qovery API did not start: {line!r}")
    upstream = Upstream(proc, line.split()[1])
    upstream.stats()  # answers once it serves
    return upstream


# -- the contenders -------------------------------------------------------------------------------


@dataclass
class Contender:
    """One MCP server under test: how to start it and what its two read tools are called."""

    name: str
    label: str
    python: str
    stdio_args: list[str]
    http_args: list[str]  # "{port}" is replaced
    tools: dict[str, tuple[str, dict[str, str]]]  # op -> (tool name, arguments)
    env: dict[str, str] = field(default_factory=dict)
    marker: str = ""

    def stdio_command(self) -> list[str]:
        return [self.python, *self.stdio_args]

    def http_command(self, port: int, stateless: bool) -> list[str]:
        args = [a.replace("{port}", str(port)) for a in self.http_args]
        return [self.python, *args, *(["--stateless"] if stateless else [])]


def server_env(upstream_url: str, extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # Bytecode is cached as it is on a user's machine after the first start: a start that
        # compiles every module from source measures the compiler, not the server.
        if not k.startswith(("QOVERY_", "FASTMCP_", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"))
    }
    env.update(
        {
            "QOVERY_API_URL": upstream_url,
            "QOVERY_API_KEY": DEMO_KEY,
            "QOVERY_MCP_LOG_LEVEL": "WARNING",
            # A benchmark sends tens of thousands of requests an hour: Qovery's 1,000 (the server's default budget)
            # would refuse most of them. The simulated API runs unlimited too (upstream.py).
            "QOVERY_MCP_REQUEST_BUDGET": "1000000000",
        }
    )
    env.update(extra)
    return env


def contenders(job_id: str, spec: Path | None, variants: bool = False) -> list[Contender]:
    py = sys.executable
    by_id = {"job_id": job_id}
    found = [
        Contender(
            "sdk_floor",
            "bare MCPServer, no-op tool (SDK floor)",
            py,
            [str(SERVERS / "noop_server.py"), "stdio"],
            [str(SERVERS / "noop_server.py"), "http", "{port}"],
            {"get_job": ("noop", by_id), "get_status": ("noop", by_id)},
            marker="noop_server.py",
        ),
        Contender(
            "this",
            "qovery-job-mcp (this server)",
            py,
            ["-m", "qovery_job_mcp"],
            [str(SERVERS / "this_server.py"), "--transport", "http", "--port", "{port}"],
            {"get_job": ("get-job-id", by_id), "get_status": ("get-job-status", by_id)},
            marker="qovery_job_mcp",
        ),
    ]
    if variants:
        for variant, label in (
            ("httpcore", "this server on httpx's default transport"),
            ("plain-uvicorn", "this server on uvicorn without uvloop/httptools"),
        ):
            found.append(
                Contender(
                    f"this_{variant.replace('-', '_')}",
                    label,
                    py,
                    [str(SERVERS / "this_server.py"), f"--bench-variant={variant}"],
                    [
                        str(SERVERS / "this_server.py"),
                        f"--bench-variant={variant}",
                        "--transport",
                        "http",
                        "--port",
                        "{port}",
                    ],
                    found[1].tools,
                    marker=f"--bench-variant={variant}",
                )
            )
    if spec is not None and FASTMCP_PYTHON.exists():
        found.append(
            Contender(
                "fastmcp",
                "FastMCP.from_openapi (generic)",
                str(FASTMCP_PYTHON),
                [str(SERVERS / "fastmcp_server.py"), str(spec), "stdio"],
                [str(SERVERS / "fastmcp_server.py"), str(spec), "http", "{port}"],
                {
                    "get_job": ("get-job-id", {"jobId": job_id}),
                    "get_status": ("get-job-status", {"jobId": job_id}),
                },
                env={
                    "FASTMCP_LOG_LEVEL": "WARNING",
                    "FASTMCP_SHOW_SERVER_BANNER": "false",
                    "FASTMCP_CHECK_FOR_UPDATES": "off",
                },
                marker="fastmcp_server.py",
            )
        )
    return found


def start_http(
    contender: Contender, upstream_url: str, stateless: bool
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = spawn(
        contender.http_command(port, stateless),
        env=server_env(upstream_url, contender.env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        cwd=str(ROOT),
    )
    wait_for_port(port, proc)
    return proc, f"http://127.0.0.1:{port}/mcp"


def ensure_fastmcp_env(log: object = print) -> bool:
    """Create benchmarks/.venv-fastmcp (gitignored) with uv if it is missing; False if that fails."""
    if FASTMCP_PYTHON.exists():
        return True
    try:
        subprocess.run(["uv", "venv", "--quiet", "--python", sys.executable, str(FASTMCP_VENV)], check=True)
        subprocess.run(
            ["uv", "pip", "install", "--quiet", "--python", str(FASTMCP_PYTHON), *FASTMCP_PINS], check=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        log(f"could not create {FASTMCP_VENV} ({exc}); fastmcp is left out of this run")  # type: ignore[operator]
        return False
    return True


def find_spec() -> Path | None:
    """Qovery's OpenAPI document trimmed to the job operations: read where it lies, never copied in."""
    candidates = [
        os.environ.get("QOVERY_OPENAPI_SPEC", ""),
        # CI and the development machines lay shared/ beside the repository.
        str(ROOT.parent / "shared" / "reference" / "qovery-job-openapi.yaml"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None
