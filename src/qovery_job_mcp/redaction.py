"""Scrubbing secrets from text that leaves the process.

Its own small module so both adapters (the MCP tools and the REST app) share one implementation
without the REST adapter importing the MCP tool machinery.
"""

from __future__ import annotations

from collections.abc import Iterable

REDACTED = "[redacted]"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret (ignoring empty or trivially short ones)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text
