"""The MCP client's side of a confirmation: an elicitation callback that records and answers as told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mcp.client.context import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult, ErrorData


@dataclass
class Asker:
    """The client's elicitation callback: records what the user was shown and answers as told."""

    result: ElicitResult | ErrorData
    shown: list[ElicitRequestParams] = field(default_factory=list)
    before_answer: Callable[[], None] | None = None

    async def __call__(
        self, context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult | ErrorData:
        self.shown.append(params)
        if self.before_answer is not None:
            self.before_answer()
        return self.result


def accept(confirm: Any = True) -> ElicitResult:
    """The user's "yes" (or, with another `confirm`, whatever the form returned)."""
    return ElicitResult(action="accept", content={"confirm": confirm})
