"""Write the options table of docs/configuration.md from the one table in src/qovery_job_mcp/config.py.

Run from the repository root: `uv run python scripts/write_options_table.py`. The table sits between
`<!-- options: start -->` and `<!-- options: end -->`, with `<` and `>` written as entities (a help text's
`<token>` would otherwise be taken for an HTML tag and vanish); `--help` is built from the same table, and
tests/e2e/test_docs_site.py fails when the page and the code disagree.
"""

from __future__ import annotations

import re
from pathlib import Path

from qovery_job_mcp.config import options_markdown

PAGE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
BETWEEN = re.compile(r"(<!-- options: start -->\n)(?:.*?\n)?(<!-- options: end -->)", flags=re.DOTALL)


def main() -> None:
    text = PAGE.read_text(encoding="utf-8")
    if not BETWEEN.search(text):
        raise SystemExit(f"{PAGE}: the options markers are missing")
    table = options_markdown().replace("<", "&lt;").replace(">", "&gt;")
    PAGE.write_text(BETWEEN.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text), encoding="utf-8")


if __name__ == "__main__":
    main()
