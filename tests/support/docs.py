"""The documentation's shell blocks: where they are, what their markers ask, and the ports they use.

Every fenced `bash` block of README.md and of the pages in mkdocs.yml's nav carries a marker on the
line before it (docs/development.md, "Executable documentation" explains them). The pages write the
ports a reader uses (9090, 9092, 8080); the tests run the same commands on free ports instead, so a
demo the reader left running cannot collide with them.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"
BLOCK = re.compile(r"^(?P<marker>[^\n]*)\n```bash\n(?P<body>.*?)\n```$", re.MULTILINE | re.DOTALL)
MARKER = re.compile(
    r"^<!-- ci: (?P<kind>serve|run|account|parse)(?: expect='(?P<expect>[^']*)')?(?: \([^)]*\))? -->$"
)
#: The ports the pages write: the HTTP demo's default, the flaky-network demo's, the REST adapter's default.
PAGE_PORTS = (9090, 9092, 8080, 8082)
#: The ports a reader's own servers most likely hold while they run the tests.
READER_PORTS = (9090, 8080)
#: A port as the pages write it: after a host (`127.0.0.1:9090`) or a flag (`--port 9092`).
PORT = re.compile(r"(?:(?<=:)|(?<=--port ))(" + "|".join(map(str, PAGE_PORTS)) + r")(?!\d)")
NODE_MINIMUM = (22, 19)


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    kind: str
    body: str
    expect: str | None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def _nav_pages(nav: Any) -> Iterator[str]:
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from _nav_pages(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _nav_pages(value)


def pages() -> list[Path]:
    """README.md, then every page in the order of the site's navigation (the order readers follow)."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    return [ROOT / "README.md", *(DOCS / page for page in _nav_pages(config["nav"]))]


def blocks_of(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        line = text[: match.start("body")].count("\n")
        marker = MARKER.match(match.group("marker").strip())
        kind = marker.group("kind") if marker else "unmarked"
        expect = marker.group("expect") if marker else None
        found.append(Block(str(path.relative_to(ROOT)), line, kind, match.group("body"), expect))
    return found


def all_blocks() -> list[Block]:
    return [block for page in pages() for block in blocks_of(page)]


def localize(command: str, ports: Mapping[int, int]) -> str:
    """The command as the test runs it: every port written on the page replaced by the test's own."""
    return PORT.sub(lambda match: str(ports[int(match.group(1))]), command)


def serve_command(line: str, ports: Mapping[int, int]) -> str:
    """A `ci: serve` line on the test's port: its own `--port` rewritten, or the default it relies on."""
    command = localize(line, ports)
    if "--port" not in command:
        default = 8080 if "--transport rest" in command else 9090
        command += f" --port {ports[default]}"
    return command


@contextmanager
def occupied(ports: tuple[int, ...]) -> Iterator[list[int]]:
    """Listen on `ports` (loopback) as a reader's demo would, closing every connection at once.

    A port something else already holds is occupied all the same; yields the ports this process bound.
    """
    listeners: list[socket.socket] = []
    for port in ports:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(("127.0.0.1", port))
        except OSError:
            listener.close()
            continue
        listener.listen(8)
        listener.settimeout(0.2)
        listeners.append(listener)
    stop = threading.Event()

    def refuse(listener: socket.socket) -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            connection.close()

    threads = [threading.Thread(target=refuse, args=(listener,), daemon=True) for listener in listeners]
    for thread in threads:
        thread.start()
    try:
        yield [int(listener.getsockname()[1]) for listener in listeners]
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        for listener in listeners:
            listener.close()


def node_version(node: str) -> tuple[int, ...]:
    try:
        text = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return ()
    return tuple(int(part) for part in text.strip().lstrip("v").split(".")[:2] if part.isdigit())


def command_path() -> str:
    """PATH for the pages' commands: a Node recent enough for the pinned Inspector, and `uv`."""
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
