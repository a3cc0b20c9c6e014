"""The documentation site builds without a warning, and what it generates from the code is current.

`mkdocs build --strict` fails on any warning, including a link to a missing page or anchor
(`validation:` in mkdocs.yml), so it is the link checker of docs/. The README is not part of the
site: its links are checked here against the built pages. The options table of the Configuration
page is the code's own table, and the Performance plot is drawn from the committed benchmark JSON.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from qovery_job_mcp.config import options_markdown
from tests.support.docs import DOCS, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
PLOT = DOCS / "performance.png"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built as CI builds it."""
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    return out


@pytest.mark.slow
def test_the_site_builds_strict_with_every_page(site: Path) -> None:
    for page in DOCS.rglob("*.md"):
        relative = page.relative_to(DOCS).with_suffix("")
        built = site / (relative.parent if relative.name == "index" else relative) / "index.html"
        assert built.is_file(), f"{page} was not built"
    assert (site / "performance.png").is_file()


def test_ci_builds_the_site_strict() -> None:
    assert "mkdocs build --strict" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_the_readmes_links_reach_a_file_or_a_built_page_and_its_anchor(site: Path) -> None:
    for match in LINK.finditer(README):
        target = match.group("target")
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        assert (ROOT / path).exists(), f"README links to a missing {path}"
        if not anchor:
            continue
        assert path.startswith("docs/"), target
        assert path.endswith(".md"), target
        page = Path(path).relative_to("docs").with_suffix("")
        html = (site / (page.parent if page.name == "index" else page) / "index.html").read_text()
        assert f'id="{anchor}"' in html, f"README links to {target}, which has no such anchor"


def test_the_readme_is_a_landing_page() -> None:
    assert len(README.splitlines()) <= 150
    assert "benchmark results" not in README
    assert "| p50 |" not in README
    for name in ("get-job-id", "edit-job", "delete-job", "list-last-job-commits", "get-job-status"):
        assert f"docs/tools/{name}.md" in README


def test_the_license_is_mit() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "2026 qovery-job-mcp developers" in text


def test_the_configuration_page_holds_the_options_table() -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- options: start -->\n(.*?)\n<!-- options: end -->", page, flags=re.DOTALL)
    assert match, "docs/configuration.md lost its options table markers"
    table = match.group(1).strip()
    assert "<" not in table, "angle brackets are written as entities, or Markdown takes them for HTML"
    assert html.unescape(table) == options_markdown(), (
        "docs/configuration.md's options table is stale: run `uv run python scripts/write_options_table.py`"
    )


def png_text(path: Path) -> dict[str, str]:
    """The tEXt chunks of a PNG (where matplotlib writes `metadata`)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    chunks: dict[str, str] = {}
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"tEXt":
            key, _, value = data[offset + 8 : offset + 8 + length].partition(b"\0")
            chunks[key.decode("latin-1")] = value.decode("latin-1")
        offset += 12 + length
    return chunks


def test_the_performance_plot_is_drawn_from_the_latest_figures() -> None:
    digest = hashlib.sha256(RESULTS.read_bytes()).hexdigest()
    assert png_text(PLOT).get("Source") == f"sha256:{digest}", (
        "docs/performance.png is not drawn from benchmarks/results/latest.json: run "
        "`uv run --with matplotlib python benchmarks/plot.py benchmarks/results/latest.json docs/performance.png`"
    )


def benchmark_module(name: str) -> ModuleType:
    """A module of benchmarks/ (not a package: its scripts import each other by plain name)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def test_the_performance_figures_are_the_latest_runs() -> None:
    report = benchmark_module("report")
    page = (DOCS / "performance.md").read_text(encoding="utf-8")
    start, end = page.index(report.BEGIN) + len(report.BEGIN), page.index(report.END)
    expected = report.markdown(json.loads(RESULTS.read_text(encoding="utf-8")))
    assert (
        page[start:end].strip() == expected.replace("### Benchmark results", "### Latest run", 1).strip()
    ), (
        "docs/performance.md's figures are not benchmarks/results/latest.json's: rerun benchmarks/run.py --docs"
    )


def test_every_file_the_docs_name_exists() -> None:
    """A page that names a test, a script or a module as proof must name one that is there (files move)."""
    named = re.compile(r"\b((?:tests|src|scripts|benchmarks|deploy)/[\w./-]+\.(?:py|sh|yaml|md|json))\b")
    pages = [ROOT / "README.md", ROOT / "benchmarks" / "README.md", *sorted(DOCS.rglob("*.md"))]
    missing = [
        f"{page.relative_to(ROOT)}: {path}"
        for page in pages
        for path in named.findall(page.read_text())
        if not (ROOT / path).exists()
    ]
    assert missing == []
