"""Starts this project's server exactly as its command does, with benchmark-only variants.

Usage: python this_server.py [qovery-job-mcp arguments] [--bench-variant=NAME]

- `--bench-variant=plain-uvicorn`: uvicorn on asyncio's loop and h11, without uvloop and httptools,
  chosen through the serving function's own `loop` and `http` parameters.
- `--bench-variant=httpcore`: httpx's default transport instead of the aiohttp one.
These variants measure the choices the README records; the product has no such switches.
"""

from __future__ import annotations

import sys

from qovery_job_mcp import cli
from qovery_job_mcp.config import ConfigError, load_settings


def main(argv: list[str]) -> None:
    variant = next((a.split("=", 1)[1] for a in argv if a.startswith("--bench-variant=")), "")
    argv = [a for a in argv if not a.startswith("--bench-variant=")]
    if variant == "httpcore":
        import httpx

        from qovery_job_mcp.qovery import client as qovery_client

        def httpcore_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
            return httpx.AsyncHTTPTransport(limits=limits)

        # The one substitution left: the transport factory is not a setting of the product.
        qovery_client.pooled_transport = httpcore_transport  # type: ignore[assignment]
    if variant != "plain-uvicorn":
        cli.main(argv)
        return
    try:
        settings = load_settings(argv)
    except ConfigError as exc:
        raise SystemExit(f"qovery-job-mcp: {exc}") from None
    cli.configure_logging(settings.log_level)
    cli.serve(settings, loop="asyncio", http="h11")


if __name__ == "__main__":
    main(sys.argv[1:])
