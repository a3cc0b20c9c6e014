"""Qovery's answers as typed errors, with their sentences: the status-to-error table and exhausted retries.

Every sentence says what happened and what to do; the error types themselves are in errors.py.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from qovery_job_mcp.qovery.errors import (
    ConflictError,
    CredentialsError,
    JobError,
    JobNotFoundError,
    PermissionDeniedError,
    QoveryRejectedError,
    RateLimitedError,
    UnexpectedAnswerError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from qovery_job_mcp.qovery.retry_policy import Transient

if TYPE_CHECKING:
    import httpx

MAX_DETAIL_CHARS = 300
#: Marks a timeout that the call's overall deadline imposed, not the per-request timeout.
DEADLINE_CUT = "deadline: "


def error_detail(response: httpx.Response) -> str:
    """Qovery's own explanation from an error body: `detail`, then `message`, then `error`, then the text."""
    text = response.text
    detail: str | None = None
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            if isinstance(body.get(key), str) and body[key].strip():
                detail = body[key].strip()
                break
    if detail is None:
        detail = " ".join(text.split())
    if len(detail) > MAX_DETAIL_CHARS:
        detail = detail[:MAX_DETAIL_CHARS] + "…"
    return detail


def exhausted_error(
    failure: Transient, attempts: int, remaining: float, *, base_url: str, deadline: float
) -> JobError:
    """The error of a call whose retries ran out (or whose next wait would pass its deadline)."""
    error = _exhausted_error(failure, attempts, remaining, base_url=base_url, deadline=deadline)
    error.upstream_status = failure.status
    return error


def _exhausted_error(
    failure: Transient, attempts: int, remaining: float, *, base_url: str, deadline: float
) -> JobError:
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    if failure.status == 429:
        if failure.retry_after is not None and failure.retry_after >= remaining:
            return RateLimitedError(
                f"Qovery is rate-limiting requests (HTTP 429) and asks to wait {failure.retry_after:.0f} s, "
                f"longer than this call may take; retry after {failure.retry_after:.0f} seconds.",
                failure.retry_after,
            )
        return RateLimitedError(
            f"Qovery is rate-limiting requests (HTTP 429) after {tries}; wait a minute and retry.",
            failure.retry_after,
        )
    if failure.reason.startswith(DEADLINE_CUT):
        return UpstreamTimeoutError(
            f"Qovery did not answer before this call's overall deadline of {deadline:.3g} s "
            f"({tries}); Qovery is slow or degraded: retry shortly (QOVERY_DEADLINE bounds a whole call)."
        )
    if failure.reason == "connection refused":
        return UpstreamUnavailableError(
            f"The connection to Qovery at {base_url} was refused, after {tries}; check QOVERY_API_URL "
            "and that the API is reachable from this server."
        )
    if failure.status is None and failure.reason.startswith("no answer"):
        return UpstreamTimeoutError(
            f"Qovery did not answer in time ({failure.reason}, {tries}); "
            "the API may be slow or unreachable: retry shortly or raise QOVERY_TIMEOUT."
        )
    if failure.status is not None and failure.retry_after is not None and failure.retry_after >= remaining:
        return UpstreamUnavailableError(
            f"Qovery is unavailable (HTTP {failure.status}) and asks to retry after "
            f"{failure.retry_after:.0f} seconds; try again then."
        )
    return UpstreamUnavailableError(
        f"Qovery failed to answer ({failure.reason}) after {tries}; "
        "the Qovery API may be degraded or unreachable: try again in a minute."
    )


def status_error(status: int, detail: str) -> JobError:
    """The JobError for a non-retryable HTTP status from Qovery, carrying that status."""
    error = _status_error(status, detail)
    error.upstream_status = status
    return error


def _status_error(status: int, detail: str) -> JobError:
    if status == 401:
        return CredentialsError(
            "Qovery refused the credentials (HTTP 401). Check QOVERY_API_KEY (or the Authorization you sent): "
            "an API token (qov_…) must be sent as 'Token <token>', only a JWT as 'Bearer <jwt>'."
        )
    if status == 403:
        return PermissionDeniedError(
            f"Qovery denied access (HTTP 403: {detail}). The token lacks permission on this job's "
            "organization; editing and deleting a job need the admin role."
        )
    if status == 409:
        return ConflictError(
            f"Qovery refused the change (HTTP 409: {detail}). A job name must be unique within its "
            "environment: choose another name."
        )
    if status in (400, 422):
        return QoveryRejectedError(
            f"Qovery rejected the request (HTTP {status}: {detail}). Fix that field and retry."
        )
    if status >= 500:
        return UpstreamUnavailableError(
            f"Qovery failed with HTTP {status} ({detail}); this is on Qovery's side: try again in a minute."
        )
    return UnexpectedAnswerError(f"Qovery answered unexpectedly (HTTP {status}: {detail}).")


def deadline_passed_error(deadline: float, method: str) -> UpstreamTimeoutError:
    """The call's one deadline passed before its next request: that request is not sent at all."""
    return UpstreamTimeoutError(
        f"This call's overall deadline of {deadline:.3g} s passed before its next request to Qovery ({method}), "
        "so it was not sent. Qovery is slow or degraded: retry shortly (QOVERY_DEADLINE bounds a whole call)."
    )


def too_large_sentence(status: int, limit: int) -> str:
    """An answer cut at the size cap: what happened, and (for a write) that it may have landed."""
    return (
        f"Qovery's answer (HTTP {status}) is too large: reading stopped at {limit // (1024 * 1024)} MiB decoded, "
        "far beyond any job answer. Retry later or report it."
    )


def not_found_error(job_id: str) -> JobNotFoundError:
    return JobNotFoundError(
        upstream_status=404,
        message=f"No job with id {job_id} exists, or these credentials cannot see it (HTTP 404). "
        "Check the id in the Qovery console (job > Settings) and that the token belongs to its organization.",
    )
