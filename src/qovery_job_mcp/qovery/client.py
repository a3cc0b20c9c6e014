"""The async Qovery API client: one pooled httpx client, retries, deadline, and error sentences.

httpx is imported on the first request and tenacity on the first retry, not at start-up: the stdio
server is spawned by the MCP client at every launch and must answer `initialize` quickly.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import anyio

from qovery_job_mcp import __version__, metrics
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

if TYPE_CHECKING:
    import httpx
    from tenacity import RetryCallState

    from qovery_job_mcp.config import Settings

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
MAX_DETAIL_CHARS = 300
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 8.0
#: Connections kept to Qovery: calls beyond this many at once wait for a free one.
POOL_SIZE = 32
#: How long an idle connection is kept: an assistant's calls come seconds apart (it reads and thinks
#: between them), and each new connection to Qovery costs a TLS handshake. Well under the idle
#: timeouts of common load balancers (60 s and more).
KEEPALIVE_SECONDS = 30.0
#: Sent with every request (the credential is added per request).
DEFAULT_HEADERS = {
    "User-Agent": f"qovery-job-mcp/{__version__}",
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate",
}
#: Where a response records how many attempts it took (see response_attempts).
ATTEMPTS_EXTENSION = "qovery_job_mcp.attempts"
#: Marks a timeout that the call's overall deadline imposed, not the per-request timeout.
DEADLINE_CUT = "deadline: "

Sleep = Callable[[float], Awaitable[None]]
#: Told (progress, total, message) before a wait: the MCP adapter sets one per call that carries a
#: progress token, so a client sees why a call is slow (Retry-After, backoff).
ProgressReporter = Callable[[float, float, str], Awaitable[None]]
WAIT_REPORTER: ContextVar[ProgressReporter | None] = ContextVar("qovery_wait_reporter", default=None)
#: Waits at least this long are announced; shorter ones would only be noise.
PROGRESS_AFTER_SECONDS = 1.0
Clock = Callable[[], float]


def authorization_header(credential: str) -> str:
    """The Authorization value Qovery expects for a credential.

    API tokens (`qov_…`, and anything that is not a JWT) go as `Token …`: Qovery refuses them as
    Bearer. JWTs from an OIDC login go as `Bearer …`. A value that already names its scheme is kept.
    """
    credential = credential.strip()
    scheme, _, rest = credential.partition(" ")
    if rest and scheme.lower() in {"token", "bearer"}:
        return f"{scheme.capitalize()} {rest.strip()}"
    if credential.count(".") == 2 and credential.startswith("eyJ"):
        return f"Bearer {credential}"
    return f"Token {credential}"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header, in its delta-seconds or HTTP-date form."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


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


class _Transient(Exception):
    """One failed attempt worth retrying; tenacity sees only this type."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credential = credential
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_attempts = max_attempts
        self.deadline = deadline
        self._transport = transport
        #: `Token` or `Bearer` for the server-held key (QOVERY_AUTH_SCHEME); None: chosen by its shape.
        self.auth_scheme = auth_scheme
        self._sleep = sleep
        self._clock = clock
        self._http: httpx.AsyncBaseTransport | None = None
        self._timeouts: dict[str, float | None] = {}

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
            await response.aread()
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
    ) -> httpx.Response:
        """Send one logical request, retrying transient failures; return a 2xx or 404 response.

        404 is returned, not raised, because its meaning differs per operation (delete treats it
        as already done). Everything else that is not 2xx becomes a JobError.
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
        started = self._clock()
        last: list[_Transient] = []

        def remaining() -> float:
            return self.deadline - (self._clock() - started)

        # Attempts are counted by `last` (one entry per failed attempt), not by tenacity's counter:
        # the first attempt runs before tenacity is involved (see below).
        def wait(state: RetryCallState) -> float:
            failure = last[-1]
            if failure.retry_after is not None:
                return failure.retry_after
            backoff = min(BACKOFF_MAX, BACKOFF_INITIAL * 2.0 ** (len(last) - 1))
            return backoff * (0.5 + random.random() / 2)

        def stop(state: RetryCallState) -> bool:
            return len(last) >= self.max_attempts or (state.upcoming_sleep or 0) >= remaining()

        async def attempt() -> httpx.Response:
            budget = min(self.timeout, remaining())
            try:
                with anyio.fail_after(budget):
                    response = await self._exchange(method, path, params, json_body, headers)
                metrics.upstream_request(method, response.status_code, len(last) + 1)
            except TimeoutError:
                metrics.upstream_request(method, None, len(last) + 1)
                cut = DEADLINE_CUT if budget < self.timeout else ""
                last.append(_Transient(f"{cut}no answer within {budget:.3g} s"))
                raise last[-1] from None
            except Exception as exc:
                metrics.upstream_request(method, None, len(last) + 1)
                if _is_transport_error(exc):
                    kind = (
                        "connection refused"
                        if _is_refused(exc)
                        else f"connection failed ({type(exc).__name__})"
                    )
                    last.append(_Transient(kind))
                    raise last[-1] from None
                raise
            if response.status_code in RETRYABLE_STATUSES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                last.append(_Transient(f"HTTP {response.status_code}", response.status_code, retry_after))
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

        # The first attempt runs on its own: nearly every call needs no other, and entering
        # tenacity's loop costs more CPU than the rest of the attempt's bookkeeping (profiled,
        # benchmarks/README.md). A failed first attempt is handed to tenacity as its first trial,
        # so every wait, stop and retry decision is still tenacity's, in one place.
        replay: _Transient | None = None
        try:
            response = await attempt()
        except _Transient as first_failure:
            replay = first_failure
        if replay is not None:
            from tenacity import AsyncRetrying, retry_if_exception_type

            try:
                async for trial in AsyncRetrying(
                    stop=stop,
                    wait=wait,
                    retry=retry_if_exception_type(_Transient),
                    sleep=pause,
                    reraise=True,
                    before_sleep=lambda s: logger.info(
                        "Qovery %s %s: %s; retrying in %.2f s",
                        method,
                        path,
                        last[-1].reason,
                        s.upcoming_sleep,
                    ),
                ):
                    with trial:
                        if replay is not None:
                            pending, replay = replay, None
                            raise pending
                        response = await attempt()
            except _Transient as failure:
                raise self._exhausted(failure, len(last), remaining()) from None

        status = response.status_code
        response.extensions[ATTEMPTS_EXTENSION] = len(last) + 1
        logger.debug("Qovery %s %s: HTTP %d after %d attempt(s)", method, path, status, len(last) + 1)
        if status < 300 or status == 404:
            return response
        raise status_error(status, error_detail(response))

    def _exhausted(self, failure: _Transient, attempts: int, remaining: float) -> JobError:
        error = self._exhausted_error(failure, attempts, remaining)
        error.upstream_status = failure.status
        return error

    def _exhausted_error(self, failure: _Transient, attempts: int, remaining: float) -> JobError:
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
                f"Qovery did not answer before this call's overall deadline of {self.deadline:.3g} s "
                f"({tries}); Qovery is slow or degraded: retry shortly (QOVERY_DEADLINE bounds a whole call)."
            )
        if failure.reason == "connection refused":
            return UpstreamUnavailableError(
                f"The connection to Qovery at {self.base_url} was refused, after {tries}; check QOVERY_API_URL "
                "and that the API is reachable from this server."
            )
        if failure.status is None and failure.reason.startswith("no answer"):
            return UpstreamTimeoutError(
                f"Qovery did not answer in time ({failure.reason}, {tries}); "
                "the API may be slow or unreachable: retry shortly or raise QOVERY_TIMEOUT."
            )
        if (
            failure.status is not None
            and failure.retry_after is not None
            and failure.retry_after >= remaining
        ):
            return UpstreamUnavailableError(
                f"Qovery is unavailable (HTTP {failure.status}) and asks to retry after "
                f"{failure.retry_after:.0f} seconds; try again then."
            )
        return UpstreamUnavailableError(
            f"Qovery failed to answer ({failure.reason}) after {tries}; "
            "the Qovery API may be degraded or unreachable: try again in a minute."
        )


def pooled_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    """The transport under our httpx client: aiohttp's, through httpx-aiohttp.

    The client code keeps httpx's API (requests, responses, exceptions); only the wire work
    changes. benchmarks/ measured it: on loopback aiohttp spends a fraction of httpcore's time
    per request, which is most of what this server adds to a call (README, Performance). Same
    pool: `limits.max_connections` connections per host, kept alive between calls.
    """
    import httpx
    from httpx_aiohttp import AiohttpTransport

    def session() -> Any:
        import aiohttp

        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            keepalive_timeout=limits.keepalive_expiry,
            ssl=httpx.create_ssl_context(),
        )
        client = aiohttp.ClientSession(connector=connector)
        # aiohttp quietly resends an idempotent request once when a kept-alive connection drops; that
        # retry sits under ours, so QOVERY_MAX_ATTEMPTS=3 became up to 6 requests. Ours is the only one.
        client._retry_connection = False
        return client

    return AiohttpTransport(limits=limits, client=session)


def response_attempts(response: httpx.Response) -> int:
    """How many attempts the client made for this answer: more than one means an earlier answer was lost."""
    return int(response.extensions.get(ATTEMPTS_EXTENSION, 1))


def _is_refused(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError) or "refused" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _is_transport_error(exc: Exception) -> bool:
    import httpx

    return isinstance(exc, (httpx.TransportError, OSError))


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


def not_found_error(job_id: str) -> JobNotFoundError:
    return JobNotFoundError(
        upstream_status=404,
        message=f"No job with id {job_id} exists, or these credentials cannot see it (HTTP 404). "
        "Check the id in the Qovery console (job > Settings) and that the token belongs to its organization.",
    )


def client_from_settings(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    credential: str | None = None,
    *,
    sleep: Sleep = anyio.sleep,
    clock: Clock = time.monotonic,
) -> QoveryClient:
    """The client a server process uses for these settings.

    The demo passes its transport and key; tests pass a fake `sleep` and `clock`, so backoff and
    deadlines run without real waits.
    """
    return QoveryClient(
        settings.api_url,
        credential=credential or settings.api_key,
        timeout=settings.timeout,
        connect_timeout=settings.connect_timeout,
        max_attempts=settings.max_attempts,
        deadline=settings.deadline,
        transport=transport,
        auth_scheme=settings.auth_scheme,
        sleep=sleep,
        clock=clock,
    )
