"""Every command of the documentation runs: the marked shell blocks of README.md and docs/ against the demo.

The markers (tests/support/docs.py, and docs/development.md for readers):
- `<!-- ci: serve -->`: each line starts a server, kept running for the blocks after it; it must
  print its `listening on` line. (The README's own test command, `uv run pytest`, is what CI
  runs around this very test, so it is not started again.)
- `<!-- ci: run expect='…' -->`: run with bash (errexit, pipefail) from the project's folder; it
  must exit 0 and its output must contain the expected text.
- `<!-- ci: account -->` (needs a real Qovery account) and `<!-- ci: parse (why) -->`: only parsed.
A block without a marker fails the test, so a new command cannot slip in unchecked.

The commands run on free ports chosen here, never the ones the pages write, and while they run this
module itself listens on 9090 and 8080: a reader's demo left running there cannot collide with the tests.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.docs import (
    NODE_MINIMUM,
    PAGE_PORTS,
    READER_PORTS,
    ROOT,
    Block,
    all_blocks,
    command_path,
    localize,
    node_version,
    occupied,
    serve_command,
)
from tests.support.helpers import subprocess_env
from tests.support.ports import free_port

pytestmark = pytest.mark.slow

BLOCKS = all_blocks()
TEST_COMMAND = "uv run pytest"
PATH = command_path()


def environment() -> dict[str, str]:
    return subprocess_env(PATH=PATH)


@pytest.fixture(scope="module")
def reader_ports() -> Iterator[list[int]]:
    """9090 and 8080 held for the whole module, as the reader's own demo would hold them."""
    with occupied(READER_PORTS) as bound:
        yield bound


@pytest.fixture(scope="module")
def ports(reader_ports: list[int]) -> dict[int, int]:
    """The test's own port for each port the pages write."""
    chosen: dict[int, int] = {}
    while len(chosen) < len(PAGE_PORTS):
        port = free_port()
        if port not in (*PAGE_PORTS, *chosen.values()):
            chosen[PAGE_PORTS[len(chosen)]] = port
    return chosen


@pytest.fixture(scope="module")
def servers(ports: dict[int, int]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every distinct `ci: serve` line, started in the pages' order and stopped at the end."""
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    seen: set[str] = set()
    try:
        for block in (b for b in BLOCKS if b.kind == "serve"):
            for raw in block.body.splitlines():
                line = raw.split("  #", 1)[0].strip()
                if not line or line == TEST_COMMAND or line in seen:
                    continue
                seen.add(line)
                command = serve_command(line, ports)
                log = Path(tempfile.mkstemp(prefix="docs-serve-", suffix=".log")[1])
                process = subprocess.Popen(
                    ["bash", "-c", command],
                    cwd=ROOT,
                    env=environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log.open("wb"),
                    start_new_session=True,
                )
                started.append((process, log))
                deadline = time.monotonic() + 60
                while "listening on http://" not in log.read_text(errors="replace"):
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(f"{block.where}: {command!r} did not start: {log.read_text()}")
                    time.sleep(0.1)
                listening = re.search(r"listening on http://[^:]+:(\d+)", log.read_text())
                assert listening, log.read_text()
                assert int(listening.group(1)) in ports.values(), (
                    f"{block.where}: {command!r} ignored the port"
                )
        yield [process for process, _ in started]
    finally:
        for process, log in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=5)
            log.unlink(missing_ok=True)


def test_every_shell_block_is_marked() -> None:
    unmarked = [block.where for block in BLOCKS if block.kind == "unmarked"]
    assert unmarked == [], f"shell blocks without a <!-- ci: … --> marker: {unmarked}"
    assert any(block.kind == "run" for block in BLOCKS)
    assert any(block.kind == "run" and block.page.startswith("docs/") for block in BLOCKS)


def test_the_readme_starts_with_the_demo_and_the_test_command_ci_runs() -> None:
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("run pytest")
    first = BLOCKS[0]
    assert first.page == "README.md"
    assert first.kind == "serve"
    assert first.line < 10, "the README opens with the demo and the test command"
    assert first.body.splitlines()[0].startswith("uv run qovery-job-mcp --demo --transport http")
    assert TEST_COMMAND in first.body


def test_blocks_run_on_the_tests_ports_while_the_readers_ports_are_taken(
    reader_ports: list[int], ports: dict[int, int], servers: list[subprocess.Popen[bytes]]
) -> None:
    # The ports this module holds (a port something else held at the start, a reader's demo, may be gone by now).
    for port in reader_ports:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    assert not set(ports.values()) & set(PAGE_PORTS)
    assert localize("curl -s http://127.0.0.1:9090/healthz", ports) == (
        f"curl -s http://127.0.0.1:{ports[9090]}/healthz"
    )
    assert servers
    assert all(server.poll() is None for server in servers)


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.kind in ("account", "parse")], ids=lambda b: b.where
)
def test_blocks_for_a_real_account_parse(block: Block) -> None:
    proc = subprocess.run(["bash", "-n", "-c", block.body], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.timeout(300)
@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "run"], ids=lambda b: b.where)
def test_runnable_blocks_do_what_the_page_says(
    block: Block, ports: dict[int, int], servers: list[subprocess.Popen[bytes]]
) -> None:
    if "npx" in block.body:
        node = shutil.which("node", path=PATH)
        if node is None or node_version(node) < NODE_MINIMUM:
            pytest.skip(
                f"needs Node.js {'.'.join(map(str, NODE_MINIMUM))}+ (run scripts/conformance.sh once)"
            )
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", localize(block.body, ports)],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"{block.where} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    assert block.expect is not None, f"{block.where}: a run block says what it expects"
    assert block.expect in proc.stdout, f"{block.where}: {block.expect!r} not in:\n{proc.stdout[-2000:]}"
    assert all(server.poll() is None for server in servers), "a server of the docs died"
