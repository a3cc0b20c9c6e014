"""Scrubbing secrets from text that leaves the process.

Its own small module so both adapters (the MCP tools and the REST app) share one implementation
without the REST adapter importing the MCP tool machinery.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

REDACTED = "[redacted]"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret (ignoring empty or trivially short ones)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def redact_value(value: object, secrets: tuple[str | None, ...]) -> object:
    """`redact` through a JSON value: a job whose settings hold the key must not hand it back."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {redact(str(k), secrets): redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(item, secrets) for item in value]
    return value


def json_text(value: object) -> str:
    """The JSON text of a result, as every adapter sends it: compact, non-ASCII kept as it is.

    `occurs_in_json` relies on this exact escaping, which is why both live here.
    Raises ValueError for NaN and Infinity, which JSON cannot carry.
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def occurs_in_json(text: str, secrets: Iterable[str | None]) -> bool:
    """Whether any secret `redact` would replace occurs in `text`, a document made by `json_text`.

    JSON escapes character by character, so a string holding a secret holds the secret's escaped
    form in the document: one substring test per secret tells whether `redact_value` has anything
    to do, and a result with no secret in it (nearly all of them) is neither walked nor copied.
    """
    return any(secret and len(secret) >= 4 and json_text(secret)[1:-1] in text for secret in secrets)
