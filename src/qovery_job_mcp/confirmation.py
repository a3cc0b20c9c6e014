"""Ask the user to confirm a change to a job, in whichever protocol era the client speaks.

A tool builds a `Confirmation` (the job, what will happen, and a `binding` of what the answer must still match)
and awaits `ask(ctx, question)`. The user sees a form with exactly one boolean property, `confirm`:

- 2025-11-25 (handshake era): a standalone `elicitation/create` request (form mode) in the middle of the call;
  the answer comes back before `ask` returns.
- 2026-07-28: `ask` returns an `Answer` whose `input_required` (an `InputRequiredResult` carrying the elicitation
  and a `requestState`) the tool returns as its result. The client asks the user and calls the tool again with the
  answer and the state echoed; on that call `ask` reads both back and checks the state.

Sealing. The SDK always wraps `requestState` in its own envelope (`mcp.server.request_state.RequestStateBoundary`,
installed by every `MCPServer`) and refuses a bad one before the tool runs, with one frozen JSON-RPC error for every
reason. `StateSealer` is a codec for that envelope (`RequestStateSecurity(codec=...)`): HMAC-SHA256 over the envelope
plus a timestamp taken from an injectable clock, under `QOVERY_MCP_STATE_KEY` or a key made fresh per process. When a
state is altered, sealed under another key or older than the TTL, the sealer does not fail the request: it hands the
tool a refusal marker in place of the state, so `ask` can say which one it was. A refusal marker never carries the
original state, so it can only stop a call, never confirm one. What the SDK checks itself (the tool name and the
arguments the state was issued for, the server name, the caller) stays its frozen refusal: a state replayed onto
another job's call is refused before the tool runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final, Literal

from mcp import MCPError
from mcp.server.mcpserver import Context
from mcp.server.request_state import InvalidRequestState, RequestStateSecurity
from mcp.shared.exceptions import NoBackChannelError
from mcp.types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from mcp.types.version import is_version_at_least

__all__ = [
    "CONFIRM_SCHEMA",
    "INPUT_KEY",
    "STATE_KEY_VARIABLE",
    "STATE_TTL_SECONDS",
    "Answer",
    "Confirmation",
    "JobRef",
    "Outcome",
    "StateSealer",
    "ask",
    "compare",
    "load_state_key",
    "plan_hash",
    "state_key_warning",
]

STATE_KEY_VARIABLE: Final = "QOVERY_MCP_STATE_KEY"
STATE_TTL_SECONDS: Final = 300.0
MIN_KEY_BYTES: Final = 32

INPUT_KEY: Final = "confirm"
"""The key of the one elicitation in `InputRequiredResult.input_requests` (and of its answer)."""

CONFIRM_SCHEMA: Final[Mapping[str, Any]] = {
    "type": "object",
    "properties": {
        "confirm": {
            "type": "boolean",
            "title": "Confirm",
            "description": "true to go ahead; false to leave the job as it is.",
            "default": False,
        }
    },
    "required": ["confirm"],
}

_MODERN_VERSION: Final = "2026-07-28"
"""First revision that asks through `InputRequiredResult` instead of a mid-call `elicitation/create`."""

_STATE_FORMAT: Final = 1
_REFUSED: Final = "qovery-job-mcp/refused"
_TAG: Final = "qjm1."
_KID_LEN: Final = 8
_TS_LEN: Final = 8
_MAC_LEN: Final = 32
_HEADER_LEN: Final = _KID_LEN + _TS_LEN + _MAC_LEN
_MAC_LABEL: Final = b"qovery-job-mcp/request-state/v1/mac"
_KID_LABEL: Final = b"qovery-job-mcp/request-state/v1/kid"
_FUTURE_SKEW: Final = 60.0
"""Seconds a state's timestamp may run ahead of this server's clock (replica clocks drift)."""
_SDK_GRACE: Final = 60.0
"""The SDK envelope's own expiry trails ours by this much, so our check (and its sentence) always comes first."""


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
    JOB_CHANGED = "job_changed"
    """The user said yes, but the binding recomputed now (version, planned request) differs from the one asked about."""


_NO_ACTION: Final = frozenset(Outcome) - {Outcome.CONFIRMED, Outcome.UNSUPPORTED, Outcome.PENDING}


@dataclass(frozen=True)
class JobRef:
    """The job a question is about, as the user should recognise it."""

    id: str
    name: str
    type: str
    """CRON or LIFECYCLE, as Qovery names it."""

    def label(self) -> str:
        return f"{self.name!r} ({self.type}, id {self.id})"


