"""A hostile Qovery for issue 19: imitates the job endpoints, misbehaves on script, and counts what reached it.

The simulated API (simulation/) is a faithful Qovery with injectable faults; this one is an adversary.
It answers a GET for job A with `id: B`, applies a PUT and then drops the connection, answers 500 or
502 after applying, stalls past the timeout, sends error bodies holding escaped secrets, NaN and
1e400 in a job, a 400-digit Retry-After, huge bodies and gzip bombs. Every request that reaches it is
recorded (method, raw path with query, body), so a test asserts exactly which writes were sent where.

It is a bare ASGI app (no framework in the way of what goes on the wire), served on a free loopback
port by `tests.support.loopback.serve_on_loopback`, in the same style as the simulated API.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
import pytest
from mcp import Client

from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.simulation.data import demo_commits, demo_jobs, demo_statuses
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.loopback import serve_on_loopback

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
After = Literal["answer", "reset", "stall"]
_ROUTE = re.compile(r"^/job/(?P<id>[^/]+)(?P<tail>/status|/commit)?$")


@dataclass
class Reply:
    """One scripted answer; every field left at its default keeps the faithful behaviour."""

    #: For a write: change the stored job first (the write "lands"), whatever is answered.
    apply: bool = True
    #: The answer's status, body and extra headers (None: the faithful ones).
    status: int | None = None
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    #: Top-level fields laid over the faithful JSON answer (e.g. a different `id`).
    overlay: dict[str, Any] | None = None
    #: Raw JSON text to splice in place of the faithful answer (for NaN, 1e400: json.dumps would refuse).
    raw_json: str | None = None
    #: After the headers: answer in full, drop the connection half way, or never answer.
    after: After = "answer"
    #: Runs once the request has been handled (a teammate's change landing between two requests).
    effect: Callable[[Hostile], None] | None = None


@dataclass
class Seen:
    method: str
    path: str
    body: bytes


@dataclass
class Hostile:
    """The adversary's state: the jobs it holds, what it will say next, and what reached it."""

    jobs: dict[str, dict[str, Any]] = field(default_factory=demo_jobs)
    statuses: dict[str, dict[str, Any]] = field(default_factory=demo_statuses)
    commits: dict[str, list[dict[str, Any]]] = field(default_factory=demo_commits)
    seen: list[Seen] = field(default_factory=list)
    #: (method, route) -> replies used one per request, in order; route is "job", "status" or "commit".
    script: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    #: How long a stalled answer waits (bounded: the test's own server shuts down after it).
    stall_seconds: float = 5.0

    def on(self, method: str, route: str, *replies: Reply) -> None:
        self.script.setdefault((method, route), []).extend(replies)

    def writes(self) -> list[str]:
        """`METHOD path` of every write that reached it, in order."""
        return [f"{s.method} {s.path}" for s in self.seen if s.method in ("PUT", "DELETE", "POST", "PATCH")]

    def count(self, method: str) -> int:
        return sum(1 for s in self.seen if s.method == method)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        method = scope["method"]
        raw = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        self.seen.append(Seen(method, raw + (f"?{query}" if query else ""), body))
        match = _ROUTE.match(scope["path"])
        route = (match.group("tail") or "/job").lstrip("/") if match else "other"
        queue = self.script.get((method, route))
        reply = queue.pop(0) if queue else Reply()
        status, payload = self._faithful(method, route, match.group("id") if match else "", body, reply)
        if reply.overlay is not None and isinstance(payload, dict):
            payload = {**payload, **reply.overlay}
        data = b"" if payload is None else json.dumps(payload).encode()
        if reply.raw_json is not None:
            data = reply.raw_json.encode()
        if reply.body is not None:
            data = reply.body
        status = reply.status or status
        headers = [(b"content-type", b"application/json")]
        headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
        if reply.effect is not None:
            reply.effect(self)
        if reply.after == "stall":
            await anyio.sleep(self.stall_seconds)
            return
        announced = len(data) if reply.after == "answer" else max(len(data), 1) + 1
        headers.append((b"content-length", str(announced).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if reply.after == "reset":
            await send({"type": "http.response.body", "body": data[: len(data) // 2], "more_body": True})
            raise ConnectionResetError("simulated connection reset by the hostile upstream")
        await send({"type": "http.response.body", "body": data})

    def _faithful(self, method: str, route: str, job_id: str, body: bytes, reply: Reply) -> tuple[int, Any]:
        job = self.jobs.get(job_id)
        if route == "other" or job is None:
            return 404, {"status": 404, "detail": "not found"}
        if route == "status":
            return 200, self.statuses.get(job_id, {"id": job_id, "state": "STOPPED"})
        if route == "commit":
            return 200, {"results": self.commits.get(job_id, [])}
        if method == "GET":
            return 200, job
        if method == "DELETE":
            if reply.apply:
                del self.jobs[job_id]
            return 204, None
        if method == "PUT":
            if reply.apply:
                job.update(json.loads(body))
                job["id"] = job_id
                job["updated_at"] = "2027-01-01T00:00:00Z"
            return 200, job
        return 405, {"status": 405, "detail": "method not allowed"}


def gzip_bomb(expanded_bytes: int) -> bytes:
    """A gzip body that expands to `expanded_bytes` of JSON-looking whitespace (a few hundred KB compressed)."""
    return gzip.compress(b"{" + b" " * (expanded_bytes - 2) + b"}", compresslevel=9)


def job_with(job: dict[str, Any], **raw_fields: str) -> str:
    """The job's JSON with some fields set to raw JSON text (`NaN`, `1e400`), which json.dumps cannot write."""
    text = json.dumps({k: v for k, v in job.items() if k not in raw_fields})
    extra = ",".join(f"{json.dumps(k)}:{v}" for k, v in raw_fields.items())
    return text[:-1] + ("," if extra else "") + extra + "}"


@asynccontextmanager
async def hostile_client(
    url: str, fake_time: FakeTime, *, mode: str = "auto", elicitation_callback: Any = None, **overrides: Any
) -> AsyncIterator[Client]:
    """Our server in memory, through a real MCP client, against the adversary at `url`."""
    settings = make_settings(url, **overrides)
    server = build_server(settings, client=make_qovery_client(settings, fake_time))
    async with Client(server, mode=mode, elicitation_callback=elicitation_callback) as client:
        yield client


@contextmanager
def hostile_upstream(hostile: Hostile | None = None) -> Iterator[tuple[Hostile, str]]:
    """The adversary on a free 127.0.0.1 port; yields it and its base URL, stops it on exit."""
    adversary = hostile or Hostile()
    with serve_on_loopback(adversary) as url:
        yield adversary, url


@pytest.fixture
def upstream() -> Iterator[tuple[Hostile, str]]:
    """The hostile tests' adversary, fresh for each test (registered for every test by tests/conftest.py)."""
    with hostile_upstream() as served:
        yield served


def text_of(result: Any) -> str:
    """Every text block of a tool result, joined: what a test searches for sentences and leaked secrets."""
    return " ".join(getattr(block, "text", "") for block in result.content)


def fresh_copy(job: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(job)
