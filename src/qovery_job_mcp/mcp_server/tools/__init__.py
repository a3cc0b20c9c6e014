"""The MCP tools (the five job tools, the deploy toolset's four): one declarative spec per tool, in the catalog's order.

Which tools a server offers is decided once, in `Settings.offered_tools` (catalog.select_operations), for every
adapter alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mcp.server.mcpserver.tools import Tool

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


#: One tool per spec, detached from any server: deriving a tool's argument model and schemas from its
#: function's signature (pydantic model generation) was most of the time it took to build a server, and the
#: signature of a spec's function never changes. Filled on first use, so start-up pays for the offered tools only.
_TEMPLATES: dict[str, Tool] = {}


def _detached(*_: Any, **__: Any) -> Any:
    raise RuntimeError("a tool template is never called: tools_for binds a copy to a server's deps")


def tools_for(deps: ToolDeps, names: Iterable[str] = OPERATION_NAMES) -> list[Tool]:
    """The named tools bound to `deps`, for `MCPServer(tools=...)` (a `JobServer` closes each input schema)."""
    wanted = set(names)
    tools = []
    for name, spec in TOOLS.items():
        if name not in wanted:
            continue
        function = spec.build(deps)
        template = _TEMPLATES.get(name)
        if template is None:
            operation = SPECS[name]
            built = Tool.from_function(
                function,
                name=name,
                title=operation.title,
                description=spec.description,
                annotations=annotations_for(operation),
            )
            template = _TEMPLATES[name] = built.model_copy(update={"fn": _detached})
        tools.append(template.model_copy(update={"fn": function}))
    return tools


__all__ = ["TOOLS", "ToolDeps", "tools_for"]
