"""Starts this project's server exactly as its command does, with benchmark-only switches.

Usage: python this_server.py [qovery-job-mcp arguments] [--stateless]

- `--stateless`: if the command has its own flag it is used; otherwise the benchmark asks the
  SDK for a stateless app (the only difference), so the numbers do not wait on that feature.
- `--bench-variant=httpcore`: httpx's default transport instead of the aiohttp one.
- `--bench-variant=plain-uvicorn`: uvicorn on asyncio's loop and h11, without uvloop and httptools.
These variants measure the choices the README records; the product has no such switches.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

from qovery_job_mcp import cli
from qovery_job_mcp.config import Settings


def main(argv: list[str]) -> None:
    if "--stateless" in argv and "stateless" not in {f.name for f in dataclasses.fields(Settings)}:
        argv = [a for a in argv if a != "--stateless"]
        from mcp.server import MCPServer

        original = MCPServer.streamable_http_app

        def stateless_app(self: MCPServer, **kwargs: Any) -> Any:
            kwargs["stateless_http"] = True
            return original(self, **kwargs)

        MCPServer.streamable_http_app = stateless_app  # type: ignore[method-assign]
    variant = next((a.split("=", 1)[1] for a in argv if a.startswith("--bench-variant=")), "")
    argv = [a for a in argv if not a.startswith("--bench-variant=")]
    if variant == "httpcore":
        import httpx

        from qovery_job_mcp.qovery import client as qovery_client

        def httpcore_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
            return httpx.AsyncHTTPTransport(limits=limits)

        qovery_client.pooled_transport = httpcore_transport  # type: ignore[assignment]
    elif variant == "plain-uvicorn":
        import uvicorn

        original_run = uvicorn.run

        def plain_run(app: Any, **kwargs: Any) -> None:
            original_run(app, loop="asyncio", http="h11", **kwargs)

        uvicorn.run = plain_run  # type: ignore[assignment]
    cli.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
