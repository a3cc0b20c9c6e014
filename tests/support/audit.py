"""The audit trail as a test reads it: every line the audit logger writes while a test listens."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class AuditLines(logging.Handler):
    """Every audit line written while installed, raw (as a JSON-lines reader would see the file)."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.raw.append(record.getMessage())

    @property
    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.raw]


@contextmanager
def captured_audit() -> Iterator[AuditLines]:
    """Listen to `qovery_job_mcp.audit` at INFO; the logger's level and handlers are put back on exit."""
    handler = AuditLines()
    audit_logger = logging.getLogger("qovery_job_mcp.audit")
    previous = audit_logger.level
    audit_logger.addHandler(handler)
    audit_logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        audit_logger.removeHandler(handler)
        audit_logger.setLevel(previous)
