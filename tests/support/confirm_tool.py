"""A one-tool MCP server that deletes a job after asking through the real confirmation step, and its client legs.

The confirmation tests drive the eliciting and sealing modules through this server in both protocol eras.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from mcp import Client
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import (
    CallToolResult,
    ElicitResult,
    InputRequiredResult,
    TextContent,
)

from qovery_job_mcp.mcp_server.confirm_sentences import Answer
from qovery_job_mcp.mcp_server.eliciting import INPUT_KEY, ask
from qovery_job_mcp.mcp_server.sealing import StateSealer
from qovery_job_mcp.operations.confirming import JobRef, plan_hash
from qovery_job_mcp.operations.confirming import Question as Confirmation
from tests.support.asking import Asker

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
TOOL = "delete-job"
ERAS = ["auto", "legacy"]  # auto is 2026-07-28 in memory; legacy is the 2025-11-25 handshake


@dataclass
class Job:
    id: str
    name: str
    type: str = "CRON"
    version: str = "v1"


@dataclass
class Store:
    """A stand-in for Qovery: jobs by name, what was deleted, and the audit log of every answer."""

    jobs: dict[str, Job] = field(default_factory=lambda: {"nightly": Job("job-1", "nightly")})
    deleted: list[str] = field(default_factory=list)
    audit: list[tuple[str | None, str]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)


def question_for(job: Job) -> Confirmation:
    return Confirmation(
        tool=TOOL,
        job=JobRef(job.id, job.name, job.type),
        action="delete",
        consequence="Deletion cannot be undone.",
        binding={"version": job.version, "plan": plan_hash({"delete": job.id})},
    )


def build_server(store: Store, sealer: StateSealer | None) -> MCPServer[Any]:
    """One tool that deletes a job by name after asking; a client that cannot ask is refused (the policy here)."""
    security = sealer.request_state_security() if sealer is not None else None
    server: MCPServer[Any] = MCPServer("confirm-test", request_state_security=security)

    @server.tool(name=TOOL)
    async def delete_job(job: str, ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        found = store.jobs[job]
        question = question_for(found)

        async def recheck() -> Mapping[str, str]:
            return question_for(store.jobs[job]).binding

        answer = await ask(ctx, question, recheck=recheck)
        store.answers.append(answer)
        if answer.input_required is not None:
            return answer.input_required
        store.audit.append((answer.audit, answer.reason))
        if not answer.confirmed:
            return CallToolResult(content=[TextContent(type="text", text=answer.message)], is_error=True)
        store.deleted.append(found.id)
        return CallToolResult(content=[TextContent(type="text", text=f"deleted {found.id}")])

    return server


@asynccontextmanager
async def connect(server: MCPServer[Any], mode: str, asker: Asker | None) -> AsyncIterator[Client]:
    async with Client(server, mode=mode, elicitation_callback=asker) as client:
        yield client


def text(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


async def first_leg(client: Client, job: str = "nightly") -> InputRequiredResult:
    """The 2026-07-28 question as the server sends it, without the client's automatic retry."""
    result = await client.session.call_tool(TOOL, {"job": job}, allow_input_required=True)
    assert isinstance(result, InputRequiredResult)
    assert result.request_state is not None
    return result


async def retry(client: Client, state: str, answer: ElicitResult, job: str = "nightly") -> CallToolResult:
    return await client.call_tool(
        TOOL, {"job": job}, input_responses={INPUT_KEY: answer}, request_state=state
    )


def split(token: str) -> tuple[bytes, dict[str, Any]]:
    """The wire token's header (key id, timestamp, HMAC) and the SDK envelope it signs."""
    prefix, _, body = token.partition(".")
    assert prefix == "qjm1"
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return raw[:48], json.loads(raw[48:])


def join(header: bytes, envelope: Mapping[str, Any]) -> str:
    raw = header + json.dumps(envelope, separators=(",", ":")).encode()
    return "qjm1." + base64.urlsafe_b64encode(raw).decode().rstrip("=")