@dataclass(frozen=True)
class Confirmation:
    """One question: "<action> job <name> (<type>, id <id>)?", what will happen, and what the answer is bound to.

    `binding` holds what may change under the user while they think (the job's `version`, `plan_hash(...)` of the
    planned request); it must be recomputed on the 2026-07-28 retry from the job as it is then. The tool name and the
    job id are bound as well, always.
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

    def message(self) -> str:
        lines = [f"{self.action[:1].upper()}{self.action[1:]} job {self.job.label()}?"]
        if self.consequence:
            lines.append(self.consequence)
        if self.changes:
            lines.append("Changes:")
            lines.extend(f"- {change}" for change in self.changes)
        lines.append("Set confirm to true to go ahead.")
        return "\n".join(lines)


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


def plan_hash(request: Any) -> str:
    """A short, stable digest of a planned request (JSON-able), for `Confirmation.binding`."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def load_state_key(environ: Mapping[str, str]) -> bytes | None:
    """The `QOVERY_MCP_STATE_KEY` value as bytes, or None when unset or blank.

    Raises:
        ValueError: The value is shorter than 32 bytes.
    """
    value = environ.get(STATE_KEY_VARIABLE, "").strip()
    if not value:
        return None
    key = value.encode()
    _check_key(key)
    return key


def state_key_warning(key: bytes | None, *, http: bool) -> str | None:
    """The warning to log at startup, or None when none is due (stdio, or a key was given)."""
    if key is not None or not http:
        return None
    return (
        f"{STATE_KEY_VARIABLE} is not set: confirmations are sealed with a key made for this process, so an answer "
        "that reaches another replica, or this one after a restart, is refused and the user is asked again. Set the "
        f"same {STATE_KEY_VARIABLE} (32 bytes or more) on every replica."
    )


def _check_key(key: bytes) -> None:
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"{STATE_KEY_VARIABLE} must be at least {MIN_KEY_BYTES} bytes; it is {len(key)}. "
            'Make one with: python -c "import secrets; print(secrets.token_hex(32))"'
        )


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64u_decode(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64u(raw) != text:
        raise ValueError("non-canonical base64url")
    return raw


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


class StateSealer:
    """Seals the SDK's `requestState` envelope with HMAC-SHA256 and a timestamp; a `RequestStateCodec`.

    Token: "qjm1." + base64url(key id (8) | milliseconds since the epoch (8) | HMAC (32) | envelope), the HMAC over
    everything but itself. The envelope is signed, not encrypted: a client can read it (tool, job id, version,
    plan hash), not change it.

    `clock` returns seconds since the epoch (like `time.time`, which the SDK uses for its own envelope claims).
    """

    def __init__(
        self,
        key: bytes | None = None,
        *,
        ttl: float = STATE_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if key is not None:
            _check_key(key)
        if not (math.isfinite(ttl) and ttl > 0):
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl!r}")
        self.ephemeral = key is None
        secret = os.urandom(32) if key is None else bytes(key)
        self._mac_key = hmac.new(secret, _MAC_LABEL, hashlib.sha256).digest()
        self._kid = hmac.new(secret, _KID_LABEL, hashlib.sha256).digest()[:_KID_LEN]
        self.ttl = ttl
        self._clock = clock

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], **kwargs: Any) -> StateSealer:
        return cls(load_state_key(environ), **kwargs)

    def request_state_security(self) -> RequestStateSecurity:
        """The policy to hand `MCPServer(..., request_state_security=...)`; replicas need the same server name."""
        return RequestStateSecurity(codec=self, ttl=self.ttl + _SDK_GRACE)

    def _mac(self, kid: bytes, stamp: bytes, payload: bytes) -> bytes:
        return hmac.new(self._mac_key, _TAG.encode() + kid + stamp + payload, hashlib.sha256).digest()

    def seal(self, payload: bytes) -> str:
        stamp = int(self._clock() * 1000).to_bytes(_TS_LEN, "big", signed=True)
        return _TAG + _b64u(self._kid + stamp + self._mac(self._kid, stamp, payload) + payload)

    def unseal(self, token: str) -> bytes:
        """The envelope if authentic and fresh; otherwise the envelope with its state swapped for a refusal marker.

        Raises:
            InvalidRequestState: Not a token of this format at all (the SDK then refuses the request itself).
        """
        if not token.startswith(_TAG):
            raise InvalidRequestState("malformed")
        try:
            raw = _b64u_decode(token[len(_TAG) :])
        except ValueError:
            raise InvalidRequestState("malformed") from None
        if len(raw) <= _HEADER_LEN:
            raise InvalidRequestState("malformed")
        kid, stamp = raw[:_KID_LEN], raw[_KID_LEN : _KID_LEN + _TS_LEN]
        mac, payload = raw[_KID_LEN + _TS_LEN : _HEADER_LEN], raw[_HEADER_LEN:]
        if not hmac.compare_digest(kid, self._kid):
            return self._refusal(payload, "foreign_key")
        if not hmac.compare_digest(mac, self._mac(kid, stamp, payload)):
            return self._refusal(payload, "tampered")
        age = self._clock() - int.from_bytes(stamp, "big", signed=True) / 1000
        if age < -_FUTURE_SKEW:
            return self._refusal(payload, "future", age=age)
        if age >= self.ttl:
            return self._refusal(payload, "expired", age=age)
        return payload

    def _refusal(self, payload: bytes, reason: str, *, age: float | None = None) -> bytes:
        """Keep the envelope's request binding (the SDK still checks it) and replace its state with why it failed."""
        try:
            envelope = json.loads(payload)
        except ValueError:
            raise InvalidRequestState("malformed") from None
        if not isinstance(envelope, dict):
            raise InvalidRequestState("malformed")
        marker: dict[str, Any] = {_REFUSED: reason, "ttl": self.ttl, "ephemeral": self.ephemeral}
        if age is not None:
            marker["age"] = round(age)
        now = time.time()  # the SDK checks its claims against time.time, not against our clock
        envelope.update(s=_compact(marker), iat=now, exp=now + _SDK_GRACE)
        return _compact(envelope).encode()


