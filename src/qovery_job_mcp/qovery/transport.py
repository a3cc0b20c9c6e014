"""The wire to Qovery: the pooled transport, the headers every request carries, the Authorization value.

httpx, aiohttp and httpx-aiohttp are imported on the first request, not at start-up.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from qovery_job_mcp import __version__

if TYPE_CHECKING:
    import ssl

    import httpx

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


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process, shared by every pool.

    Building one loads the CA bundle (about 40 ms of CPU); each client used to build two (one for
    aiohttp's connector, one inside httpx-aiohttp), and per-request credential mode or the tests
    build many clients. A context is safe to share: it holds configuration, not connections.
    """
    import httpx

    return httpx.create_ssl_context()


def pooled_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    """The transport under our httpx client: aiohttp's, through httpx-aiohttp.

    The client code keeps httpx's API (requests, responses, exceptions); only the wire work
    changes. benchmarks/ measured it: on loopback aiohttp spends a fraction of httpcore's time
    per request, which is most of what this server adds to a call (README, Performance). Same
    pool: `limits.max_connections` connections per host, kept alive between calls.
    """
    from httpx_aiohttp import AiohttpTransport

    def session() -> Any:
        import aiohttp

        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            keepalive_timeout=limits.keepalive_expiry,
            ssl=shared_ssl_context(),
        )
        client = aiohttp.ClientSession(connector=connector)
        # aiohttp quietly resends an idempotent request once when a kept-alive connection drops; that
        # retry sits under ours, so QOVERY_MAX_ATTEMPTS=3 became up to 6 requests. Ours is the only one.
        client._retry_connection = False
        return client

    return AiohttpTransport(limits=limits, client=session, verify=shared_ssl_context())


def is_refused(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError) or "refused" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def is_transport_error(exc: Exception) -> bool:
    import httpx

    return isinstance(exc, (httpx.TransportError, OSError))


def nothing_sent(exc: BaseException) -> bool:
    """The connection was never made (refused, unreachable, no connection in time): nothing reached Qovery.

    Anything else (a reset, a read timeout, a dropped kept-alive connection) may come after the request was
    sent. httpx-aiohttp maps every `aiohttp.ClientConnectionError`, a server disconnect included, to
    `httpx.ConnectTimeout`, so the aiohttp cause decides when there is one.
    """
    import aiohttp
    import httpx

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (ConnectionRefusedError, aiohttp.ClientConnectorError)):
            return True
        if isinstance(seen, aiohttp.ClientError):
            return False
        seen = seen.__cause__ or seen.__context__
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
