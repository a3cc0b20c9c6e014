"""What the shared state store costs a write: edit-job latency with the in-process store and with Redis.

    uv run python benchmarks/store_cost.py            # 400 edits per store, interleaved; about 30 s
    uv run python benchmarks/store_cost.py --edits 100

The simulated Qovery API runs in its own process (benchmarks/upstream.py, no rate limit), and a
redis-server (Debian's, as in the tests; scripts/install-redis.sh) on a free loopback port without
persistence. Two servers are built in this process, one per store, each driven through an
in-memory `mcp.Client`; each edit is a real one (cpu alternates between two values, so every call
sends a GET and a PUT), with `--confirm off` so nothing asks. The stores take turns in rounds of 20
edits, so load from elsewhere on the machine falls on both. Printed: p50, p95 and mean per store,
the p50 difference (what Redis adds to a write), and Redis round trips per write (INFO commandstats).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path

from mcp import Client

from qovery_job_mcp.config import Settings
from qovery_job_mcp.config.store_setting import parse_state_store
from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.simulation.data import DEMO_API_KEY as DEMO_KEY

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NIGHTLY = "d4a2f9c6-1e8b-4c7d-b3a5-7f9e2c4a6b18"
ROUND = 20


@contextmanager
def upstream() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, str(HERE / "upstream.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("READY "), line
        yield line.split(" ", 1)[1]
    finally:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_command(port: int, *words: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall((f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)).encode())
        time.sleep(0.05)
        return sock.recv(1 << 16).decode("utf-8", "replace")


@contextmanager
def redis_server() -> Iterator[int]:
    binary = shutil.which("redis-server")
    if binary is None:
        subprocess.run(["bash", str(ROOT / "scripts" / "install-redis.sh")], check=False, timeout=300)
        binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (scripts/install-redis.sh could not install it)")
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        process = subprocess.Popen([*command, "--dir", directory], stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while "PONG" not in _ping(port):
                if time.monotonic() > deadline:
                    raise SystemExit("redis-server did not start")
                time.sleep(0.02)
            yield port
        finally:
            process.kill()
            process.wait(timeout=10)


def _ping(port: int) -> str:
    try:
        return redis_command(port, "PING")
    except OSError:
        return ""


def round_trips(port: int) -> int:
    """Scripts run (EVALSHA): each is one round trip; commandstats also counts the commands inside them."""
    stats = redis_command(port, "INFO", "commandstats")
    return sum(
        int(line.split("calls=", 1)[1].split(",", 1)[0])
        for line in stats.splitlines()
        if line.startswith("cmdstat_evalsha:")
    )


async def edit(client: Client, cpu: int) -> float:
    started = time.perf_counter()
    result = await client.call_tool("edit-job", {"job_id": NIGHTLY, "body": {"cpu": cpu}})
    elapsed = time.perf_counter() - started
    assert not result.is_error, result.content
    return elapsed


def settings_for(url: str, store: str) -> Settings:
    return Settings(
        api_key=DEMO_KEY,
        api_url=url,
        confirm="off",
        state_store=parse_state_store(store),
        request_budget=10**9,
    )


async def measure(edits: int, verbose: bool = False) -> None:
    with upstream() as url, redis_server() as port:
        stores = {"memory": "memory", "redis": f"redis://127.0.0.1:{port}/0"}
        samples: dict[str, list[float]] = {name: [] for name in stores}
        async with AsyncExitStack() as stack:
            clients = {
                name: await stack.enter_async_context(Client(build_server(settings_for(url, target))))
                for name, target in stores.items()
            }
            for client in clients.values():  # warm-up: connections, imports, Lua scripts loaded
                for n in range(ROUND):
                    await edit(client, 300 + n % 2)
            before = round_trips(port)
            for start in range(0, edits, ROUND):
                for name, client in clients.items():
                    for n in range(start, min(edits, start + ROUND)):
                        samples[name].append(await edit(client, 300 + n % 2))
            per_write = (round_trips(port) - before) / edits
            if verbose:
                print(redis_command(port, "INFO", "commandstats"))
    print(
        f"edit-job (GET + PUT against the simulated API), {edits} edits per store, interleaved in rounds of {ROUND}"
    )
    for name, values in samples.items():
        ordered = sorted(values)
        p50 = statistics.median(ordered) * 1000
        p95 = ordered[int(len(ordered) * 0.95)] * 1000
        print(
            f"  {name:<7} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   mean {statistics.fmean(ordered) * 1000:6.2f} ms"
        )
    added = (statistics.median(samples["redis"]) - statistics.median(samples["memory"])) * 1000
    print(f"  Redis adds {added:.2f} ms to a write's p50; {per_write:.1f} Redis round trips per write")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=400)
    parser.add_argument("--verbose", action="store_true", help="print Redis's INFO commandstats")
    arguments = parser.parse_args()
    asyncio.run(measure(arguments.edits, arguments.verbose))


if __name__ == "__main__":
    main()