async def ask(
    ctx: Context[Any, Any],
    question: Confirmation,
    *,
    recheck: Callable[[], Awaitable[Mapping[str, str]]] | None = None,
) -> Answer:
    """Ask the user to confirm `question`, in the client's protocol era.

    On 2026-07-28 the first call returns PENDING: return `answer.input_required` from the tool. The client's retry
    runs the tool again; build `question` again from the job as it is then, and this call reads the answer back.

    `recheck`, when given, is awaited after a yes that arrived within this call (2025-11-25) and returns the
    binding recomputed from the job as it is now; a difference gives JOB_CHANGED. On 2026-07-28 the retry's own
    `question.binding` is that recomputation.
    """
    try:
        request = ctx.request_context
    except ValueError:
        return _answer(Outcome.UNSUPPORTED, question, detail="no client is attached to this call")
    if is_version_at_least(request.protocol_version, _MODERN_VERSION):
        state = ctx.request_state
        if state is not None:
            return _read_back(ctx, question, state)
        if not _can_elicit_form(ctx):
            return _answer(Outcome.UNSUPPORTED, question)
        return _pending(question)
    if not _can_elicit_form(ctx):
        return _answer(Outcome.UNSUPPORTED, question)
    try:
        result = await request.session.elicit_form(
            message=question.message(), requested_schema=_schema(), related_request_id=request.request_id
        )
    except NoBackChannelError:
        return _answer(
            Outcome.UNSUPPORTED, question, detail="this connection cannot carry a question mid-call"
        )
    except MCPError as exc:
        return _answer(Outcome.ELICITATION_FAILED, question, detail=exc.message)
    answer = _from_result(result, question)
    if answer.confirmed and recheck is not None:
        return compare(question, dict(question.binding), dict(await recheck()))
    return answer


def _schema() -> dict[str, Any]:
    """A fresh copy of `CONFIRM_SCHEMA` for each request."""
    schema: dict[str, Any] = json.loads(_compact(CONFIRM_SCHEMA))
    return schema


