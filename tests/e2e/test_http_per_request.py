"""Per-request credentials: no server key; each caller's own Authorization goes to Qovery for that call only."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anyio
import httpx
import pytest

from tests.support.constants import API_KEY, JWT, NIGHTLY
from tests.support.helpers import INITIALIZE, error_text
from tests.support.http_server import RunningServer, http_client, http_server
from tests.support.simulator import LiveQovery, simulated_qovery

OTHER_KEY = "qov_second_caller_9f8e7d6c5b4a"
OTHER_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0aGlyZCJ9.dGhpcmRTSUdOQVRVUkU"
#: (Authorization sent by the caller, what Qovery must receive) per caller.
CALLERS = (
    (f"Token {API_KEY}", f"Token {API_KEY}"),
    (f"token {OTHER_KEY}", f"Token {OTHER_KEY}"),
    (f"Bearer {JWT}", f"Bearer {JWT}"),
    (f"Bearer {OTHER_JWT}", f"Bearer {OTHER_JWT}"),
)


def job_id(caller: int, call: int) -> str:
    """A job id that names its caller, so each upstream request can be traced back to one."""
    return f"{caller:08d}-0000-4000-8000-{call:012d}"


@pytest.fixture(scope="module", params=["stateful", "stateless"])
def per_request(request: pytest.FixtureRequest) -> Iterator[tuple[RunningServer, LiveQovery]]:
    with simulated_qovery(api_tokens=(API_KEY, OTHER_KEY), jwts=(JWT, OTHER_JWT)) as qovery:
        flags = ["--log-level", "DEBUG"] + (["--stateless"] if request.param == "stateless" else [])
        with http_server(*flags, env={"QOVERY_API_URL": qovery.url}) as server:
            yield server, qovery


@pytest.mark.parametrize(
    "authorization", [None, "", "Basic dXNlcjpwYXNz", "Token", "Bearer", "qov_bare", "Token a b"]
)
def test_mcp_without_a_credential_is_401_with_what_to_send(
    per_request: tuple[RunningServer, LiveQovery], authorization: str | None
) -> None:
    server, qovery = per_request
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    before = len(qovery.sim.requests)
    response = httpx.post(server.url, content=json.dumps(INITIALIZE), headers=headers, timeout=30)
    assert response.status_code == 401
    assert "Token" in response.headers["www-authenticate"]
    detail = response.json()["detail"]
    assert "Authorization: Token qov_" in detail
    assert "Bearer <jwt>" in detail
    assert len(qovery.sim.requests) == before


def test_healthz_says_per_request(per_request: tuple[RunningServer, LiveQovery]) -> None:
    body = httpx.get(f"{per_request[0].base}/healthz", timeout=10).json()
    assert body["credentials"] == "per-request"


async def test_each_caller_is_served_with_its_own_credential(
    per_request: tuple[RunningServer, LiveQovery],
) -> None:
    """Many concurrent calls from several callers: every upstream request carries its own caller's credential."""
    server, qovery = per_request
    qovery.sim.requests.clear()
    calls_per_caller = 8
    outcomes: dict[tuple[int, int], str] = {}

    async def caller(index: int, authorization: str, mode: str) -> None:
        async with http_client(server.url, {"Authorization": authorization}, mode=mode) as client:
            # Both protocol eras: ctx.headers must carry each request's headers in either.
            assert client.protocol_version == ("2026-07-28" if mode == "auto" else "2025-11-25")

            async def one(call: int) -> None:
                target = NIGHTLY if call % 4 == 0 else job_id(index, call)
                result = await client.call_tool("get-job-status", {"job_id": target})
                outcomes[index, call] = "ok" if not result.is_error else error_text(result)

            async with anyio.create_task_group() as group:
                for call in range(calls_per_caller):
                    group.start_soon(one, call)

    with anyio.fail_after(90):
        async with anyio.create_task_group() as group:
            for index, (authorization, _) in enumerate(CALLERS):
                group.start_soon(caller, index, authorization, "legacy" if index % 2 else "auto")

    assert len(outcomes) == len(CALLERS) * calls_per_caller
    for (_, call), outcome in outcomes.items():
        if call % 4 == 0:
            assert outcome == "ok", outcome
        else:
            assert "No job with id" in outcome, outcome
    assert len(qovery.sim.requests) == len(CALLERS) * calls_per_caller
    traced: dict[int, set[str | None]] = {}
    shared_job: list[str | None] = []
    for recorded in qovery.sim.requests:
        job = recorded.path.split("/")[2]
        if job == NIGHTLY:
            shared_job.append(recorded.authorization)
        else:
            traced.setdefault(int(job[:8]), set()).add(recorded.authorization)
    # Requests for a caller's own job ids carried that caller's credential, and nobody else's.
    assert traced == {index: {expected} for index, (_, expected) in enumerate(CALLERS)}
    # The job every caller read was read twice with each credential.
    assert sorted(shared_job, key=str) == sorted([e for _, e in CALLERS] * 2, key=str)
    # No credential was ever written to the server's log (DEBUG level).
    log = server.stderr()
    for authorization, _ in CALLERS:
        assert authorization.split(" ", 1)[1] not in log


async def test_a_credential_qovery_refuses_is_reported_and_not_reused(
    per_request: tuple[RunningServer, LiveQovery],
) -> None:
    server, qovery = per_request
    qovery.sim.requests.clear()
    async with http_client(server.url, {"Authorization": "Token qov_revoked_000"}) as client:
        text = error_text(await client.call_tool("get-job-status", {"job_id": NIGHTLY}))
    assert "HTTP 401" in text
    assert "qov_revoked_000" not in text
    async with http_client(server.url, {"Authorization": f"Token {API_KEY}"}) as client:
        assert not (await client.call_tool("get-job-status", {"job_id": NIGHTLY})).is_error
    assert [r.authorization for r in qovery.sim.requests] == ["Token qov_revoked_000", f"Token {API_KEY}"]
