"""Every Qovery call of the deploy toolset, in one small place: reads retried, writes sent once.

Reads go through `QoveryClient.request`, which retries 502/503/504 and timeouts. A deploy sent twice is two
deployments, so the writes ask the client for one sending (`once=True`): an unclear answer (a timeout, a reset,
a 5xx after sending, an unreadable 202) becomes `OutcomeUnknownError`, and the operation reads the status and the
history to say what it can, never re-sending.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qovery_job_mcp.operations.answers import answer_json
from qovery_job_mcp.qovery.client import QoveryClient
from qovery_job_mcp.qovery.deployments import DeploymentHistoryPage, EnvironmentLogList
from qovery_job_mcp.qovery.errors import OutcomeUnknownError, UnexpectedAnswerError
from qovery_job_mcp.qovery.models import NOTHING_CHANGED, Job, JobStatus, parse_answer, require_same_job
from qovery_job_mcp.qovery.retry_policy import parse_retry_after
from qovery_job_mcp.qovery.upstream_errors import not_found_error

#: Qovery keeps a service's 20 last deployments; the history is always read whole.
HISTORY_PAGE_SIZE = 20
#: Qovery documents an environment's last 1000 log lines; an answer with ten times that is not Qovery's, and is
#: refused before its lines are validated one by one (300,000 lines held the event loop for seconds).
MAX_ENVIRONMENT_LOG_LINES = 10_000


class DeployCalls:
    """The toolset's Qovery calls; `credential` on each call is a caller's own Qovery credential."""

    def __init__(self, client: QoveryClient) -> None:
        self.client = client

    async def job(self, job_id: str, credential: str | None) -> dict[str, Any]:
        """The job, read before any write: an answer naming another job stops the call before anything is sent.

        Every later step (the status followed, the log lines kept) is about the job the caller named; a read that
        answers for another one would have them follow that other job and report its end as this one's.
        """
        response = await self.client.request("GET", f"/job/{job_id}", credential=credential)
        if response.status_code == 404:
            raise not_found_error(job_id)
        payload = answer_json(response, "job", finite=True)
        parse_answer(Job, payload, "job")
        require_same_job(job_id, payload)  # an answer about another job is never deployed or stopped
        return dict(payload)

    async def status(self, job_id: str, credential: str | None) -> tuple[dict[str, Any], float | None]:
        """The job's status, and the Retry-After Qovery attached to it (None when it did not)."""
        response = await self.client.request("GET", f"/job/{job_id}/status", credential=credential)
        if response.status_code == 404:
            raise not_found_error(job_id)
        payload = answer_json(response, "status", finite=True)
        parse_answer(JobStatus, payload, "status")
        return dict(payload), parse_retry_after(response.headers.get("Retry-After"))

    async def history(self, job_id: str, credential: str | None) -> list[dict[str, Any]]:
        """The job's deployments, newest first (Qovery keeps the 20 last).

        Only the entries whose `identifier.service_id` is this job are kept: another job's entry would otherwise
        become this job's `previous` (and its `rollback` would deploy the other job's tag here), or the
        execution whose logs get-job-logs shows.
        """
        response = await self.client.request(
            "GET",
            f"/job/{job_id}/deploymentHistoryV2",
            params={"pageSize": str(HISTORY_PAGE_SIZE)},
            credential=credential,
        )
        if response.status_code == 404:
            raise not_found_error(job_id)
        payload = answer_json(response, "deployment history", finite=True)
        parse_answer(DeploymentHistoryPage, payload, "deployment history")
        return [
            dict(entry)
            for entry in payload.get("results") or []
            if (entry.get("identifier") or {}).get("service_id") == job_id
        ]

    async def environment_logs(self, environment_id: str, credential: str | None) -> list[dict[str, Any]]:
        response = await self.client.request(
            "GET", f"/environment/{environment_id}/logs", credential=credential
        )
        if response.status_code == 404:
            return []
        payload = answer_json(response, "environment logs", finite=True)
        if isinstance(payload, list) and len(payload) > MAX_ENVIRONMENT_LOG_LINES:
            raise UnexpectedAnswerError(
                f"Qovery answered with {len(payload)} log lines for environment {environment_id}, where it keeps "
                f"the last 1000; the answer was refused. {NOTHING_CHANGED}"
            )
        parse_answer(EnvironmentLogList, payload, "environment logs")
        return [dict(line) for line in payload]

    async def start(
        self,
        job_id: str,
        action: str,
        *,
        params: Mapping[str, str] | None,
        body: Mapping[str, str] | None,
        credential: str | None,
        consequence: str,
    ) -> dict[str, Any]:
        """POST /job/{id}/{deploy|redeploy|stop}, sent once; the 202 Status Qovery answers with.

        `job_id` is the validated id the caller named (never one read from an answer). A 409 raises ConflictError
        (the caller says what runs); an unclear answer, an unreadable 202 included, raises OutcomeUnknownError.
        """
        response = await self.client.request(
            "POST", f"/job/{job_id}/{action}", params=params, json_body=body, credential=credential, once=True
        )
        if response.status_code == 404:
            raise not_found_error(job_id)
        try:
            payload = answer_json(response, f"answer to the {action}", consequence, finite=True)
            parse_answer(JobStatus, payload, f"answer to the {action}", consequence)
        except UnexpectedAnswerError as exc:
            raise OutcomeUnknownError(exc.message) from None
        return dict(payload)
