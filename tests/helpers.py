"""Small assertions shared by the tests."""

from __future__ import annotations

from mcp.types import CallToolResult


def error_text(result: CallToolResult) -> str:
    assert result.is_error, f"expected a tool error, got {result.structured_content!r}"
    text = result.content[0].text  # type: ignore[union-attr]
    assert isinstance(text, str)
    return text
