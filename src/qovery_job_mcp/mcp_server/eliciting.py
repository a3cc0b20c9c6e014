"""The MCP adapter's `Confirmer`: ask the user through the client, in whichever protocol era it speaks.

The user sees a form with exactly one boolean property, `confirm`:

- 2025-11-25 (handshake era): a standalone `elicitation/create` request (form mode) in the middle of the call;
  the answer comes back before `ask` returns.
- 2026-07-28: `ask` returns an `Answer` whose `input_required` (an `InputRequiredResult` carrying the elicitation
  and a `requestState`, sealed by sealing.StateSealer) the tool returns as its result. The client asks the user
  and calls the tool again with the answer and the state echoed; on that call `ask` reads both back and checks the
  state against the question rebuilt from the job as it is then. Each state carries a random nonce, and
  an answered state is used once: `McpConfirmer` records its nonce in the state store (single_use.py)
  before reading the answer, so a second answer with the same state, on any replica, sends nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from secrets import token_urlsafe
from typing import Any, Final

import anyio
from mcp import MCPError
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import NoBackChannelError
from mcp.types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from mcp.types.version import is_version_at_least

from qovery_job_mcp.mcp_server.confirm_sentences import Answer, Outcome, answer_for, refused_answer
from qovery_job_mcp.mcp_server.sealing import REFUSED, compact
from qovery_job_mcp.mcp_server.single_use import UsedStates
from qovery_job_mcp.operations.confirming import Question, Reply, Verdict, changed_keys
from qovery_job_mcp.redaction import redact

__all__ = ["CONFIRM_SCHEMA", "INPUT_KEY", "McpConfirmer", "ask", "compare", "scrubbed"]

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

QUESTION_TIMEOUT_SECONDS: Final = 300.0
"""How long a mid-call question (2025-11-25) waits for its answer, as long as a 2026-07-28 state is accepted; an
unanswered question then counts as dismissed, and nothing is sent."""

_WAITING: set[anyio.CancelScope] = set()
"""The mid-call questions waiting for an answer in this process (`dismiss_waiting_questions` ends them)."""
_DISMISSED: list[bool] = [False]


def _draining() -> bool:
    return _DISMISSED[0]


def dismiss_waiting_questions() -> None:
    """On SIGTERM: every question still waiting counts as unanswered, so its call ends and the drain can finish."""
    _DISMISSED[0] = True
    for waiting in list(_WAITING):
        waiting.cancel()


class McpConfirmer:
    """The `Confirmer` of one MCP tool call: asks through `ctx`'s client; its verdict is all the core sees.

    `secrets` are the ones in play for this call: the question quotes the job's name and values as Qovery sent
    them, so it is scrubbed (`scrubbed`) before either era's form carries it to the client (and the SDK's DEBUG log).
    `used` records answered states (single_use.py): a state answered before is refused, nothing sent.
    """

    def __init__(
        self, ctx: Context[Any, Any], secrets: tuple[str, ...] = (), used: UsedStates | None = None
    ) -> None:
        self.ctx = ctx
        self.secrets = secrets
        self.used = used

    async def confirm(self, question: Question) -> Reply:
        nonce = answered_nonce(self.ctx) if self.used is not None else None
        if self.used is not None and nonce is not None:
            await self.used.first_answer(nonce)  # StateAlreadyUsedError: this yes (or no) was given before
        answer = await ask(self.ctx, scrubbed(question, self.secrets))
        if answer.outcome is Outcome.PENDING:
            return Reply(Verdict.PENDING, answer.message, pending=answer.input_required)
        if answer.outcome is Outcome.UNSUPPORTED:
            return Reply(Verdict.CANNOT_ASK, answer.message, reason="client_cannot_ask")
        if answer.confirmed:
            return Reply(Verdict.YES, answer.message)
        return Reply(Verdict.NO, answer.message, reason=answer.reason)


def scrubbed(question: Question, secrets: tuple[str, ...]) -> Question:
    """The question with every secret in play redacted from every text it shows: the one scrub for both eras."""
    if not secrets:
        return question
    job = replace(
        question.job, name=redact(question.job.name, secrets), type=redact(question.job.type, secrets)
    )
    return replace(
        question,
        job=job,
        consequence=redact(question.consequence, secrets),
        changes=tuple(redact(change, secrets) for change in question.changes),
    )


async def ask(
    ctx: Context[Any, Any],
    question: Question,
    *,
    recheck: Callable[[], Awaitable[Mapping[str, str]]] | None = None,
    answer_within: float = QUESTION_TIMEOUT_SECONDS,
) -> Answer:
    """Ask the user to confirm `question`, in the client's protocol era.

    On 2026-07-28 the first call returns PENDING: return `answer.input_required` from the tool. The client's retry
    runs the tool again; build `question` again from the job as it is then, and this call reads the answer back.

    A mid-call question waits `answer_within` seconds at most (and ends at once on SIGTERM): unanswered, it counts as
    dismissed (Outcome.UNANSWERED), and nothing is sent.

    `recheck`, when given, is awaited after a yes that arrived within this call (2025-11-25) and returns the
    binding recomputed from the job as it is now; a difference gives JOB_CHANGED. On 2026-07-28 the retry's own
    `question.binding` is that recomputation.
    """
    try:
        request = ctx.request_context
    except ValueError:
        return answer_for(Outcome.UNSUPPORTED, question, detail="no client is attached to this call")
    if is_version_at_least(request.protocol_version, _MODERN_VERSION):
        state = ctx.request_state
        if state is not None:
            return _read_back(ctx, question, state)
        if not _can_elicit_form(ctx):
            return answer_for(Outcome.UNSUPPORTED, question)
        return _pending(question)
    if not _can_elicit_form(ctx):
        return answer_for(Outcome.UNSUPPORTED, question)
    try:
        with anyio.move_on_after(answer_within) as waiting:
            _WAITING.add(waiting)
            try:
                result = await request.session.elicit_form(
                    message=question.message(),
                    requested_schema=_schema(),
                    related_request_id=request.request_id,
                )
            finally:
                _WAITING.discard(waiting)
        if waiting.cancelled_caught:
            why = "the server is shutting down" if _draining() else None
            return answer_for(Outcome.UNANSWERED, question, detail=why or f"none within {answer_within:g} s")
    except NoBackChannelError:
        return answer_for(
            Outcome.UNSUPPORTED, question, detail="this connection cannot carry a question mid-call"
        )
    except MCPError as exc:
        return answer_for(Outcome.ELICITATION_FAILED, question, detail=exc.message)
    answer = _from_result(result, question)
    if answer.confirmed and recheck is not None:
        return compare(question, dict(question.binding), dict(await recheck()))
    return answer


def answered_nonce(ctx: Context[Any, Any]) -> str | None:
    """The nonce of the state this call answers (a 2026-07-28 retry carrying a state and an answer), else None."""
    try:
        _ = ctx.request_context  # no client attached to this call: nothing to answer
    except ValueError:
        return None
    state = ctx.request_state
    if state is None or INPUT_KEY not in (ctx.input_responses or {}):
        return None
    try:
        decoded = json.loads(state)
    except ValueError:
        return None
    nonce = decoded.get("nonce") if isinstance(decoded, dict) else None
    return nonce if isinstance(nonce, str) else None


def _schema() -> dict[str, Any]:
    """A fresh copy of `CONFIRM_SCHEMA` for each request."""
    schema: dict[str, Any] = json.loads(compact(CONFIRM_SCHEMA))
    return schema


def _can_elicit_form(ctx: Context[Any, Any]) -> bool:
    """Form elicitation declared; a bare `elicitation: {}` (before modes existed) counts, url-only does not."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _pending(question: Question) -> Answer:
    state: dict[str, Any] = {
        "confirmation": _STATE_FORMAT,
        "tool": question.tool,
        "job": question.job.id,
        "binding": dict(question.binding),
        "nonce": token_urlsafe(16),
    }
    form = ElicitRequestFormParams(message=question.message(), requested_schema=_schema())
    result = InputRequiredResult(
        input_requests={INPUT_KEY: ElicitRequest(params=form)}, request_state=compact(state)
    )
    return answer_for(Outcome.PENDING, question, input_required=result)


