"""The async Qovery API client: one logical request, its attempts, its deadline, and its answer.

The pieces it drives are apart: the wire (transport.py), the pure retry policy (retry_policy.py), and the
typed errors with their sentences (upstream_errors.py). The client never sees `Settings`: the composition root
(wiring.py) builds it from them. httpx is imported on the first request, not at start-up: the stdio server is
spawned by the MCP client at every launch and must answer `initialize` quickly.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from qovery_job_mcp import metrics
from qovery_job_mcp.qovery.errors import (
    AcceptedUnreadablyError,
    CredentialsError,
    OutcomeUnknownError,
    UnexpectedAnswerError,
)
from qovery_job_mcp.qovery.gate import RequestGate
from qovery_job_mcp.qovery.retry_policy import RETRYABLE_STATUSES, RetryPolicy, Transient, parse_retry_after
from qovery_job_mcp.qovery.transport import (
    DEFAULT_HEADERS,
    KEEPALIVE_SECONDS,
    POOL_SIZE,
    authorization_header,
    is_refused,
    is_transport_error,
    nothing_sent,
    pooled_transport,
)
from qovery_job_mcp.qovery.upstream_errors import (
    DEADLINE_CUT,
    deadline_passed_error,
    error_detail,
    exhausted_error,
    status_error,
    too_large_sentence,
)

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

#: Where a response records how many attempts it took (see response_attempts).
ATTEMPTS_EXTENSION = "qovery_job_mcp.attempts"

Sleep = Callable[[float], Awaitable[None]]
#: Told (progress, total, message) before a wait: the MCP adapter sets one per call that carries a
#: progress token, so a client sees why a call is slow (Retry-After, backoff).
ProgressReporter = Callable[[float, float, str], Awaitable[None]]
WAIT_REPORTER: ContextVar[ProgressReporter | None] = ContextVar("qovery_wait_reporter", default=None)
#: Waits at least this long are announced; shorter ones would only be noise.
PROGRESS_AFTER_SECONDS = 1.0
Clock = Callable[[], float]
#: The most of an answer's decoded body read (a gzip bomb stops here, not in memory): Qovery's job answers are KBs.
MAX_ANSWER_BYTES = 10 * 1024 * 1024
#: Methods that change nothing: the only ones repeated after a failure whose outcome is unclear.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class CallClock:
    """When the tool call's first request started: every request of the call shares its one deadline."""

    started: float | None = None


_CALL_CLOCK: ContextVar[CallClock | None] = ContextVar("qovery_call_clock", default=None)


@contextlib.contextmanager
def one_deadline() -> Iterator[CallClock]:
    """Within this block, every request shares one QOVERY_DEADLINE, counted from the first one.

    The boundary opens one per tool call; outside one, each request has its own deadline.
    """
    clock = CallClock()
    token = _CALL_CLOCK.set(clock)
    try:
        yield clock
    finally:
        _CALL_CLOCK.reset(token)


def restart_deadline() -> None:
    """Count the call's deadline again from its next request: the time a person took to answer is not Qovery's."""
    clock = _CALL_CLOCK.get()
    if clock is not None:
        clock.started = None