def _can_elicit_form(ctx: Context[Any, Any]) -> bool:
    """Form elicitation declared; a bare `elicitation: {}` (before modes existed) counts, url-only does not."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _pending(question: Confirmation) -> Answer:
    state: dict[str, Any] = {
        "confirmation": _STATE_FORMAT,
        "tool": question.tool,
        "job": question.job.id,
        "binding": dict(question.binding),
    }
    form = ElicitRequestFormParams(message=question.message(), requested_schema=_schema())
    result = InputRequiredResult(
        input_requests={INPUT_KEY: ElicitRequest(params=form)}, request_state=_compact(state)
    )
    return _answer(Outcome.PENDING, question, input_required=result)


def _read_back(ctx: Context[Any, Any], question: Confirmation, state: str) -> Answer:
    try:
        decoded = json.loads(state)
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict):
        return _answer(Outcome.STATE_UNREADABLE, question)
    refused = decoded.get(_REFUSED)
    if refused is not None:
        return _refused(question, decoded)
    binding = decoded.get("binding")
    if (
        decoded.get("confirmation") != _STATE_FORMAT
        or not isinstance(decoded.get("tool"), str)
        or not isinstance(decoded.get("job"), str)
        or not isinstance(binding, dict)
    ):
        return _answer(Outcome.STATE_UNREADABLE, question)
    if decoded["tool"] != question.tool or decoded["job"] != question.job.id:
        issued = f"{decoded['tool']} on job id {decoded['job']}"
        return _answer(Outcome.STATE_OTHER_TARGET, question, detail=issued)
    response = (ctx.input_responses or {}).get(INPUT_KEY)
    if response is None:
        return _pending(question)  # retried without an answer: ask again, under a fresh state
    if not isinstance(response, ElicitResult):
        return _answer(Outcome.INVALID_ANSWER, question)
    answer = _from_result(response, question)
    if not answer.confirmed:
        return answer
    return compare(question, binding, dict(question.binding))


def _from_result(result: ElicitResult, question: Confirmation) -> Answer:
    if result.action == "decline":
        return _answer(Outcome.DECLINED, question)
    if result.action == "cancel":
        return _answer(Outcome.CANCELLED, question)
    confirm = (result.content or {}).get("confirm")
    if not isinstance(confirm, bool):
        return _answer(Outcome.INVALID_ANSWER, question)
    return _answer(Outcome.CONFIRMED if confirm else Outcome.NOT_CONFIRMED, question)


def compare(question: Confirmation, asked: Mapping[str, Any], now: Mapping[str, Any]) -> Answer:
    """CONFIRMED when the binding the user was asked about still holds now; JOB_CHANGED, naming what differs, if not."""
    changed = tuple(sorted(k for k in asked.keys() | now.keys() if asked.get(k) != now.get(k)))
    if changed:
        return _answer(Outcome.JOB_CHANGED, question, changed=changed)
    return _answer(Outcome.CONFIRMED, question)


def _refused(question: Confirmation, marker: Mapping[str, Any]) -> Answer:
    reason = marker.get(_REFUSED)
    ttl = marker.get("ttl")
    minutes = _duration(ttl if isinstance(ttl, int | float) else STATE_TTL_SECONDS)
    if reason == "expired":
        return _answer(Outcome.STATE_EXPIRED, question, detail=f"an answer is accepted for {minutes}")
    if reason == "future":
        return _answer(
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
        return _answer(Outcome.STATE_FOREIGN_KEY, question, detail=hint)
    if reason == "tampered":
        return _answer(Outcome.STATE_TAMPERED, question)
    return _answer(Outcome.STATE_UNREADABLE, question)


def _duration(seconds: float) -> str:
    if seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


_NOTHING_SENT: Final = "Nothing was sent to Qovery"
_ASK_AGAIN: Final = "Call the tool again to ask the user anew."


def _answer(
    outcome: Outcome,
    question: Confirmation,
    *,
    detail: str = "",
    input_required: InputRequiredResult | None = None,
    changed: tuple[str, ...] = (),
) -> Answer:
    what = f"{question.action} job {question.job.label()}"
    sentences: dict[Outcome, str] = {
        Outcome.CONFIRMED: f"The user confirmed: {what}.",
        Outcome.DECLINED: f"{_NOTHING_SENT}: the user declined to {what}.",
        Outcome.CANCELLED: f"{_NOTHING_SENT}: the user dismissed the question whether to {what} without answering.",
        Outcome.NOT_CONFIRMED: f"{_NOTHING_SENT}: asked whether to {what}, the user answered confirm = false.",
        Outcome.INVALID_ANSWER: (
            f"{_NOTHING_SENT}: the client's answer to the question whether to {what} did not carry a true or "
            "false `confirm`."
        ),
        Outcome.ELICITATION_FAILED: (
            f"{_NOTHING_SENT}: the client could not show the user the question whether to {what} ({detail})."
        ),
        Outcome.UNSUPPORTED: (
            f"This client cannot ask the user to confirm ({detail or 'it did not declare form elicitation'}), "
            f"so the server could not ask whether to {what}."
        ),
        Outcome.PENDING: f"Waiting for the user to confirm: {what}.",
        Outcome.STATE_TAMPERED: (
            f"{_NOTHING_SENT}: the confirmation state sent back was altered after this server issued it, so the "
            f"answer cannot be trusted. {_ASK_AGAIN}"
        ),
        Outcome.STATE_EXPIRED: f"{_NOTHING_SENT}: the confirmation expired ({detail}). {_ASK_AGAIN}",
        Outcome.STATE_FOREIGN_KEY: (
            f"{_NOTHING_SENT}: the confirmation state was sealed with another key, by another server instance or "
            f"before a restart ({detail}). {_ASK_AGAIN}"
        ),
        Outcome.STATE_OTHER_TARGET: (
            f"{_NOTHING_SENT}: the confirmation state was issued for {detail}, not for {question.tool} on job "
            f"{question.job.label()}. Call the tool again to ask about this job."
        ),
        Outcome.STATE_UNREADABLE: (
            f"{_NOTHING_SENT}: the state sent back is not a confirmation this server can read. {_ASK_AGAIN}"
        ),
        Outcome.JOB_CHANGED: (
            f"{_NOTHING_SENT}: job {question.job.label()} changed after the user was asked "
            f"({', '.join(changed)} no longer match), so the answer does not apply to the job as it is now. Call "
            "the tool again to review and confirm the current job."
        ),
    }
    return Answer(outcome, sentences[outcome], input_required=input_required, changed=changed)
