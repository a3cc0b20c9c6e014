"""The simulated Qovery API as the tests use it: a recording subclass, served on a loopback port.

The package's `SimulatedQovery` is the demo: it keeps nothing per request. The tests need more:
what reached "Qovery" (`requests`), scripted answers for the next requests of a route
(`fail_next` with a `Fault`), and an answer held until the test lets it go (`hold_next`). That
instrumentation lives here, in `RecordingSimulator`, so the wheel ships none of it.

`simulated_qovery` is the one way to stand the simulator up for a test: every fixture and test
that needs the API on a real port goes through it.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response

from qovery_job_mcp.simulation.api import SimulatedQovery
from qovery_job_mcp.simulation.rate_limit import RateLimit
from tests.support.constants import API_KEY, JWT
from tests.support.loopback import serve_on_loopback


@dataclass
class Fault:
    """One scripted answer that replaces the normal one for the next matching request."""

    status: int = 503
    body: str | bytes = '{"status":503,"detail":"Service temporarily unavailable"}'
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    #: Seconds to wait before answering: a stall past the client's timeout, or plain latency.
    delay: float = 0.0
    #: Only a request with this method takes the fault (None: any method), e.g. "PUT" to let an
    #: edit's GET through and fault its PUT.
    method: str | None = None


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    body: Any
    user_agent: str | None = None


class RecordingSimulator(SimulatedQovery):
    """The demo's simulator plus what tests check and script: every request kept, faults, holds."""

    def __init__(self, **options: Any) -> None:
        self._test_lock = threading.Lock()
        super().__init__(**options)

    def reset(self, jobs: dict[str, dict[str, Any]] | None = None) -> None:
        """Back to the seeded state with nothing recorded, scripted or held."""
        super().reset(jobs)
        with self._test_lock:
            self.requests: list[RecordedRequest] = []
            self.faults: dict[str, deque[Fault]] = {}
            self.holds: list[tuple[str, str, threading.Event]] = []

    def fail_next(self, route: str, *faults: Fault) -> None:
        """Answer the next requests of `route` ("job", "commit" or "status") with these faults."""
        with self._test_lock:
            self.faults.setdefault(route, deque()).extend(faults)

    def hold_next(self, route: str, method: str) -> threading.Event:
        """Hold the answer to the next `method` request of `route` until the returned event is set.

        Lets a test overlap two calls deterministically (the race test holds the first edit's read).
        The hold gives up after 10 s, so a test that forgets to release cannot hang.
        """
        release = threading.Event()
        with self._test_lock:
            self.holds.append((route, method, release))
        return release

    def requests_to(self, method: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.requests if method is None or r.method == method]

    async def before_answer(self, request: Request, route: str) -> Response | None:
        body: Any = None
        raw = await request.body()
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        with self._test_lock:
            self.requests.append(
                RecordedRequest(
                    request.method,
                    request.url.path,
                    dict(request.query_params),
                    request.headers.get("authorization"),
                    body,
                    request.headers.get("user-agent"),
                )
            )
            queue = self.faults.get(route)
            fault = queue.popleft() if queue and queue[0].method in (None, request.method) else None
            hold = next((h for h in self.holds if h[0] == route and h[1] == request.method), None)
            if hold is not None:
                self.holds.remove(hold)
        if hold is not None:
            await anyio.to_thread.run_sync(hold[2].wait, 10.0)
        if fault is None:
            return None
        if fault.delay:
            await anyio.sleep(fault.delay)
        return Response(
            fault.body, status_code=fault.status, headers=fault.headers, media_type=fault.content_type
        )


@dataclass
class LiveQovery:
    """A served simulator and the base URL it answers on."""

    sim: RecordingSimulator
    url: str
    #: The ASGI app on the port: the simulator's, or the test's `wrap` around it.
    served: Any = None


@contextmanager
def simulated_qovery(
    api_tokens: tuple[str, ...] = (API_KEY,),
    jwts: tuple[str, ...] = (JWT,),
    *,
    wrap: Callable[[Any], Any] | None = None,
    clock: Callable[[], float] | None = None,
    rate_limit: RateLimit | None = None,
) -> Iterator[LiveQovery]:
    """The simulated Qovery API on a free loopback port, stopped on exit: the one way tests stand it up.

    `wrap` puts an ASGI middleware of the test's own (a port recorder, say) in front of it; `clock` times
    simulated deployments (a test's fake clock); `rate_limit` replaces Qovery's documented 1,000 an hour.
    """
    timing = {} if clock is None else {"clock": clock}  # the deployments' clock: injected time, never slept
    sim = RecordingSimulator(api_tokens=api_tokens, jwts=jwts, rate_limit=rate_limit, **timing)
    app = sim.app if wrap is None else wrap(sim.app)
    with serve_on_loopback(app) as url:
        yield LiveQovery(sim, url, app)
