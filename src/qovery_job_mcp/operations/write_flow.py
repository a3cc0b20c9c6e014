"""The one write flow: plan, ask when the policy says so, re-check under the job's lock, send.

Every write operation (edit-job, delete-job, and the next ones) describes itself as `WriteSteps` and runs through
`run_write`; no write and no adapter branches on the `--confirm` policy. What plugs in, and where:

- how a person is asked: the `Confirmer` the adapter passes (operations/confirming.py);
- how writes to one job are serialized: the `JobLocks` given to `JobOperations` (operations/locks.py);
- what is sent: `WriteSteps.send`, the only step that writes to Qovery, always under the lock and always on a plan
  read under that same lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from qovery_job_mcp.audit import note as audit_note
from qovery_job_mcp.config import ConfirmPolicy
from qovery_job_mcp.operations.confirming import (
    JOB_CHANGED,
    Confirmer,
    Passthrough,
    Question,
    Reply,
    Verdict,
    asks_before,
    changed_keys,
    job_changed_sentence,
    strict_refusal,
)
from qovery_job_mcp.operations.locks import JobLocks
from qovery_job_mcp.qovery.client import restart_deadline
from qovery_job_mcp.qovery.errors import ConfirmationRequiredError, JobError, OutcomeUnknownError

P = TypeVar("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


@dataclass(frozen=True)
class Look(Generic[R_co]):
    """What a fresh read shows after a send whose answer was lost (`WriteSteps.look_again`)."""

    landed: R_co | None = None
    """The write shows in the job as planned: the result to return (saying the answer was lost)."""
    unchanged: bool = False
    """The job is exactly as it was read before the send (its version still matches): sending once more is safe."""
    found: str = ""
    """Otherwise, what the fresh read shows, for the "may have landed" sentence."""


class WriteSteps(Protocol, Generic[P, R_co]):
    """What one write operation knows about itself; `run_write` decides the order and the checks."""

    tool: str
    job_id: str
    what: str
    """For the strict refusal: "delete a job", "edit a job"."""
    plan_is_sent: bool
    may_destroy: bool
    """True when the arguments alone say the write may destroy settings (a delete, `replace: true`, a null in an
    edit): it is then planned before the lock, and its `Question.destructive` decides whether the policy asks."""
    """True when `send` sends what `read` planned (an edit's full request): that plan must then be read under the
    lock. False when the read only names the target (a delete): a plan read just before the lock, with nobody
    asked in between, is sent as it is, as it was before (one GET, one DELETE)."""

    async def read(self) -> P:
        """Read the job and plan the write (raises a JobError to stop it)."""
        ...

    def question(self, planned: P) -> Question | None:
        """What to ask about this plan; None when there is nothing to confirm (no job, no change)."""
        ...

    def binding(self, planned: P) -> Mapping[str, str] | None:
        """What a yes is bound to, recomputed from a plan; None when the job is gone."""
        ...

    async def send(self, planned: P) -> R_co:
        """Send the planned write (or say why nothing needs sending). Called only under the job's lock."""
        ...

    def declined(self, planned: P, message: str) -> R_co:
        """The result of a write the user (or the job's change since) stopped."""
        ...

    async def look_again(self, planned: P) -> Look[R_co]:
        """Read the job again after `send` raised OutcomeUnknownError: did the write land, or is it as before?"""
        ...


async def run_write(
    steps: WriteSteps[P, R], *, policy: ConfirmPolicy, confirmer: Confirmer, locks: JobLocks
) -> R | Passthrough:
    """Run one write: straight under the lock when the policy does not ask, else ask first and re-check."""
    if not asks_before(policy, steps.tool, destructive=steps.may_destroy):
        async with locks.hold(steps.job_id):
            return await _send(steps, await steps.read())
    planned = await steps.read()
    question = steps.question(planned)
    if question is None:  # nothing to confirm (no job, no change): send sends nothing either
        async with locks.hold(steps.job_id):
            return await steps.send(planned)
    if not asks_before(
        policy, steps.tool, destructive=question.destructive
    ):  # a null that removes no section
        async with locks.hold(steps.job_id):
            return await _send(steps, await steps.read() if steps.plan_is_sent else planned)
    reply = await confirmer.confirm(question)
    if reply.verdict is Verdict.PENDING:
        return Passthrough(reply.pending)
    if reply.verdict is Verdict.CANNOT_ASK:
        audit_note(confirmed="not-asked", reason=reply.reason or "cannot_ask")
        if policy == "strict":
            raise ConfirmationRequiredError(strict_refusal(reply, steps.what))
    elif reply.verdict is Verdict.NO:
        # A yes to a job that has changed since is refused all the same, but audited as the yes it was.
        said = "yes" if reply.reason == JOB_CHANGED else "no"
        audit_note(confirmed=said, outcome="refused", reason=reply.reason)
        return steps.declined(planned, reply.message)
    else:
        audit_note(confirmed="yes")
        restart_deadline()  # the time the user took to answer is not counted against Qovery's deadline
    async with locks.hold(steps.job_id):
        if reply.verdict is Verdict.CANNOT_ASK:  # nobody was asked: no time passed since the read
            sent = await _send(steps, await steps.read() if steps.plan_is_sent else planned)
            return _not_asked(sent, reply, policy)
        now = await steps.read()  # time passed while the user thought: is it still that job?
        binding = steps.binding(now)
        if binding is not None:
            changed = changed_keys(question.binding, binding)
            if changed:
                audit_note(outcome="refused", reason=JOB_CHANGED)
                return steps.declined(now, job_changed_sentence(question, changed))
        return await _send(steps, now)


def _not_asked(result: R, reply: Reply, policy: ConfirmPolicy) -> R:
    """A write that went ahead with nobody asked says so in its result, as its audit line does."""
    if isinstance(result, dict) and isinstance(result.get("message"), str):
        result["confirmed"] = "not-asked"
        result["message"] = (
            f"{result['message']} Not confirmed by anyone: {reply.message} It went ahead under the `{policy}` "
            "policy (`--confirm strict` refuses instead)."
        )
    return result


async def _send(steps: WriteSteps[P, R], planned: P) -> R:
    """Send once; when the answer is lost, read the job again before anything else (never a blind resend).

    The fresh read shows the write as planned: it landed (the result says the answer was lost). It shows the job
    exactly as read before (the version the caller gave, or the first read's, still matches): nothing landed, and
    the write is sent once more. Anything else: it may have landed, and the error says what the read shows.
    """
    try:
        return await steps.send(planned)
    except OutcomeUnknownError as first:
        lost = first
    look = await _look_again(steps, planned)
    if look.unchanged:
        audit_note(reason="resent_after_lost_answer")
        try:
            return await steps.send(planned)
        except OutcomeUnknownError as again:  # lost twice: no third send, whatever the read shows
            lost = again
        look = await _look_again(steps, planned)
    if look.landed is not None:
        audit_note(reason="answer_lost")
        return look.landed
    raise OutcomeUnknownError(
        f"{lost.message} A fresh read shows {look.found or 'the job as it was before'}. Read the job "
        "(get-job-id) before deciding whether to retry.",
        upstream_status=lost.upstream_status,
    )


async def _look_again(steps: WriteSteps[P, R], planned: P) -> Look[R]:
    try:
        return await steps.look_again(planned)
    except JobError as failed:
        found = f"nothing: reading the job again failed too ({failed.message})"
        return Look(found=found)
