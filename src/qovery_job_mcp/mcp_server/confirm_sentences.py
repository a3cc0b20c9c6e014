"""What came of asking, in the MCP adapter's terms, and the sentence for each outcome.

`Outcome` tells every way a question can end apart (for the audit line and the tests); `Answer` carries it with its
sentence and, on a first 2026-07-28 leg, the `InputRequiredResult` to return. The core only sees the verdict
(eliciting.McpConfirmer folds an Answer into a `Reply`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, Literal

from mcp.types import InputRequiredResult

from qovery_job_mcp.mcp_server.sealing import REFUSED, STATE_KEY_VARIABLE, STATE_TTL_SECONDS
from qovery_job_mcp.operations.confirming import JOB_CHANGED, NOTHING_SENT, Question, job_changed_sentence


class Outcome(str, Enum):
    """What came of a confirmation. `Answer.audit` folds these into yes / no for the audit log."""

    CONFIRMED = "confirmed"
    """The user accepted the form with confirm = true (and the job is still what they were shown)."""
    DECLINED = "declined"
    CANCELLED = "cancelled"
    NOT_CONFIRMED = "not_confirmed"
    """The user accepted the form with confirm = false."""
    INVALID_ANSWER = "invalid_answer"
    """The form was accepted without a true/false `confirm`."""
    UNANSWERED = "unanswered"
    """No answer came to a mid-call question in time (or the server is shutting down): counts as dismissed."""
    ELICITATION_FAILED = "elicitation_failed"
    """The client declared elicitation but answered the request with an error."""
    UNSUPPORTED = "unsupported"
    """The client cannot ask (no form elicitation capability, or no channel for it): the caller's policy decides."""
    PENDING = "pending"
    """2026-07-28 first leg: return `Answer.input_required` from the tool."""
    STATE_TAMPERED = "state_tampered"
    STATE_EXPIRED = "state_expired"
    STATE_FOREIGN_KEY = "state_foreign_key"
    STATE_OTHER_TARGET = "state_other_target"
    """The state is authentic but was issued for another tool or job."""
    STATE_UNREADABLE = "state_unreadable"
    """The state is authentic but is not a confirmation this server version can read."""
    JOB_CHANGED = JOB_CHANGED
    """The user said yes, but the binding recomputed now (version, planned request) differs from the one asked about."""


_NO_ACTION: Final = frozenset(Outcome) - {Outcome.CONFIRMED, Outcome.UNSUPPORTED, Outcome.PENDING}


@dataclass(frozen=True)
class Answer:
    """The outcome of `ask`, a sentence for the model and user, and on a first 2026-07-28 leg the result to return."""

    outcome: Outcome
    message: str
    input_required: InputRequiredResult | None = None
    """Set only when `outcome` is PENDING: the tool returns it as its result."""
    changed: tuple[str, ...] = ()
    """For JOB_CHANGED: the binding keys whose values differ."""

    @property
    def confirmed(self) -> bool:
        return self.outcome is Outcome.CONFIRMED

    @property
    def audit(self) -> Literal["yes", "no"] | None:
        """The audit verdict: yes, no (`reason` says why), or None while pending or when the client cannot ask."""
        if self.outcome is Outcome.CONFIRMED:
            return "yes"
        return "no" if self.outcome in _NO_ACTION else None

    @property
    def reason(self) -> str:
        return self.outcome.value


def refused_answer(question: Question, marker: Mapping[str, Any]) -> Answer:
    reason = marker.get(REFUSED)
    ttl = marker.get("ttl")
    minutes = _duration(ttl if isinstance(ttl, int | float) else STATE_TTL_SECONDS)
    if reason == "expired":
        return answer_for(Outcome.STATE_EXPIRED, question, detail=f"an answer is accepted for {minutes}")
    if reason == "future":
        return answer_for(
            Outcome.STATE_EXPIRED,
            question,
            detail="its timestamp is ahead of this server's clock (the replicas' clocks disagree)",
        )
    if reason == "foreign_key":
        if marker.get("ephemeral"):
            hint = (
                f"this server has no {STATE_KEY_VARIABLE}, so each process seals with its own key; set the same "
                "key on every replica"
            )
        else:
            hint = f"every replica must be given the same {STATE_KEY_VARIABLE}"
        return answer_for(Outcome.STATE_FOREIGN_KEY, question, detail=hint)
    if reason == "tampered":
        return answer_for(Outcome.STATE_TAMPERED, question)
    return answer_for(Outcome.STATE_UNREADABLE, question)


def _duration(seconds: float) -> str:
    if seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


_ASK_AGAIN: Final = "Call the tool again to ask the user anew."


def answer_for(
    outcome: Outcome,
    question: Question,
    *,
    detail: str = "",
    input_required: InputRequiredResult | None = None,
    changed: tuple[str, ...] = (),
) -> Answer:
    what = question.what()
    sentences: dict[Outcome, str] = {
        Outcome.CONFIRMED: f"The user confirmed: {what}.",
        Outcome.DECLINED: f"{NOTHING_SENT}: the user declined to {what}.",
        Outcome.CANCELLED: f"{NOTHING_SENT}: the user dismissed the question whether to {what} without answering.",
        Outcome.NOT_CONFIRMED: f"{NOTHING_SENT}: asked whether to {what}, the user answered confirm = false.",
        Outcome.INVALID_ANSWER: (
            f"{NOTHING_SENT}: the client's answer to the question whether to {what} did not carry a true or "
            "false `confirm`."
        ),
        Outcome.UNANSWERED: (
            f"{NOTHING_SENT}: no answer came to the question whether to {what} ({detail}), so it counts as "
            f"dismissed. {_ASK_AGAIN}"
        ),
        Outcome.ELICITATION_FAILED: (
            f"{NOTHING_SENT}: the client could not show the user the question whether to {what} ({detail})."
        ),
        Outcome.UNSUPPORTED: (
            f"This client cannot ask the user to confirm ({detail or 'it did not declare form elicitation'}), "
            f"so the server could not ask whether to {what}."
        ),
        Outcome.PENDING: f"Waiting for the user to confirm: {what}.",
        Outcome.STATE_TAMPERED: (
            f"{NOTHING_SENT}: the confirmation state sent back was altered after this server issued it, so the "
            f"answer cannot be trusted. {_ASK_AGAIN}"
        ),
        Outcome.STATE_EXPIRED: f"{NOTHING_SENT}: the confirmation expired ({detail}). {_ASK_AGAIN}",
        Outcome.STATE_FOREIGN_KEY: (
            f"{NOTHING_SENT}: the confirmation state was sealed with another key, by another server instance or "
            f"before a restart ({detail}). {_ASK_AGAIN}"
        ),
        Outcome.STATE_OTHER_TARGET: (
            f"{NOTHING_SENT}: the confirmation state was issued for {detail}, not for {question.tool} on job "
            f"{question.job.label()}. Call the tool again to ask about this job."
        ),
        Outcome.STATE_UNREADABLE: (
            f"{NOTHING_SENT}: the state sent back is not a confirmation this server can read. {_ASK_AGAIN}"
        ),
        Outcome.JOB_CHANGED: job_changed_sentence(question, changed),
    }
    return Answer(outcome, sentences[outcome], input_required=input_required, changed=changed)
