"""Secrets: under every fault, neither the Qovery key nor a caller's own credential shows up anywhere.

Not in a tool result (text or structured), not in an error, not in any log line at DEBUG (ours,
httpx, httpcore, mcp, uvicorn), even when Qovery itself echoes the credential back.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult

from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.simulation import faults
from qovery_job_mcp.simulation.data import demo_jobs
from qovery_job_mcp.simulation.faults import ChaosPolicy
from tests.support.clients import FakeTime, in_own_task, make_qovery_client, make_settings
from tests.support.constants import API_KEY, CLEANUP, JWT, MIGRATIONS, NIGHTLY
from tests.support.reliability import all_logs_at_debug
from tests.support.simulator import Fault, LiveQovery

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get-job-id", {"job_id": NIGHTLY}),
    ("get-job-status", {"job_id": NIGHTLY}),
    ("list-last-job-commits", {"job_id": MIGRATIONS}),
    ("edit-job", {"job_id": NIGHTLY, "body": {"description": "nightly"}, "dry_run": True}),
    ("edit-job", {"job_id": MIGRATIONS, "body": {"cpu": 750}}),
    ("delete-job", {"job_id": CLEANUP}),
]


@asynccontextmanager
async def our_client(served_qovery: LiveQovery, per_request: bool) -> AsyncIterator[Client]:
    """Our server with its own key, or in per-request mode with the caller's JWT (both secret then)."""
    served_qovery.sim.reset()
    settings = make_settings(served_qovery.url, timeout=0.3)
    server = build_server(
        settings,
        client=make_qovery_client(settings, FakeTime()),
        resolve_credential=(lambda ctx: JWT) if per_request else (lambda ctx: None),
    )
    secrets.clear()
    secrets.extend([API_KEY, JWT] if per_request else [API_KEY])
    async with Client(server) as c:
        yield c


@pytest.fixture(params=["server key", "caller credential"])
async def client(request: pytest.FixtureRequest, served_qovery: LiveQovery) -> AsyncIterator[Client]:
    async with in_own_task(our_client(served_qovery, per_request=request.param == "caller credential")) as c:
        yield c


@pytest.fixture
async def caller_client(served_qovery: LiveQovery) -> AsyncIterator[Client]:
    """Per-request mode: the server holds its key AND uses the caller's JWT, two secrets at once."""
    async with in_own_task(our_client(served_qovery, per_request=True)) as c:
        yield c


#: The secrets in play for the current test: the server's key, plus the caller's own credential.
secrets: list[str] = []


def exposed(result: CallToolResult) -> str:
    texts = [getattr(block, "text", "") for block in result.content]
    return "\n".join([*texts, json.dumps(result.structured_content)])


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert secrets
        for secret in secrets:
            assert secret not in text
            assert secret[4:-4] not in text  # not even most of it


async def test_no_secret_under_any_fault(caller_client: Client, served_qovery: LiveQovery) -> None:
    answers: list[str] = []
    with all_logs_at_debug() as logs:
        for kind in faults.ALL_FAULTS:
            served_qovery.sim.reset()
            served_qovery.sim.chaos = ChaosPolicy(
                rate=0.7, seed=3, kinds=(kind,), stall_seconds=5, trickle_seconds=0.02
            )
            for tool, arguments in CALLS[:2] if kind == faults.STALL else CALLS:
                answers.append(exposed(await caller_client.call_tool(tool, arguments)))
    assert len(answers) == (len(faults.ALL_FAULTS) - 1) * len(CALLS) + 2
    assert any("[redacted]" not in a and '"id"' in a for a in answers)  # real results came back too
    assert_no_secret(*answers, *logs.lines)
    assert any(line.startswith("DEBUG ") for line in logs.lines)  # DEBUG logs were really captured
    assert any(" Qovery GET /job/" in line for line in logs.lines)  # and the client's per-request lines


ECHOES = [
    Fault(400, json.dumps({"status": 400, "detail": f"bad token {API_KEY} / {JWT}"})),
    Fault(403, json.dumps({"message": f"token {API_KEY} lacks admin on org; bearer {JWT}"})),
    Fault(409, json.dumps({"error": f"conflict for {API_KEY}{JWT}"})),
    Fault(
        500, f"<html>Traceback: Authorization: Token {API_KEY} Bearer {JWT}</html>", content_type="text/html"
    ),
    Fault(502, f"upstream said {API_KEY} {JWT}", content_type="text/plain"),
    Fault(200, json.dumps({**demo_jobs()[NIGHTLY], "job_type": f"{API_KEY}{JWT}"})),
    Fault(
        200, json.dumps({**demo_jobs()[NIGHTLY], "description": f"env QOVERY_API_KEY={API_KEY} jwt={JWT}"})
    ),
]


@pytest.mark.parametrize("fault", ECHOES, ids=lambda f: f"{f.status}-{f.body[:20]!r}")
async def test_a_credential_echoed_by_qovery_is_redacted(
    fault: Fault, client: Client, served_qovery: LiveQovery
) -> None:
    with all_logs_at_debug() as logs:
        for tool, arguments in CALLS[:2] + CALLS[5:]:
            served_qovery.sim.reset()
            served_qovery.sim.fail_next("job", *[fault] * 3)
            served_qovery.sim.fail_next("status", *[fault] * 3)
            result = await client.call_tool(tool, arguments)
            assert_no_secret(exposed(result))
    assert_no_secret(*logs.lines)
