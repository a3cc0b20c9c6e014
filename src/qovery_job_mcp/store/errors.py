"""The store's refusals, as the package's typed errors: each says that nothing was sent.

They subclass `JobError`, so the boundary turns them into a tool error or a problem document like
any other refusal (status, kind, title, and for a spent budget the `Retry-After` header).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import datetime, timezone

from qovery_job_mcp.qovery.errors import JobError


class JobBusyError(JobError):
    """Another write holds the job's lock and did not let go within the bounded wait."""

    http_status = 409
    kind = "job-busy"
    title = "Job busy"

    def __init__(self, job: str, waited: float) -> None:
        super().__init__(
            f"another change to job {job} is in progress (waited {waited:.1f} s); nothing was sent. "
            "Read the job again and retry in a few seconds."
        )
        self.job = job


class LeaseLostError(JobError):
    """The write's lease lapsed before its request was sent: sending it could overwrite a later write."""

    http_status = 409
    kind = "lease-lost"
    title = "Write lock lost"

    def __init__(self, job: str) -> None:
        super().__init__(
            f"the lock on job {job} expired before the change was sent, so another change may have "
            "started; nothing was sent. Read the job again and retry."
        )
        self.job = job


class StateAlreadyUsedError(JobError):
    """A confirmation state was answered before (here or on another replica): one yes, one write."""

    http_status = 409
    kind = "confirmation-used"
    title = "Confirmation already used"

    def __init__(self) -> None:
        super().__init__(
            "this confirmation was already answered and cannot be used twice; nothing was sent. "
            "Ask for the change again to get a new question."
        )


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class BudgetSpentError(JobError):
    """The credential's shared request budget is spent (ours or Qovery's): refused before sending."""

    http_status = 429
    kind = "request-budget-spent"
    title = "Request budget spent"

    def __init__(self, retry_at: float, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self.retry_at = retry_at
        self.retry_after_seconds = max(0.0, retry_at - now)
        super().__init__(
            f"the Qovery request budget for this credential is spent; nothing was sent. "
            f"Retry after {_when(retry_at)} (in {math.ceil(self.retry_after_seconds)} s)."
        )

    def problem_extra(self) -> Mapping[str, object]:
        return {"retry_after_seconds": math.ceil(self.retry_after_seconds), "retry_at": _when(self.retry_at)}

    def problem_headers(self) -> Mapping[str, str]:
        return {"Retry-After": str(math.ceil(self.retry_after_seconds))}


class StoreUnavailableError(JobError):
    """The shared store did not answer in time: a write cannot be made safe, so it is not sent."""

    http_status = 503
    kind = "store-unavailable"
    title = "Shared state store unavailable"

    def __init__(self, target: str, reason: str = "") -> None:
        super().__init__(f"the shared state store at {target} is unreachable; nothing was sent.")
        self.target = target
        #: The failure's class name (never its text, which could quote a connection string).
        self.reason = reason