def _read_back(ctx: Context[Any, Any], question: Question, state: str) -> Answer:
    try:
        decoded = json.loads(state)
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict):
        return answer_for(Outcome.STATE_UNREADABLE, question)
    refused = decoded.get(REFUSED)
    if refused is not None:
        return refused_answer(question, decoded)
    binding = decoded.get("binding")
    if (
        decoded.get("confirmation") != _STATE_FORMAT
        or not isinstance(decoded.get("tool"), str)
        or not isinstance(decoded.get("job"), str)
        or not isinstance(binding, dict)
        or not isinstance(decoded.get("nonce"), str)
    ):
        return answer_for(Outcome.STATE_UNREADABLE, question)
    if decoded["tool"] != question.tool or decoded["job"] != question.job.id:
        issued = f"{decoded['tool']} on job id {decoded['job']}"
        return answer_for(Outcome.STATE_OTHER_TARGET, question, detail=issued)
    response = (ctx.input_responses or {}).get(INPUT_KEY)
    if response is None:
        return _pending(question)  # retried without an answer: ask again, under a fresh state
    if not isinstance(response, ElicitResult):
        return answer_for(Outcome.INVALID_ANSWER, question)
    answer = _from_result(response, question)
    if not answer.confirmed:
        return answer
    return compare(question, binding, dict(question.binding))


def _from_result(result: ElicitResult, question: Question) -> Answer:
    if result.action == "decline":
        return answer_for(Outcome.DECLINED, question)
    if result.action == "cancel":
        return answer_for(Outcome.CANCELLED, question)
    confirm = (result.content or {}).get("confirm")
    if not isinstance(confirm, bool):
        return answer_for(Outcome.INVALID_ANSWER, question)
    return answer_for(Outcome.CONFIRMED if confirm else Outcome.NOT_CONFIRMED, question)


def compare(question: Question, asked: Mapping[str, Any], now: Mapping[str, Any]) -> Answer:
    """CONFIRMED when the binding the user was asked about still holds now; JOB_CHANGED, naming what differs, if not."""
    changed = changed_keys(asked, now)
    if changed:
        return answer_for(Outcome.JOB_CHANGED, question, changed=changed)
    return answer_for(Outcome.CONFIRMED, question)
