"""Qovery's documented rate limit, simulated: 1,000 requests per hour per API token, told in headers.

Qovery's API reference states the limit, reports it in `X-RateLimit-*` headers and answers 429 when
it is exceeded (docs: qovery.com/docs/api-reference/introduction; the OpenAPI document declares none
of it). Names and formats are not documented beyond that; the simulation sends the common trio,
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (a Unix time in seconds), on
every answer to a request that carries a credential, and a 429 with `Retry-After` past the limit.
A token's window starts at its first request. Counts are kept per credential, so memory follows the
number of tokens in use, not the traffic.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Scope = dict[str, Any]
ASGI = Callable[..., Any]

DOCUMENTED_LIMIT = 1000
DOCUMENTED_WINDOW_SECONDS = 3600.0


@dataclass
class RateLimit:
    """`limit` requests per `window` seconds per credential, on `clock` (a Unix time)."""

    limit: int = DOCUMENTED_LIMIT
    window: float = DOCUMENTED_WINDOW_SECONDS
    clock: Callable[[], float] = time.time
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def take(self, credential: str) -> tuple[bool, int, float]:
        """Count one request: (allowed, remaining after it, the window's reset as a Unix time)."""
        now = self.clock()
        with self._lock:
            started, count = self._windows.get(credential, (now, 0))
            if started + self.window <= now:
                started, count = now, 0
            allowed = count < self.limit
            if allowed:
                count += 1
            if len(self._windows) > 1000:  # a flood of made-up tokens: forget the windows that ended
                self._windows = {k: w for k, w in self._windows.items() if w[0] + self.window > now}
            self._windows[credential] = (started, count)
        return allowed, self.limit - count, started + self.window

    def wrap(self, app: ASGI) -> ASGI:
        """The ASGI app with the limit in front: headers on every answer, 429 past the limit."""

        async def limited(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            authorization = dict(scope.get("headers") or []).get(b"authorization")
            if not authorization:
                await app(scope, receive, send)
                return
            allowed, remaining, reset_at = self.take(authorization.decode("latin-1"))
            headers = [
                (b"x-ratelimit-limit", str(self.limit).encode()),
                (b"x-ratelimit-remaining", str(max(0, remaining)).encode()),
                (b"x-ratelimit-reset", str(math.ceil(reset_at)).encode()),
            ]
            if not allowed:
                wait = max(1, math.ceil(reset_at - self.clock()))
                body = json.dumps({"status": 429, "detail": "Rate limit exceeded"}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 429,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"retry-after", str(wait).encode()),
                            *headers,
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return

            async def with_headers(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    present = {name.lower() for name, _ in message.get("headers") or []}
                    extra = [header for header in headers if header[0] not in present]
                    message = {**message, "headers": [*(message.get("headers") or []), *extra]}
                await send(message)

            await app(scope, receive, with_headers)

        return limited
