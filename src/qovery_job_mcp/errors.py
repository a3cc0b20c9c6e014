"""Typed errors shared by the operations layer and its two adapters (MCP tools, REST).

Every error carries a sentence a person can act on and the HTTP status that fits it, so the
MCP boundary turns it into a tool error and the REST adapter into a problem document without
either of them re-deciding what went wrong.
"""

from __future__ import annotations

#: RFC 9457 problem documents: how every HTTP surface (REST, the access checks) states an error.
PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:qovery-job-mcp:problem:"


def problem_document(status: int, kind: str, title: str, detail: str) -> dict[str, object]:
    return {"type": PROBLEM_TYPE_PREFIX + kind, "title": title, "status": status, "detail": detail}


# How much of a caller's input an error message may quote: enough to recognise it, never an echo
# of a megabyte-sized argument.
MAX_QUOTED_CHARS = 120


def quote_input(value: object) -> str:
    """Quote a caller-supplied value for an error message, shortened to a readable length."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > MAX_QUOTED_CHARS:
        text = f"{text[:MAX_QUOTED_CHARS]}… ({len(text)} characters)"
    return repr(text) if isinstance(value, str) else text


class JobError(Exception):
    """Base of every error this package reports to a caller."""

    #: HTTP status the REST adapter answers with; also a coarse class for logs.
    http_status = 500
    #: Short stable identifier, used as the problem `type` suffix of the REST adapter.
    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputError(JobError):
    """The caller's arguments are wrong; nothing was sent to Qovery."""

    http_status = 400
    kind = "invalid-input"


class CredentialsError(JobError):
    """No usable Qovery credential, or Qovery refused it (401)."""

    http_status = 401
    kind = "unauthorized"


class PermissionDeniedError(JobError):
    http_status = 403
    kind = "forbidden"


class JobNotFoundError(JobError):
    http_status = 404
    kind = "not-found"


class ConflictError(JobError):
    http_status = 409
    kind = "conflict"


class QoveryRejectedError(JobError):
    """Qovery refused the request as invalid (400/422) after our own validation passed."""

    http_status = 400
    kind = "rejected"


class RateLimitedError(JobError):
    """Qovery asked us to wait longer than the time left for this call."""

    http_status = 503
    kind = "rate-limited"

    def __init__(self, message: str, retry_after_seconds: float | None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class UpstreamUnavailableError(JobError):
    """Qovery kept failing (5xx, connection errors) through every attempt."""

    http_status = 502
    kind = "upstream-unavailable"


class UpstreamTimeoutError(JobError):
    http_status = 504
    kind = "upstream-timeout"


class UnexpectedAnswerError(JobError):
    """Qovery answered with something this server cannot understand (not JSON, wrong shape)."""

    http_status = 502
    kind = "unexpected-answer"
