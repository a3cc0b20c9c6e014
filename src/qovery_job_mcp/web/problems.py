"""Every RFC 9457 problem document this server's HTTP surfaces answer, and their titles.

REST errors, the access checks on `/mcp` and `/v1`, and refusals of the web layer itself all
come from here, so a refusal looks the same whichever path it was made on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:qovery-job-mcp:problem:"

#: Titles of the kinds the web layer itself refuses with; typed errors carry their own (errors.py).
WEB_TITLES: Mapping[str, str] = {
    "method-not-allowed": "Method not allowed",
    "payload-too-large": "Body too large",
    "unsupported-media-type": "Unsupported media type",
    "invalid-host": "Host not allowed",
    "invalid-origin": "Origin not allowed",
    "internal": "Internal error",
    "precondition-failed": "Precondition failed",
}


def title_for(kind: str, status: int) -> str:
    return WEB_TITLES.get(kind) or HTTPStatus(status).phrase


def problem_document(
    status: int, kind: str, detail: str, *, title: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": PROBLEM_TYPE_PREFIX + kind,
        "title": title or title_for(kind, status),
        "status": status,
        "detail": detail,
        **extra,
    }


def problem_bytes(status: int, kind: str, detail: str, *, title: str | None = None) -> bytes:
    """The document as bytes, for the pure-ASGI access layer that has no response classes."""
    return json.dumps(problem_document(status, kind, detail, title=title)).encode()
