"""deploy-job and stop-job as `WriteSteps` for the one write flow (write_flow.py).

The flow decides the order: read and validate, ask when the `--confirm` policy says so, re-read under the job's
lock, send. `send` here is only the one POST: following the deployment (up to 900 s) happens after the flow
returns, outside the lock, so a long wait never holds other writes to the job. A 409 and an unclear answer are
caught at the POST and carried out in `Sent`, so the operation says what runs or what the status shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from qovery_job_mcp.audit import note as audit_note
from qovery_job_mcp.operations import deploy_rules as rules
from qovery_job_mcp.operations.confirming import JobRef, Question, plan_hash
from qovery_job_mcp.operations.deploy_calls import DeployCalls
from qovery_job_mcp.operations.write_flow import Look
from qovery_job_mcp.operations.writes import job_version
from qovery_job_mcp.qovery.errors import ConflictError, JobError, OutcomeUnknownError

DEPLOY_LOST = "Qovery may have accepted the deploy: check list-job-deployments before retrying."
STOP_LOST = "Qovery may have accepted the stop: read get-job-status."


@dataclass(frozen=True)
class DeployPlan:
    """The job as read, the one request a deploy sends, and what the history said before it."""

    job: dict[str, Any]
    call: rules.DeployCall | None
    """None for a stop (its request has no arguments)."""
    previous: dict[str, str] | None = None
    newest_before: str | None = None
    """The execution id of the newest deployment before this one: a lost answer compares the history with it."""


@dataclass(frozen=True)
class Sent:
    """What the write flow hands back: the POST's 202 status, or why there is none."""

    plan: DeployPlan
    status: dict[str, Any] | None = None
    trouble: Literal["conflict", "lost", "declined"] | None = None
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class _PostOnce:
    """What deploy and stop share: the binding (the job's version) and sending the POST once, under the lock."""

    plan_is_sent = (
        False  # the POST is built from the caller's arguments and the validated id, not from the read
    )
    may_destroy = False  # a deploy or a stop replaces no settings: the policy asks as for an edit
    tool: str
    job_id: str
    calls: DeployCalls
    credential: str | None

    def binding(self, planned: DeployPlan) -> Mapping[str, str]:
        """The job's version and its newest deployment: a deploy or a stop changes the history, not the version, so
        a yes bound to the version alone could be sent back (2026-07-28's sealed state) and POST again. A digest of
        the deployment's id: the state is signed, not encrypted, and the id is Qovery's text."""
        return {"version": job_version(planned.job), "deployments": plan_hash(planned.newest_before)}

    def declined(self, planned: DeployPlan, message: str) -> Sent:
        return Sent(planned, trouble="declined", message=message)

    async def look_again(self, planned: DeployPlan) -> Look[Sent]:
        """Never reached: `post` turns a lost answer into `Sent(trouble="lost")` itself (a POST is never resent)."""
        return Look(landed=Sent(planned, trouble="lost"))

    async def post(self, planned: DeployPlan, action: str, params: Any, body: Any, consequence: str) -> Sent:
        try:
            status = await self.calls.start(
                self.job_id,
                action,
                params=params,
                body=body,
                credential=self.credential,
                consequence=consequence,
            )
        except ConflictError:
            audit_note(outcome="failed", reason="conflict", status=409)
            return Sent(planned, trouble="conflict")
        except OutcomeUnknownError:
            audit_note(outcome="unknown", reason="outcome-unknown")
            return Sent(planned, trouble="lost")
        audit_note(deployment_request_id=status.get("deployment_request_id"))
        return Sent(planned, status=status)


class DeploySteps(_PostOnce):
    """deploy-job: read the job and its history, check the arguments against it, POST deploy or redeploy."""

    tool = "deploy-job"
    what = "deploy a job"

    def __init__(
        self, calls: DeployCalls, job_id: str, arguments: Mapping[str, Any], *, credential: str | None
    ) -> None:
        self.calls = calls
        self.job_id = job_id
        self.arguments = dict(arguments)
        self.credential = credential

    async def read(self) -> DeployPlan:
        job = await self.calls.job(self.job_id, self.credential)
        audit_note(job_name=job.get("name"))
        call = rules.check_deploy_arguments(job, **self.arguments)
        history = await self.calls.history(self.job_id, self.credential)
        return DeployPlan(
            job=job,
            call=call,
            previous=rules.previous_version(history, rules.source_kind(job)),
            newest_before=rules.execution_id_of(history[0]) if history else None,
        )

    def question(self, planned: DeployPlan) -> Question:
        assert planned.call is not None
        return Question(
            tool=self.tool,
            job=JobRef.of(planned.job),
            action="deploy",
            consequence=f"{rules.deploy_question(planned.job, planned.call, planned.previous)}.",
            binding=self.binding(planned),
        )

    async def send(self, planned: DeployPlan) -> Sent:
        assert planned.call is not None
        call = planned.call
        return await self.post(planned, call.action, call.params, call.body, DEPLOY_LOST)


class StopSteps(_PostOnce):
    """stop-job: read the job, POST stop."""

    tool = "stop-job"
    what = "stop a job"

    def __init__(self, calls: DeployCalls, job_id: str, *, credential: str | None) -> None:
        self.calls = calls
        self.job_id = job_id
        self.credential = credential

    async def read(self) -> DeployPlan:
        job = await self.calls.job(self.job_id, self.credential)
        audit_note(job_name=job.get("name"))
        try:  # what a yes is bound to (so it cannot be replayed); a stop never waits on the history to go ahead
            history = await self.calls.history(self.job_id, self.credential)
        except JobError:
            history = []
        return DeployPlan(
            job=job, call=None, newest_before=rules.execution_id_of(history[0]) if history else None
        )

    def question(self, planned: DeployPlan) -> Question:
        return Question(
            tool=self.tool,
            job=JobRef.of(planned.job),
            action="stop",
            consequence=f"{rules.stop_question(planned.job)}: Qovery stops what runs of it now.",
            binding=self.binding(planned),
        )

    async def send(self, planned: DeployPlan) -> Sent:
        return await self.post(planned, "stop", None, None, STOP_LOST)
