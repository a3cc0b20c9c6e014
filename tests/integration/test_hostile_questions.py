"""Issue 19, finding 15 (in memory): a mid-call question nobody answers is bounded, then counts as dismissed.

A client that declares elicitation and never answers held a call open indefinitely (and SIGTERM with it:
tests/e2e/test_hostile_processes.py drives that through a spawned server). Here the legacy-era question
waits a short limit and the call ends with a sentence that says nothing was sent.
"""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, TextContent

from qovery_job_mcp.mcp_server.confirm_sentences import Answer, Outcome
from qovery_job_mcp.mcp_server.eliciting import ask
from qovery_job_mcp.operations.confirming import JobRef, Question

QUESTION = Question(
    tool="delete-job",
    job=JobRef("8f1d5b3e-2a9c-4e6f-8b7d-3c5a1e9f0d24", "preview-cleanup", "CRON"),
    action="delete",
    binding={"version": "v1"},
)


async def test_15_an_unanswered_question_counts_as_dismissed_after_its_limit() -> None:
    answers: list[Answer] = []
    server: MCPServer[Any] = MCPServer("question-test")

    @server.tool(name="delete-job")
    async def delete_job(ctx: Context[Any, Any]) -> CallToolResult:
        answer = await ask(ctx, QUESTION, answer_within=0.2)
        answers.append(answer)
        return CallToolResult(content=[TextContent(type="text", text=answer.message)], is_error=True)

    async def never_answers(context: Any, params: Any) -> Any:
        await anyio.sleep_forever()

    with anyio.fail_after(10):
        async with Client(server, mode="legacy", elicitation_callback=never_answers) as client:
            result = await client.call_tool("delete-job", {})
    [answer] = answers
    assert answer.outcome is Outcome.UNANSWERED
    assert not answer.confirmed
    assert answer.audit == "no"
    text = " ".join(getattr(block, "text", "") for block in result.content)
    assert "Nothing was sent" in text
    assert "counts as dismissed" in text
