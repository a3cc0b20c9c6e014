"""The audit trail: one JSON line per write attempt and per refusal by policy, whatever the surface.

`boundary.run_operation` opens an `AuditRecord` for every write operation (edit-job, delete-job,
through MCP or REST) and emits it when the call ends; the operations and the confirmation flow add
what only they know (the job's name, the changes, the user's answer) with `note(...)`, through a
context variable, so no adapter writes its own audit code.

Lines go to the `qovery_job_mcp.audit` logger: stderr by default, appended to a file with
`--audit-log`. The caller is a fingerprint (a truncated HMAC of the credential), never the
credential, and every line is scrubbed of the secrets in play before it is written. A line that
cannot be written (a full disk, a removed directory) never fails the call: the server says on
stderr that auditing failed and answers its caller.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import logging.handlers
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from qovery_job_mcp.redaction import redact_value

logger = logging.getLogger("qovery_job_mcp.audit")

Confirmed = Literal["yes", "no", "not-asked"]
AuditOutcome = Literal["applied", "refused", "failed", "unknown"]
"""`unknown`: the write was sent and its answer lost (a 5xx, a timeout, a reset), and a fresh read could not show
whether it landed."""

#: The fingerprint key: fixed, so every replica and restart names a caller the same way. Qovery
#: credentials are long random tokens, so a keyed hash of one cannot be turned back into it.
_FINGERPRINT_KEY = b"qovery-job-mcp/audit/caller/v1"


def caller_fingerprint(credential: str | None) -> str:
    """`server` for the server-held key; otherwise `cred:` and 12 hex digits of an HMAC of the bare credential."""
    if not credential:
        return "server"
    bare = credential.partition(" ")[2] or credential
    digest = hmac.new(_FINGERPRINT_KEY, bare.encode("utf-8", "surrogateescape"), hashlib.sha256)
    return "cred:" + digest.hexdigest()[:12]


@dataclass
class AuditRecord:
    """One write attempt, filled in as the call goes."""

    tool: str
    transport: str
    caller: str
    job_id: str | None = None
    job_name: str | None = None
    dry_run: bool = False
    confirmed: Confirmed = "not-asked"
    changes: list[str] = field(default_factory=list)
    outcome: AuditOutcome = "applied"
    reason: str | None = None
    status: int | None = None
    #: A deploy or a stop: the id of the deployment request Qovery started.
    deployment_request_id: str | None = None
    #: The call only asked the user (a 2026-07-28 first leg): nothing was attempted yet, no line.
    skip: bool = False
    started: float = field(default_factory=time.perf_counter)

    def line(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "tool": self.tool,
            "job_id": self.job_id,
            "job_name": self.job_name,
            "caller": self.caller,
            "transport": self.transport,
            "dry_run": self.dry_run,
            "confirmed": self.confirmed,
            "changes": self.changes,
            "outcome": self.outcome,
        }
        if self.reason is not None:
            entry["reason"] = self.reason
        if self.outcome in ("failed", "unknown"):
            entry["status"] = self.status
        if self.deployment_request_id is not None:
            entry["deployment_request_id"] = self.deployment_request_id
        entry["duration_ms"] = round((time.perf_counter() - self.started) * 1000, 1)
        return entry


_current: ContextVar[AuditRecord | None] = ContextVar("qovery_job_mcp_audit_record", default=None)


def note(**fields: Any) -> None:
    """Add what the running write knows to its audit record; nothing happens outside an audited call."""
    record = _current.get()
    if record is not None:
        for name, value in fields.items():
            setattr(record, name, value)


@contextmanager
def recording(record: AuditRecord | None) -> Iterator[AuditRecord | None]:
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


#: Characters `str.splitlines()` (and some JSON-lines readers) break a line on that JSON leaves unescaped;
#: the ones below U+0020 are escaped by json.dumps already.
_LINE_BREAKS_JSON_KEEPS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def line_text(entry: dict[str, Any], secrets: tuple[str, ...]) -> str:
    """One audit line: the entry's values scrubbed (decoded values, so no escape hides a key), as one line."""
    scrubbed = redact_value(json.loads(json.dumps(entry, default=str)), secrets)
    text = json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":"))
    for character, escape in _LINE_BREAKS_JSON_KEEPS.items():
        text = text.replace(character, escape)
    return text


def emit(record: AuditRecord, secrets: tuple[str, ...]) -> None:
    """Write the record's line, scrubbed; a failure to write is reported by the handler, never raised."""
    if record.skip:
        return
    text = line_text(record.line(), secrets)
    try:
        logger.info(text)
    except Exception as exc:  # a handler that raises must not fail the write it records
        _report_failure(exc)


def _report_failure(exc: BaseException) -> None:
    print(
        f"qovery-job-mcp: auditing failed ({type(exc).__name__}: {exc}); the call itself was answered.",
        file=sys.stderr,
        flush=True,
    )


class _TolerantFileHandler(logging.handlers.WatchedFileHandler):
    """Appends to the audit file, reopening it if it was moved or removed; reports failures in one line."""

    def handleError(self, record: logging.LogRecord) -> None:
        _report_failure(sys.exc_info()[1] or OSError("unknown error"))


class _TolerantStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    def handleError(self, record: logging.LogRecord) -> None:
        _report_failure(sys.exc_info()[1] or OSError("unknown error"))


class AuditLogError(Exception):
    """The `--audit-log` file cannot be opened for appending: refused at start, not found out at the first write."""


def configure_audit(path: str | None) -> None:
    """Send audit lines to stderr, or append them to `path`; called once by the command at start."""
    if path:
        try:
            with open(path, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise AuditLogError(
                f"--audit-log {path!r} cannot be opened for appending ({exc.strerror or type(exc).__name__}); "
                "give a writable file (its folder must exist)."
            ) from exc
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    handler: logging.Handler
    if path:
        handler = _TolerantFileHandler(path, mode="a", encoding="utf-8", delay=True)
    else:
        handler = _TolerantStreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
