"""The generic contender: FastMCP.from_openapi over Qovery's OpenAPI document (five operations).

Runs in the benchmark's own environment (benchmarks/.venv-fastmcp), never the product's.
Same tool names and hints as this project. The API URL and key come from QOVERY_API_URL and
QOVERY_API_KEY, as for this server.
Usage: python fastmcp_server.py SPEC.yaml stdio | python fastmcp_server.py SPEC.yaml http PORT [--stateless]
"""

from __future__ import annotations

import os
import sys
from typing import Any

import httpx2
import yaml
from fastmcp import FastMCP
from mcp.types import ToolAnnotations

# operationId -> (tool name, title, read-only, destructive): the same as this project's tools.
TOOLS = {
    "getJob": ("get-job-id", "Get job", True, False),
    "editJob": ("edit-job", "Edit job", False, False),
    "deleteJob": ("delete-job", "Delete job", False, True),
    "listJobCommit": ("list-last-job-commits", "List last job commits", True, False),
    "getJobStatus": ("get-job-status", "Get job status", True, False),
}


def build(spec_path: str) -> FastMCP:
    with open(spec_path, encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    # Keep only the five operations (the document is already trimmed; this makes it certain).
    wanted = set(TOOLS)
    for path, item in list(spec["paths"].items()):
        for method in [m for m in item if m in {"get", "put", "post", "delete", "patch"}]:
            if item[method].get("operationId") not in wanted:
                del item[method]
        if not any(m in item for m in ("get", "put", "post", "delete", "patch")):
            del spec["paths"][path]
    key = os.environ["QOVERY_API_KEY"]
    client = httpx2.AsyncClient(
        base_url=os.environ["QOVERY_API_URL"], headers={"Authorization": f"Token {key}"}, timeout=30.0
    )

    def hints(route: Any, component: Any) -> None:
        # FastMCP slugifies names (get-job-id -> get_job_id); set the exact name back.
        name, title, read_only, destructive = TOOLS[route.operation_id]
        component.name = name
        component.title = title
        component.annotations = ToolAnnotations(
            title=title,
            read_only_hint=read_only,
            destructive_hint=destructive,
            idempotent_hint=True,
            open_world_hint=True,
        )

    return FastMCP.from_openapi(
        spec,
        client=client,
        name="qovery-openapi",
        mcp_names={op: names[0] for op, names in TOOLS.items()},
        mcp_component_fn=hints,
    )


def main(argv: list[str]) -> None:
    server = build(argv[0])
    if argv[1] == "stdio":
        server.run("stdio", show_banner=False)
        return
    server.run(
        "http",
        show_banner=False,
        host="127.0.0.1",
        port=int(argv[2]),
        path="/mcp",
        stateless_http="--stateless" in argv,
        log_level="WARNING",
    )


if __name__ == "__main__":
    main(sys.argv[1:])
