"""Starts this project's server exactly as its command does, in stateless HTTP mode when asked.

Usage: python this_server.py [qovery-job-mcp arguments] [--stateless]
If the command has its own `--stateless` flag it is used; otherwise the benchmark asks the SDK
for a stateless app (the only difference), so the numbers do not wait on that feature.
"""

from __future__ import annotations

import dataclasses
import sys

from qovery_job_mcp import cli
from qovery_job_mcp.config import Settings


def main(argv: list[str]) -> None:
    if "--stateless" in argv and "stateless" not in {f.name for f in dataclasses.fields(Settings)}:
        argv = [a for a in argv if a != "--stateless"]
        from mcp.server import MCPServer

        original = MCPServer.streamable_http_app

        def stateless_app(self: MCPServer, **kwargs: object) -> object:
            kwargs["stateless_http"] = True
            return original(self, **kwargs)  # type: ignore[arg-type]

        MCPServer.streamable_http_app = stateless_app  # type: ignore[method-assign,assignment]
    cli.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
