"""The deploy toolset's four operations: deploy a job and follow it, stop it, its deployments, its logs.

Every rule is a pure function of `deploy_rules` and `deploy_logs`; every Qovery call is in
`deploy_calls`; the two writes are `WriteSteps` (`deploy_writes`) run by the one write flow (confirmation
per the `--confirm` policy, the job's lock, the audit line). This module is the order of things around
them: validate, run the write, follow the status with backoff on injected time, and turn what was seen
into one verdict with `previous`, `rollback` and, on failure, a log tail.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from qovery_job_mcp.audit import note as audit_note
from qovery_job_mcp.config import ConfirmPolicy
from qovery_job_mcp.operations import deploy_logs as logs
from qovery_job_mcp.operations import deploy_rules as rules
from qovery_job_mcp.operations.confirming import NEVER_ASKS, Confirmer, Passthrough
from qovery_job_mcp.operations.deploy_calls import DeployCalls
from qovery_job_mcp.operations.deploy_progress import Clock as Clock  # the server's import
from qovery_job_mcp.operations.deploy_progress import Progress as Progress  # the tools' type
from qovery_job_mcp.operations.deploy_progress import steady_progress
from qovery_job_mcp.operations.deploy_writes import DeploySteps, StopSteps
from qovery_job_mcp.operations.locks import InProcessJobLocks, JobLocks
from qovery_job_mcp.operations.validation import validate_job_id
from qovery_job_mcp.operations.write_flow import run_write
from qovery_job_mcp.qovery.client import QoveryClient, restart_deadline
from qovery_job_mcp.qovery.deployments import DeploymentList, DeployResult, JobLogs, StopResult
from qovery_job_mcp.qovery.errors import ConflictError, JobError, RateLimitedError
from qovery_job_mcp.redaction import secrets_in_play

Sleep = Callable[[float], Awaitable[None]]
DEFAULT_DEPLOYMENT_LIMIT = 10
MAX_DEPLOYMENT_LIMIT = 20
DEFAULT_LOG_LINES = 100
MAX_LOG_LINES = 500


class DeployOperations:
    """One per process. `confirm` and `locks` are the write flow's (share `locks` with `JobOperations` so an
    edit and a deploy of one job never interleave); `sleep`/`clock` time the waiting (tests inject them);
    `secrets` are the server's, scrubbed from every log line before it is cut."""

    def __init__(
        self,
        client: QoveryClient,
        *,
        confirm: ConfirmPolicy = "off",
        locks: JobLocks | None = None,
        sleep: Sleep = anyio.sleep,
        clock: Clock = time.monotonic,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.calls = DeployCalls(client)
        #: The server's secrets (config.server_secrets): log lines are scrubbed of them, and of the caller's
        #: credential, before they are cut (deploy_logs).
        self.secrets = secrets
        self.confirm = confirm
        self.locks: JobLocks = locks or InProcessJobLocks()
        self._sleep = sleep
        self._clock = clock

    # -- deploy-job ------------------------------------------------------------------------------

    async def deploy_job(
        self,
        job_id: Any,
        *,
        image_tag: Any = None,
        git_commit_id: Any = None,
        force_event: Any = None,
        wait_seconds: Any = None,
        progress: Progress | None = None,
        credential: str | None = None,
        confirmer: Confirmer = NEVER_ASKS,
    ) -> DeployResult | Passthrough:
        with steady_progress(progress, wait_seconds) as steady:
            return await self._deploy_job(
                job_id,
                image_tag=image_tag,
                git_commit_id=git_commit_id,
                force_event=force_event,
                wait_seconds=wait_seconds,
                progress=steady,
                credential=credential,
                confirmer=confirmer,
            )

    async def _deploy_job(
        self,
        job_id: Any,
        *,
        image_tag: Any,
        git_commit_id: Any,
        force_event: Any,
        wait_seconds: Any,
        progress: Progress | None,
        credential: str | None,
        confirmer: Confirmer,
    ) -> DeployResult | Passthrough:
        job_id = validate_job_id(job_id)
        audit_note(job_id=job_id)
        wait = rules.check_whole_number("wait_seconds", wait_seconds, 0, rules.MAX_WAIT_SECONDS, 0)
        arguments = {"image_tag": image_tag, "git_commit_id": git_commit_id, "force_event": force_event}
        steps = DeploySteps(self.calls, job_id, arguments, credential=credential)
        started = self._clock()
        sent = await run_write(steps, policy=self.confirm, confirmer=confirmer, locks=self.locks)
        if isinstance(sent, Passthrough):
            return sent
        plan, job = sent.plan, sent.plan.job
        assert plan.call is not None
        base: DeployResult = {
            "job_id": job_id,
            "name": str(job.get("name")),
            "outcome": "still-running",
            "message": "",
            "state": None,
            "deployment_request_id": None,
            "execution_id": None,
            "duration_seconds": 0.0,
            "sent": plan.call.sent(),
            "previous": plan.previous,
            "rollback": rules.rollback_arguments(job_id, plan.previous),
        }
        status, lost = sent.status, ""
        if sent.trouble == "declined":
            return {**base, "outcome": "declined", "message": sent.message}
        if sent.trouble == "conflict":
            raise await self._conflict("deploy", job, credential)
        if sent.trouble == "lost":
            status = await self._after_lost_answer(job_id, plan.newest_before, credential)
            if status is None:
                return {
                    **base,
                    "outcome": "unknown",
                    "message": await self._lost("deploy", job_id, credential),
                }
            audit_note(deployment_request_id=status.get("deployment_request_id"))
            lost = rules.FOUND_AFTER_LOST_ANSWER
        assert status is not None
        outcome, status, stopped = await self._follow(
            job, status, wait, progress, credential, execution_before=plan.newest_before
        )
        result: DeployResult = {
            **base,
            "outcome": outcome,
            "state": status.get("state"),
            "deployment_request_id": status.get("deployment_request_id"),
            "execution_id": status.get("execution_id"),
            "duration_seconds": round(self._clock() - started, 3),
            "status": status,
        }
        if outcome == "failed":
            result["log_tail"] = dict(await self._tail(job, status.get("execution_id"), credential))
        verdict = rules.deploy_verdict(
            job, plan.call, outcome, status, result.get("log_tail"), result["rollback"], plan.newest_before
        )
        result["message"] = lost + verdict + stopped
        return result

    # -- stop-job --------------------------------------------------------------------------------

    async def stop_job(
        self,
        job_id: Any,
        *,
        wait_seconds: Any = None,
        progress: Progress | None = None,
        credential: str | None = None,
        confirmer: Confirmer = NEVER_ASKS,
    ) -> StopResult | Passthrough:
        with steady_progress(progress, wait_seconds) as steady:
            return await self._stop_job(
                job_id, wait_seconds=wait_seconds, progress=steady, credential=credential, confirmer=confirmer
            )

    async def _stop_job(
        self,
        job_id: Any,
        *,
        wait_seconds: Any,
        progress: Progress | None,
        credential: str | None,
        confirmer: Confirmer,
    ) -> StopResult | Passthrough:
        job_id = validate_job_id(job_id)
        audit_note(job_id=job_id)
        wait = rules.check_whole_number("wait_seconds", wait_seconds, 0, rules.MAX_WAIT_SECONDS, 0)
        started = self._clock()
        sent = await run_write(
            StopSteps(self.calls, job_id, credential=credential),
            policy=self.confirm,
            confirmer=confirmer,
            locks=self.locks,
        )
        if isinstance(sent, Passthrough):
            return sent
        job = sent.plan.job
        base: StopResult = {
            "job_id": job_id,
            "name": str(job.get("name")),
            "outcome": "still-running",
            "message": "",
            "state": None,
            "deployment_request_id": None,
            "duration_seconds": 0.0,
        }
        if sent.trouble == "declined":
            return {**base, "outcome": "declined", "message": sent.message}
        if sent.trouble == "conflict":
            current = await self._status_or_none(job_id, credential)
            if current is not None and current.get("state") == "STOPPED":
                audit_note(outcome="applied", reason="already-stopped", status=None)
                return {
                    **base,
                    "outcome": "succeeded",
                    "state": "STOPPED",
                    "status": current,
                    "message": f"Job {job['name']!r} is already stopped; nothing was done.",
                }
            raise ConflictError(rules.conflict_sentence("stop", job, current), upstream_status=409)
        if sent.trouble == "lost":
            return {**base, "outcome": "unknown", "message": await self._lost("stop", job_id, credential)}
        status = sent.status
        assert status is not None
        outcome, status, stopped = await self._follow(job, status, wait, progress, credential)
        done = {"succeeded": "is stopped", "failed": f"failed to stop ({status.get('state')})"}
        return {
            **base,
            "outcome": outcome,
            "state": status.get("state"),
            "deployment_request_id": status.get("deployment_request_id"),
            "duration_seconds": round(self._clock() - started, 3),
            "status": status,
            "message": f"Job {job['name']!r} {done[outcome]}."
            if outcome in done
            else f"Qovery accepted the stop of job {job['name']!r}; it is {rules.state_since(status)}. "
            f"get-job-status will tell the end.{stopped}",
        }

    # -- reads -----------------------------------------------------------------------------------

    async def list_deployments(
        self, job_id: Any, *, limit: Any = None, credential: str | None = None
    ) -> DeploymentList:
        job_id = validate_job_id(job_id)
        limit = rules.check_whole_number("limit", limit, 1, MAX_DEPLOYMENT_LIMIT, DEFAULT_DEPLOYMENT_LIMIT)
        history = await self.calls.history(job_id, credential)
        return {
            "job_id": job_id,
            "results": history[:limit],
            "total": len(history),
            "truncated": len(history) > limit,
            "message": f"{min(limit, len(history))} of {len(history)} deployment(s), newest first."
            if history
            else "This job has no deployment yet.",
        }

    async def get_logs(
        self,
        job_id: Any,
        *,
        execution_id: Any = None,
        lines: Any = None,
        errors_only: Any = None,
        credential: str | None = None,
    ) -> JobLogs:
        job_id = validate_job_id(job_id)
        count = rules.check_whole_number("lines", lines, 1, MAX_LOG_LINES, DEFAULT_LOG_LINES)
        only_errors = rules.check_flag("errors_only", errors_only)
        execution_id = rules.check_execution_id(execution_id)
        job = await self.calls.job(job_id, credential)
        empty: JobLogs = {
            "job_id": job_id,
            "execution_id": execution_id,
            "lines": [],
            "omitted": 0,
            "message": "",
        }
        if execution_id is None:
            history = await self.calls.history(job_id, credential)
            if not history:
                return {**empty, "message": f"Job {job['name']!r} has no deployment yet, so it has no logs."}
            execution_id = rules.execution_id_of(history[0])
        entries = await self.calls.environment_logs(str(job["environment"]["id"]), credential)
        chosen = logs.select_lines(
            entries, job_id, execution_id=execution_id, lines=count, errors_only=only_errors
        )
        scrub = secrets_in_play(self.secrets, credential)
        shown = [logs.compact_line(line, scrub) for line in chosen["lines"]]
        if not shown:
            what = "error lines" if only_errors else "lines"
            message = (
                f"The environment's logs hold no {what} of execution {execution_id} of job {job['name']!r} "
                "(Qovery keeps an environment's last 1000 lines)."
            )
        else:
            left = f"; {chosen['omitted']} older line(s) left out" if chosen["omitted"] else ""
            message = f"{len(shown)} line(s) of execution {execution_id}, newest last{left}."
        return {
            **empty,
            "execution_id": execution_id,
            "lines": shown,
            "omitted": chosen["omitted"],
            "message": message,
        }

    # -- the parts -------------------------------------------------------------------------------

    async def _follow(
        self,
        job: Mapping[str, Any],
        status: dict[str, Any],
        wait: int,
        progress: Progress | None,
        credential: str | None,
        *,
        execution_before: str | None = None,
    ) -> tuple[rules.Outcome, dict[str, Any], str]:
        """Read the status until a final state or the end of the wait: one request at a time, backing off.

        Returns the outcome, the last status read, and why the wait stopped early ("" when it did not). The write
        was accepted before this runs, so a status that cannot be read (a 5xx after the client's retries, an
        unreadable answer) ends the wait with a sentence, never an error a caller would answer by sending again.
        """
        started = self._clock()
        job_id, name = str(job["id"]), f"Job {job.get('name')!r}"
        request_id = status.get("deployment_request_id")
        seen_executing = status.get("state") == "EXECUTING"
        outcome = rules.outcome_of(
            status, seen_executing=seen_executing, request_id=request_id, execution_before=execution_before
        )
        delay: float | None = None
        retry_after: float | None = None
        while outcome == "still-running":
            remaining = wait - (self._clock() - started)
            if remaining <= 0:
                break
            delay = rules.next_poll_delay(delay, retry_after=retry_after, remaining=remaining)
            await self._sleep(delay)
            restart_deadline()  # the wait is the caller's choice (`wait`): each poll gets QOVERY_DEADLINE anew
            try:
                current, retry_after = await self.calls.status(job_id, credential)
            except RateLimitedError as exc:
                retry_after = exc.retry_after_seconds
                continue
            except JobError as exc:
                return outcome, status, rules.wait_stopped_sentence(self._clock() - started, exc)
            if current.get("state") != status.get("state") and progress is not None:
                await progress(self._clock() - started, float(wait), f"{name}: {current.get('state')}")
            status = current
            seen_executing = seen_executing or status.get("state") == "EXECUTING"
            outcome = rules.outcome_of(
                status,
                seen_executing=seen_executing,
                request_id=request_id,
                execution_before=execution_before,
            )
        return outcome, status, ""

    async def _tail(self, job: Mapping[str, Any], execution_id: Any, credential: str | None) -> logs.LogTail:
        try:
            entries = await self.calls.environment_logs(str(job["environment"]["id"]), credential)
        except JobError:
            return {"lines": [], "errors": [], "omitted": 0}
        mine = logs.select_lines(entries, str(job["id"]), execution_id=execution_id, lines=len(entries))
        return logs.failure_tail(mine["lines"], secrets_in_play(self.secrets, credential))

    async def _status_or_none(self, job_id: str, credential: str | None) -> dict[str, Any] | None:
        """The status, to say what a 409 or a lost answer means; None when it cannot be read either (the
        sentence then says so, instead of the status read's error hiding what happened to the write)."""
        try:
            return (await self.calls.status(job_id, credential))[0]
        except JobError:
            return None

    async def _conflict(self, what: str, job: Mapping[str, Any], credential: str | None) -> ConflictError:
        status = await self._status_or_none(str(job["id"]), credential)
        return ConflictError(rules.conflict_sentence(what, job, status), upstream_status=409)

    async def _after_lost_answer(
        self, job_id: str, newest_before: str | None, credential: str | None
    ) -> dict[str, Any] | None:
        """The status of the deployment the lost request started, when the history shows a new one."""
        try:
            history = await self.calls.history(job_id, credential)
            status, _ = await self.calls.status(job_id, credential)
        except JobError:
            return None
        if history and rules.execution_id_of(history[0]) != newest_before:
            return status
        return None

    async def _lost(self, what: str, job_id: str, credential: str | None) -> str:
        return rules.lost_answer_sentence(what, await self._status_or_none(job_id, credential))
