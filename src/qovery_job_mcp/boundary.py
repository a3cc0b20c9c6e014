"""The one place where an operation's outcome becomes something an adapter renders.

Both adapters (the MCP tools, REST) run every operation through `run_operation`. It gathers the
secrets in play, maps a typed error to its kind, status, title and sentence, writes the
internal-error sentence, serializes the structured value once (and redacts it when a secret occurs
in it), and logs. An adapter then only renders: a tool result or a tool error, a JSON response or a
problem document. Keeping this in one module is what stops the two surfaces from drifting (the
REST adapter once scrubbed `Token qov_…` but not the bare token).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from qovery_job_mcp import metrics
from qovery_job_mcp.audit import AuditRecord, caller_fingerprint, emit, recording
from qovery_job_mcp.catalog import SPECS
from qovery_job_mcp.operations.confirming import Passthrough
from qovery_job_mcp.qovery.client import one_deadline
from qovery_job_mcp.qovery.errors import JobError, OutcomeUnknownError, UnexpectedAnswerError
from qovery_job_mcp.redaction import json_text, occurs_in_json, redact, redact_value
from qovery_job_mcp.redaction import (
    secrets_in_play as secrets_in_play,  # the adapters' import; it lives a layer down
)

logger = logging.getLogger("qovery_job_mcp.boundary")


@dataclass(frozen=True)
class Failure:
    """A refused or failed operation, in the terms both adapters render."""

    kind: str
    status: int
    title: str
    #: What happened and what to do, already redacted.
    sentence: str
    #: Extra members for a REST problem document (`retry_after_seconds`, …).
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    #: The HTTP status Qovery answered with, when the failure is Qovery's answer (for the audit line).
    upstream_status: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What an operation produced: a redacted value and its JSON text, a Failure, or a passthrough."""

    value: Any = None
    text: str | None = None
    failure: Failure | None = None
    #: An answer the adapter renders itself (MCP's InputRequiredResult, asking the user first).
    passthrough: Any = None


#: Kinds this server refuses on its own (nothing reached Qovery): audited as `refused`, not `failed`.
LOCAL_REFUSALS = frozenset(
    {"invalid-input", "version-mismatch", "confirmation-required", "method-not-allowed", "tool-refused"}
)


def internal_error_sentence(operation: str, exc: BaseException) -> str:
    return (
        f"Internal error in {operation} ({type(exc).__name__}); nothing more is known. "
        "It was logged on the server; retry, and report it if it persists."
    )


def failure_of(exc: JobError, secrets: tuple[str, ...]) -> Failure:
    """The Failure for a typed error: its own kind, status and title, its sentence scrubbed."""
    return Failure(
        kind=exc.kind,
        status=exc.http_status,
        title=exc.title,
        sentence=redact(exc.message, secrets),
        extra=dict(exc.problem_extra()),
        headers=dict(exc.problem_headers()),
        upstream_status=exc.upstream_status,
    )


def _serialize(value: Any) -> str:
    try:
        return json_text(value)
    except ValueError:
        raise UnexpectedAnswerError(
            "Qovery answered with a number JSON cannot carry (NaN or Infinity); retry later or report it."
        ) from None


async def run_operation(
    operation: str,
    call: Callable[[], Awaitable[Any]],
    *,
    secrets: tuple[str, ...],
    where: str = "",
    transport: str = "",
    credential: str | None = None,
) -> Outcome:
    """Run one operation and return its outcome; never raises for anything the operation does.

    `where` says which surface and route ran it, for the log line only. A write operation (per the
    catalog) is audited: `transport` and the caller's `credential` (fingerprinted) go on its line.
    """
    label = f"{operation}{' ' + where if where else ''}"
    spec = SPECS.get(operation)
    record = None
    if spec is not None and not spec.read_only:
        record = AuditRecord(tool=operation, transport=transport, caller=caller_fingerprint(credential))
    metrics.call_started()
    started = time.perf_counter()
    with recording(record), one_deadline():  # one QOVERY_DEADLINE for all the call's requests
        try:
            outcome = await _run(operation, label, call, secrets)
        except (
            BaseException
        ):  # cancelled (the client cancelled the call, or went away): the line is still owed
            if record is not None:
                _cancelled(record)
                emit(record, secrets)
            raise
    result = "asked" if outcome.passthrough is not None else outcome.failure.kind if outcome.failure else "ok"
    metrics.call_finished(operation, result, time.perf_counter() - started)
    if record is not None:
        _close(record, outcome)
        emit(record, secrets)
    return outcome


def audit_refused(
    operation: str,
    reason: str,
    *,
    transport: str,
    credential: str | None,
    secrets: tuple[str, ...],
    job_id: object = None,
) -> None:
    """The audit line of a write refused before its operation ran (read-only, tool selection, its arguments).

    Every write attempt is one line; these never reach `run_operation`, so the adapter says so here.
    """
    spec = SPECS.get(operation)
    if spec is None or spec.read_only:
        return
    record = AuditRecord(tool=operation, transport=transport, caller=caller_fingerprint(credential))
    record.outcome, record.reason = "refused", reason
    if isinstance(job_id, str) and len(job_id) <= 64:
        record.job_id = job_id
    emit(record, secrets)


async def _run(
    operation: str, label: str, call: Callable[[], Awaitable[Any]], secrets: tuple[str, ...]
) -> Outcome:
    try:
        result = await call()
        if result is None:
            return Outcome()
        if isinstance(result, Passthrough):
            return Outcome(passthrough=result.value)
        text = _serialize(result)
        if occurs_in_json(text, secrets):
            result = redact_value(result, secrets)
            text = _serialize(result)
        return Outcome(value=result, text=text)
    except JobError as exc:
        failure = failure_of(exc, secrets)
        logger.info("%s refused (%s): %s", label, failure.status, failure.sentence)
        return Outcome(failure=failure)
    except Exception as exc:
        logger.error("%s failed unexpectedly: %s", label, redact(repr(exc), secrets))
        return Outcome(
            failure=Failure(
                kind="internal",
                status=500,
                title="Internal error",
                sentence=internal_error_sentence(operation, exc),
            )
        )


def _cancelled(record: AuditRecord) -> None:
    """A write cancelled before it ended. A deploy or stop Qovery accepted (it gave a deployment request id) was
    applied, only the waiting stopped; anything else may or may not have been sent."""
    record.reason = "cancelled"
    if record.deployment_request_id is None and record.outcome == "applied":
        record.outcome = "unknown"


def _close(record: AuditRecord, outcome: Outcome) -> None:
    """The audit outcome of a finished call, unless the operation already said (a decline, a 404)."""
    if outcome.passthrough is not None:
        record.skip = True
    elif outcome.failure is not None:
        kind = outcome.failure.kind
        if kind in LOCAL_REFUSALS:
            record.outcome, record.reason = "refused", kind
        elif kind == OutcomeUnknownError.kind:
            record.outcome, record.reason = "unknown", kind
            record.status = outcome.failure.upstream_status
        else:
            record.outcome, record.reason = "failed", kind
            record.status = outcome.failure.upstream_status