class QoveryClient:
    """Talks to Qovery for every caller of this process, over one connection pool.

    `sleep` and `clock` are injectable so tests drive backoff and Retry-After without waiting.
    `transport` lets the demo mode route requests to an in-process simulated API.
    """

    def __init__(
        self,
        base_url: str,
        *,
        credential: str | None,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        max_attempts: int = 3,
        deadline: float = 45.0,
        transport: httpx.AsyncBaseTransport | None = None,
        auth_scheme: str | None = None,
        sleep: Sleep = anyio.sleep,
        clock: Clock = time.monotonic,
        gate: RequestGate | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credential = credential
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_attempts = max_attempts
        self.retry_policy = RetryPolicy(max_attempts=max_attempts)
        self.deadline = deadline
        self._transport = transport
        #: `Token` or `Bearer` for the server-held key (QOVERY_AUTH_SCHEME); None: chosen by its shape.
        self.auth_scheme = auth_scheme
        self._sleep = sleep
        self._clock = clock
        self._http: httpx.AsyncBaseTransport | None = None
        self._timeouts: dict[str, float | None] = {}
        #: Asked before every attempt, told after every answer (request budget, fencing): qovery/gate.py.
        self.gate = gate

    def _wire(self) -> httpx.AsyncBaseTransport:
        """The pooled transport, made on the first request (httpx and aiohttp are imported then)."""
        if self._http is None:
            import httpx

            limits = httpx.Limits(
                max_connections=POOL_SIZE,
                max_keepalive_connections=POOL_SIZE,
                keepalive_expiry=KEEPALIVE_SECONDS,
            )
            self._timeouts = httpx.Timeout(self.timeout, connect=self.connect_timeout).as_dict()
            self._http = self._transport or pooled_transport(limits)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    async def _exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json_body: Any,
        headers: dict[str, str],
    ) -> httpx.Response:
        """One HTTP exchange, straight on the pooled transport, the body read.

        Why not `httpx.AsyncClient.request`: per request it merges the base URL and default
        headers again, parses the URL twice, runs the auth and redirect machinery this client
        never uses, and copies every response through `http.cookiejar` (Qovery sets no cookie).
        Profiled under load that was about a sixth of this server's own time per call
        (benchmarks/README.md, "Where the time goes"). httpx's Request, Response, exceptions and
        timeouts are unchanged; the transport and its pool are the same objects.
        """
        import httpx

        wire = self._wire()
        request = httpx.Request(
            method,
            self.base_url + path,
            params=params,
            json=json_body,
            headers={**DEFAULT_HEADERS, **headers},
            extensions={"timeout": self._timeouts},
        )
        response = await wire.handle_async_request(request)
        response.request = request
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():  # decoded: a gzip bomb is counted as it expands
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise AnswerTooLarge(response.status_code)
                chunks.append(chunk)
            response._content = b"".join(chunks)  # what `aread` sets; read here chunk by chunk, bounded
        finally:
            await response.aclose()
        return response

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        credential: str | None = None,
        once: bool = False,
    ) -> httpx.Response:
        """Send one logical request, retrying transient failures; return a 2xx or 404 response.

        404 is returned, not raised, because its meaning differs per operation (delete treats it
        as already done). Everything else that is not 2xx becomes a JobError. `once`: a write that must
        never be sent twice (a deploy): an unclear failure raises OutcomeUnknownError instead of a retry.
        """
        secret = credential or self._credential
        if not secret:
            raise CredentialsError(
                "No Qovery credential for this request: set QOVERY_API_KEY, or send your own "
                "'Authorization: Token qov_…' header to the HTTP endpoint."
            )
        if credential is None and self.auth_scheme is not None and " " not in secret.strip():
            headers = {"Authorization": f"{self.auth_scheme} {secret.strip()}"}
        else:
            headers = {"Authorization": authorization_header(secret)}
        call = _CALL_CLOCK.get() or CallClock()
        if call.started is None:
            call.started = self._clock()
        started = call.started
        last: list[Transient] = []  # one entry per failed attempt
        safe = method in SAFE_METHODS and not once  # only a read is repeated after an unclear failure
        unclear: list[bool] = []  # per failed attempt: was the request possibly sent and acted on?

        def remaining() -> float:
            return self.deadline - (self._clock() - started)

        async def attempt() -> httpx.Response:
            budget = min(self.timeout, remaining())
            if budget <= 0:
                raise deadline_passed_error(self.deadline, method)
            if self.gate is not None:
                await self.gate.before_attempt(method, secret)
            try:
                with anyio.fail_after(budget):
                    response = await self._exchange(method, path, params, json_body, headers)
                metrics.upstream_request(method, response.status_code, len(last) + 1)
            except AnswerTooLarge as exc:
                metrics.upstream_request(method, exc.status, len(last) + 1)
                sentence = too_large_sentence(exc.status, MAX_ANSWER_BYTES)
                if safe:
                    raise UnexpectedAnswerError(sentence, upstream_status=exc.status) from None
                # A 2xx is Qovery's yes, whatever its body: the write flow never sends it again (a 5xx it may).
                lost = AcceptedUnreadablyError if 200 <= exc.status < 300 else OutcomeUnknownError
                raise lost(sentence, upstream_status=exc.status) from None
            except TimeoutError:
                metrics.upstream_request(method, None, len(last) + 1)
                cut = DEADLINE_CUT if budget < self.timeout else ""
                last.append(Transient(f"{cut}no answer within {budget:.3g} s"))
                unclear.append(True)
                raise last[-1] from None
            except Exception as exc:
                metrics.upstream_request(method, None, len(last) + 1)
                if is_transport_error(exc):
                    refused = is_refused(exc)
                    kind = "connection refused" if refused else f"connection failed ({type(exc).__name__})"
                    last.append(Transient(kind))
                    unclear.append(not (refused or nothing_sent(exc)))
                    raise last[-1] from None
                raise
            if self.gate is not None:
                await self.gate.after_answer(secret, response)
            status = response.status_code
            if status in RETRYABLE_STATUSES or (status >= 500 and not safe):
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                last.append(Transient(f"HTTP {status}", status, retry_after))
                unclear.append(status != 429)  # a 429 was refused, not acted on; a 5xx may have been
                raise last[-1]
            return response

        async def pause(seconds: float) -> None:
            reporter = WAIT_REPORTER.get()
            if reporter is not None and seconds > PROGRESS_AFTER_SECONDS:
                with contextlib.suppress(Exception):  # progress is a courtesy: it never fails the call
                    await reporter(
                        float(len(last)),
                        float(self.max_attempts),
                        f"Qovery: {last[-1].reason}; retrying in {seconds:.0f} s "
                        f"(attempt {len(last) + 1} of {self.max_attempts}).",
                    )
            await self._sleep(seconds)

        # Nearly every call needs one attempt; the policy decides every wait and every stop after a failed one.
        while True:
            try:
                response = await attempt()
                break
            except Transient:
                pass
            failure = last[-1]
            if unclear[-1] and not safe:
                # Sent, then no clear answer: it may have been applied. Never re-sent blind; the write flow reads
                # the job again and decides (operations/write_flow.py).
                raise OutcomeUnknownError(
                    f"Qovery's answer to the {method} was lost ({failure.reason}); the write may have landed.",
                    upstream_status=failure.status,
                ) from None
            wait = self.retry_policy.next_wait(
                attempt=len(last),
                status=failure.status,
                retry_after=failure.retry_after,
                remaining=remaining(),
                jitter=random.random(),
            )
            if wait is None:
                raise exhausted_error(
                    failure, len(last), remaining(), base_url=self.base_url, deadline=self.deadline
                ) from None
            logger.info("Qovery %s %s: %s; retrying in %.2f s", method, path, failure.reason, wait)
            await pause(wait)

        status = response.status_code
        response.extensions[ATTEMPTS_EXTENSION] = len(last) + 1
        logger.debug("Qovery %s %s: HTTP %d after %d attempt(s)", method, path, status, len(last) + 1)
        if status < 300 or status == 404:
            return response
        raise status_error(status, error_detail(response))


class AnswerTooLarge(Exception):
    """An answer whose decoded body passed MAX_ANSWER_BYTES: reading stopped there."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def response_attempts(response: httpx.Response) -> int:
    """How many attempts the client made for this answer: more than one means an earlier answer was lost."""
    return int(response.extensions.get(ATTEMPTS_EXTENSION, 1))
