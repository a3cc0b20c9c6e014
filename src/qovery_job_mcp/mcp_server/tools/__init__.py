"""The MCP tools (the five job tools, the deploy toolset's four): one declarative spec per tool, in the catalog's order.

Which tools a server offers is decided once, in `Settings.offered_tools` (catalog.select_operations), for every
adapter alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mcp.server import MCPServer

from qovery_job_mcp.mcp_server.tools import (
    delete_job,
    deploy_job,
    edit_job,
    get_job,
    get_logs,
    get_status,
    list_commits,
    list_deployments,
    stop_job,
)
from qovery_job_mcp.mcp_server.tools._render import ToolDeps, ToolSpec, annotations_for
from qovery_job_mcp.operations import OPERATION_NAMES, SPECS

TOOLS: Mapping[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        get_job.SPEC,
        edit_job.SPEC,
        delete_job.SPEC,
        list_commits.SPEC,
        get_status.SPEC,
        deploy_job.SPEC,
        stop_job.SPEC,
        list_deployments.SPEC,
        get_logs.SPEC,
    )
}
assert tuple(TOOLS) == OPERATION_NAMES, "one tool per catalogued operation, in the catalog's order"


def register_tools(server: MCPServer[Any], deps: ToolDeps, names: Iterable[str] = OPERATION_NAMES) -> None:
    """Add the named tools (a `JobServer` lists each input schema closed and enforces it)."""
    wanted = set(names)
    for name, tool in TOOLS.items():
        if name not in wanted:
            continue
        operation = SPECS[name]
        server.add_tool(
            tool.build(deps),
            name=name,
            title=operation.title,
            description=tool.description,
            annotations=annotations_for(operation),
        )


__all__ = ["TOOLS", "ToolDeps", "register_tools"]
