"""The README is executable: its marked shell blocks run verbatim against the demo.

Every ```bash block carries a marker on the line before it:
- `<!-- ci: serve -->`: each line starts a server, kept running for the blocks after it; it must
  print its `listening on` line. (The README's own test command, `uv run pytest`, is what CI
  runs around this very test, so it is not started again.)
- `<!-- ci: run expect='…' -->`: run with bash (errexit, pipefail) from the project's folder; it
  must exit 0 and its output must contain the expected text.
- `<!-- ci: account -->` (needs a real Qovery account) and `<!-- ci: parse (why) -->`: only parsed.
A block without a marker fails the test, so a new command cannot slip in unchecked.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, subprocess_env

pytestmark = pytest.mark.slow

README = (ROOT / "README.md").read_text()
BLOCK = re.compile(r"^(?P<marker>[^\n]*)\n```bash\n(?P<body>.*?)\n```$", re.MULTILINE | re.DOTALL)
MARKER = re.compile(
    r"^<!-- ci: (?P<kind>serve|run|account|parse)(?: expect='(?P<expect>[^']*)')?(?: \([^)]*\))? -->$"
)
TEST_COMMAND = "uv run pytest"
NODE_MINIMUM = (22, 19)


@dataclass(frozen=True)
class Block:
    line: int
    kind: str
    body: str
    expect: str | None


def blocks() -> list[Block]:
    found = []
    for match in BLOCK.finditer(README):
        line = README[: match.start("body")].count("\n")
        marker = MARKER.match(match.group("marker").strip())
        kind = marker.group("kind") if marker else "unmarked"
        found.append(Block(line, kind, match.group("body"), marker.group("expect") if marker else None))
    return found


BLOCKS = blocks()


def node_version(node: str) -> tuple[int, ...]:
    try:
        text = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return ()
    return tuple(int(part) for part in text.strip().lstrip("v").split(".")[:2] if part.isdigit())


def command_path() -> str:
    """PATH for the README's commands: a Node recent enough for the pinned Inspector, and `uv`."""
    extra: list[str] = []
    system_node = shutil.which("node")
    if not system_node or node_version(system_node) < NODE_MINIMUM:
        # scripts/conformance.sh (run by .ci/run first) leaves a Node 22 from npm here.
        for bin_dir in sorted(
            (ROOT / ".cache" / "conformance" / "node" / "node_modules").glob("node-linux-*/bin")
        ):
            if node_version(str(bin_dir / "node")) >= NODE_MINIMUM:
                extra.append(str(bin_dir))
    if shutil.which("uv") is None:
        shim = Path(tempfile.mkdtemp(prefix="uv-shim-"))
        (shim / "uv").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m uv "$@"\n')
        (shim / "uv").chmod(0o755)
        extra.append(str(shim))
    return os.pathsep.join([*extra, os.environ.get("PATH", "")])


PATH = command_path()


def environment() -> dict[str, str]:
    return subprocess_env(PATH=PATH)


@pytest.fixture(scope="module")
def servers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every `ci: serve` line, started in the README's order and stopped at the end."""
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for block in (b for b in BLOCKS if b.kind == "serve"):
            for raw in block.body.splitlines():
                command = raw.split("  #", 1)[0].strip()
                if not command or command == TEST_COMMAND:
                    continue
                log = Path(tempfile.mkstemp(prefix="readme-serve-", suffix=".log")[1])
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
                        raise AssertionError(
                            f"README line {block.line}: {command!r} did not start: {log.read_text()}"
                        )
                    time.sleep(0.1)
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
    unmarked = [block.line for block in BLOCKS if block.kind == "unmarked"]
    assert unmarked == [], f"README shell blocks without a <!-- ci: … --> marker, at lines {unmarked}"
    assert any(block.kind == "run" for block in BLOCKS)


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("run pytest")
    assert TEST_COMMAND in BLOCKS[0].body


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.kind in ("account", "parse")], ids=lambda b: f"line{b.line}"
)
def test_blocks_for_a_real_account_parse(block: Block) -> None:
    proc = subprocess.run(["bash", "-n", "-c", block.body], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "run"], ids=lambda b: f"line{b.line}")
def test_runnable_blocks_do_what_the_readme_says(
    block: Block, servers: list[subprocess.Popen[bytes]]
) -> None:
    if "npx" in block.body:
        node = shutil.which("node", path=PATH)
        if node is None or node_version(node) < NODE_MINIMUM:
            pytest.skip(
                f"needs Node.js {'.'.join(map(str, NODE_MINIMUM))}+ (run scripts/conformance.sh once)"
            )
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block.body],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, (
        f"README line {block.line} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    )
    assert block.expect is not None, f"README line {block.line}: a run block says what it expects"
    assert block.expect in proc.stdout, (
        f"README line {block.line}: {block.expect!r} not in:\n{proc.stdout[-2000:]}"
    )
    assert all(server.poll() is None for server in servers), "a README server died"
