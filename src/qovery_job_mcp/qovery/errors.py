"""Typed errors shared by the operations layer and its two adapters (MCP tools, REST).

Every error carries a sentence a person can act on, the HTTP status that fits it and a short
title, so the boundary (boundary.py) turns it into a tool error or a problem document without
either adapter re-deciding what went wrong.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

#: The longest wait a Retry-After may announce on our side: an upstream's 400-digit header is not a number to
#: pass on (math.ceil of infinity raises), and a day is already longer than any caller waits.
MAX_RETRY_AFTER_SECONDS = 86_400

# How much of a caller's input an error message may quote: enough to recognise it, never an echo
# of a megabyte-sized argument.
MAX_QUOTED_CHARS = 120


def quote_input(value: object) -> str:
    """Quote a caller-supplied value for an error message, shortened to a readable length."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > MAX_QUOTED_CHARS:
        text = f"{text[:MAX_QUOTED_CHARS]}… ({len(text)} characters)"
    return repr(text) if isinstance(value, str) else text


def closest_name(name: str, valid: Iterable[str]) -> str | None:
    """The valid name a slip most likely meant: `dryRun` and `dry-run` both mean `dry_run`."""
    import difflib

    valid = tuple(valid)

    def squash(text: str) -> str:
        return text.replace("_", "").replace("-", "").lower()

    for candidate in valid:
        if squash(candidate) == squash(name):
            return candidate
    matches = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_name_sentence(what: str, name: str, valid: Iterable[str], consequence: str) -> str:
    """ "unknown argument 'dryRun': did you mean 'dry_run'? Nothing was sent." (or the valid names)."""
    valid = tuple(dict.fromkeys(valid))
    guess = closest_name(name, valid)
    hint = f": did you mean {guess!r}?" if guess else f"; valid names: {', '.join(valid)}."
    return f"unknown {what}{hint} {consequence}"


class JobError(Exception):
    """Base of every error this package reports to a caller."""

    #: HTTP status the REST adapter answers with; also a coarse class for logs.
    http_status = 500
    #: Short stable identifier, used as the problem `type` suffix of the REST adapter.
    kind = "error"
    #: The problem document's title: the same for every error of this class.
    title = "Error"

    def __init__(self, message: str, *, upstream_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: The status Qovery answered with, when this error is Qovery's answer (None: ours, or no answer).
        self.upstream_status = upstream_status

    def problem_extra(self) -> Mapping[str, object]:
        """Members a problem document adds for this error (none by default)."""
        return {}

    def problem_headers(self) -> Mapping[str, str]:
        """HTTP headers an HTTP answer adds for this error (none by default)."""
        return {}


class ConfirmationRequiredError(JobError):
    """Policy `strict`: this client cannot ask its user to confirm a write, so the write is refused."""

    http_status = 428
    kind = "confirmation-required"
    title = "Confirmation required"


class InvalidInputError(JobError):
    """The caller's arguments are wrong; nothing was sent to Qovery."""

    http_status = 400
    kind = "invalid-input"
    title = "Invalid input"


class CredentialsError(JobError):
    """No usable Qovery credential, or Qovery refused it (401)."""

    http_status = 401
    kind = "unauthorized"
    title = "Credentials refused"


class PermissionDeniedError(JobError):
    http_status = 403
    kind = "forbidden"
    title = "Permission denied"


class JobNotFoundError(JobError):
    http_status = 404
    kind = "not-found"
    title = "Not found"


class ConflictError(JobError):
    http_status = 409
    kind = "conflict"
    title = "Conflict"


class VersionMismatchError(JobError):
    """The job changed since the version the caller saw: nothing was sent (REST: If-Match failed)."""

    http_status = 412
    kind = "version-mismatch"
    title = "Job changed since that version"

    def __init__(self, expected: str, current: str, changes: list[Any] | None) -> None:
        if changes is None:
            what = "this server no longer holds that version's settings to show the difference"
        else:
            shown = "; ".join(
                f"{c['path']}: {quote_input(c['before'])} -> {quote_input(c['after'])}" for c in changes[:5]
            )
            more = f" (and {len(changes) - 5} more)" if len(changes) > 5 else ""
            what = f"what changed: {shown}{more}" if changes else "its settings are the same again"
        super().__init__(
            f"The job changed since version {expected!r} (it is now {current!r}); {what}. Nothing was sent. "
            "Run the edit again with dry_run: true, show the user the new changes, and apply with the new version."
        )
        self.expected = expected
        self.current = current
        self.changes = changes


class QoveryRejectedError(JobError):
    """Qovery refused the request as invalid (400/422) after our own validation passed."""

    http_status = 400
    kind = "rejected"
    title = "Rejected by Qovery"


class RateLimitedError(JobError):
    """Qovery asked us to wait longer than the time left for this call."""

    http_status = 503
    kind = "rate-limited"
    title = "Rate limited by Qovery"

    def __init__(self, message: str, retry_after_seconds: float | None) -> None:
        super().__init__(message)
        if retry_after_seconds is not None and not retry_after_seconds <= MAX_RETRY_AFTER_SECONDS:
            retry_after_seconds = MAX_RETRY_AFTER_SECONDS  # infinite, NaN or absurd: bounded, never passed on
        self.retry_after_seconds = retry_after_seconds

    def problem_extra(self) -> Mapping[str, object]:
        if self.retry_after_seconds is None:
            return {}
        return {"retry_after_seconds": self.retry_after_seconds}

    def problem_headers(self) -> Mapping[str, str]:
        if self.retry_after_seconds is None:
            return {}
        return {"Retry-After": str(math.ceil(self.retry_after_seconds))}


class UpstreamUnavailableError(JobError):
    """Qovery kept failing (5xx, connection errors) through every attempt."""

    http_status = 502
    kind = "upstream-unavailable"
    title = "Qovery unavailable"


class UpstreamTimeoutError(JobError):
    http_status = 504
    kind = "upstream-timeout"
    title = "Qovery timed out"


class UnexpectedAnswerError(JobError):
    """Qovery answered with something this server cannot understand (not JSON, wrong shape)."""

    http_status = 502
    kind = "unexpected-answer"
    title = "Unexpected answer from Qovery"


class OutcomeUnknownError(JobError):
    """A write was sent and its answer is unclear (5xx after sending, timeout, reset): it may have landed.

    Never re-sent blind: the operation that sent it reads the job (or its status and history) and
    says what that read shows. The audit records the outcome as `unknown`, not `failed`.
    """

    http_status = 502
    kind = "outcome-unknown"
    title = "The write may have landed"


class AcceptedUnreadablyError(OutcomeUnknownError):
    """A write Qovery answered 2xx with a body that is not what was written (not JSON, not a job, another job).

    It reached Qovery and Qovery said yes: it is never sent again, even when a fresh read shows the job as before
    (a read that lags behind the write would otherwise apply it twice).
    """
