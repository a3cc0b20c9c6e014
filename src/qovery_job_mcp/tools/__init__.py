"""The five MCP tools, one module each, and the choice of which ones a server offers."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from mcp.server import MCPServer

from qovery_job_mcp.tools import delete_job, edit_job, get_job, get_status, list_commits
from qovery_job_mcp.tools._boundary import ToolDeps

TOOL_MODULES: tuple[ModuleType, ...] = (get_job, edit_job, delete_job, list_commits, get_status)
TOOL_NAMES: tuple[str, ...] = tuple(module.NAME for module in TOOL_MODULES)
READ_ONLY_TOOLS = frozenset(module.NAME for module in TOOL_MODULES if module.READ_ONLY)


class UnknownToolError(ValueError):
    pass


def select_tools(
    *, read_only: bool = False, include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> tuple[str, ...]:
    """The tool names to offer; an unknown name is refused, never silently ignored."""
    include, exclude = tuple(include), tuple(exclude)
    unknown = sorted({*include, *exclude} - set(TOOL_NAMES))
    if unknown:
        raise UnknownToolError(
            f"Unknown tool name(s): {', '.join(unknown)}. Valid names: {', '.join(TOOL_NAMES)}."
        )
    chosen = [name for name in TOOL_NAMES if (not include or name in include) and name not in exclude]
    if read_only:
        chosen = [name for name in chosen if name in READ_ONLY_TOOLS]
    return tuple(chosen)


def register_tools(server: MCPServer[Any], deps: ToolDeps, names: Iterable[str] = TOOL_NAMES) -> None:
    wanted = set(names)
    for module in TOOL_MODULES:
        if module.NAME in wanted:
            module.register(server, deps)


__all__ = ["READ_ONLY_TOOLS", "TOOL_NAMES", "ToolDeps", "register_tools", "select_tools"]
