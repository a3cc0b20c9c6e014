"""Confirmation, as a port of the core: the question, the verdict, and the `Confirmer` that asks.

The core decides when a write asks (`asks_before`, from the `--confirm` policy) and what it asks (a `Question`:
the tool, the job as the user knows it, what will happen, the lines of change, and a `binding` of what the answer
must still match). How the question reaches a person is an adapter's business: the MCP adapter asks through the
client in either protocol era (mid-call elicitation, or an `InputRequiredResult` the client answers on a retry);
REST has nobody to ask and passes `NEVER_ASKS`. A confirmer only answers; the core then re-reads the job under its
lock and applies the write only if the binding still holds (operations/write_flow.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final, Protocol, TypeVar

from qovery_job_mcp.config import ConfirmPolicy
from qovery_job_mcp.redaction import CUT

NOTHING_SENT: Final = "Nothing was sent to Qovery"
JOB_CHANGED: Final = "job_changed"
"""The reason of a yes that no longer applies: the job changed after the user was asked."""


def asks_before(policy: ConfirmPolicy, tool: str, *, destructive: bool = False) -> bool:
    """delete-job and a destructive write (an edit with `replace: true`, or one removing a whole section) ask under
    every policy but `off`, exactly like a delete; every other write asks under `writes` and `strict`."""
    if policy == "off":
        return False
    return tool == "delete-job" or destructive or policy in ("writes", "strict")


@dataclass(frozen=True)
class JobRef:
    """The job a question is about, as the user should recognise it."""

    id: str
    name: str
    type: str
    """CRON or LIFECYCLE, as Qovery names it."""

    def label(self) -> str:
        return f"{self.name!r} ({self.type}, id {self.id})"

    @classmethod
    def of(cls, job: Mapping[str, Any]) -> JobRef:
        """The job as a question names it; a name or type from Qovery is cut (marked, so the scrub that every
        question goes through still sees the head of a key at the cut): a question is read by a person, and a
        megabyte of name broke the client it was sent to."""
        return cls(id=str(job["id"]), name=_bounded(job.get("name")), type=_bounded(job.get("job_type")))


#: How much of a job's name or type a question quotes.
MAX_QUOTED_CHARS = 120


def _bounded(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_QUOTED_CHARS else text[:MAX_QUOTED_CHARS] + CUT


@dataclass(frozen=True)
class Question:
    """One question: "<action> job <name> (<type>, id <id>)?", what will happen, and what the answer is bound to.

    `binding` holds what may change under the user while they think (the job's `version`, `plan_hash(...)` of the
    planned request); the core recomputes it under the job's lock after a yes. The tool name and the job id are
    bound as well, always.
    """

    tool: str
    job: JobRef
    action: str
    """A verb phrase that fits "...to <action> job X": "delete", "edit"."""
    consequence: str = ""
    """What will happen, as a sentence: "Deletion cannot be undone." """
    changes: Sequence[str] = ()
    """For an edit: one line per change, "schedule: '0 * * * *' -> '15 * * * *'"."""
    binding: Mapping[str, str] = field(default_factory=dict)
    destructive: bool = False
    """The write destroys settings (a delete, a replace, a removed section): it asks under the default policy."""

    def what(self) -> str:
        return f"{self.action} job {self.job.label()}"

    def message(self) -> str:
        lines = [f"{self.action[:1].upper()}{self.action[1:]} job {self.job.label()}?"]
        if self.consequence:
            lines.append(self.consequence)
        if self.changes:
            lines.append("Changes:")
            lines.extend(f"- {change}" for change in self.changes)
        lines.append("Set confirm to true to go ahead.")
        return "\n".join(lines)


class Verdict(str, Enum):
    """What a confirmer came back with."""

    YES = "yes"
    NO = "no"
    CANNOT_ASK = "cannot-ask"
    """Nobody can be asked (REST, a client without form elicitation): the policy decides."""
    PENDING = "pending"
    """The question is on its way; the adapter returns `Reply.pending` as the call's result."""


@dataclass(frozen=True)
class Reply:
    """A confirmer's answer to one `Question`."""

    verdict: Verdict
    message: str = ""
    """A sentence for the model and the user: why not, why nobody could be asked, or what was confirmed."""
    reason: str = ""
    """For NO: the audit reason (declined, cancelled, state_expired, job_changed, ...); for CANNOT_ASK: why nobody
    could be asked (client_cannot_ask, nobody_to_ask), on the audit line next to `confirmed: not-asked`."""
    pending: Any = None
    """For PENDING: the adapter's own answer (MCP's `InputRequiredResult`), handed back through `Passthrough`."""


class Confirmer(Protocol):
    """Asks a person to confirm one write. It never sends anything to Qovery and never raises for a no."""

    async def confirm(self, question: Question) -> Reply: ...


class _NeverAsks:
    """The confirmer of a surface with nobody to ask (REST): every question is CANNOT_ASK."""

    async def confirm(self, question: Question) -> Reply:
        return Reply(
            Verdict.CANNOT_ASK, f"Nobody can be asked to confirm: {question.what()}.", reason="nobody_to_ask"
        )


NEVER_ASKS: Final[Confirmer] = _NeverAsks()


@dataclass(frozen=True)
class Passthrough:
    """Returned by an operation when its answer is for the adapter to send as it is (a pending question)."""

    value: Any


R = TypeVar("R")


def settled(result: R | Passthrough) -> R:
    """The result of a write run with a confirmer that never leaves a question pending (`NEVER_ASKS`)."""
    if isinstance(result, Passthrough):
        raise TypeError("a write left a question pending, but its confirmer never asks")
    return result


def plan_hash(request: Any) -> str:
    """A short, stable digest of a planned request (JSON-able), for `Question.binding`."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def changed_keys(asked: Mapping[str, Any], now: Mapping[str, Any]) -> tuple[str, ...]:
    """The binding keys whose values differ between what the user was asked about and the job as it is now."""
    return tuple(sorted(k for k in asked.keys() | now.keys() if asked.get(k) != now.get(k)))


def job_changed_sentence(question: Question, changed: Sequence[str]) -> str:
    return (
        f"{NOTHING_SENT}: job {question.job.label()} changed after the user was asked "
        f"({', '.join(changed)} no longer match), so the answer does not apply to the job as it is now. Call "
        "the tool again to review and confirm the current job."
    )


def strict_refusal(reply: Reply, what: str) -> str:
    """Policy `strict` and nobody could be asked: the sentence of the refusal."""
    return (
        f"{reply.message} This server's policy (QOVERY_MCP_CONFIRM=strict) requires the user's confirmation to "
        f"{what}, so nothing was sent to Qovery. Use a client that supports form elicitation, or ask the server's "
        "operator for another policy."
    )
