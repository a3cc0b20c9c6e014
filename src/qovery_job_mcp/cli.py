"""The `qovery-job-mcp` command: read settings, refuse a bad start in one line, serve."""

from __future__ import annotations

import gc
import logging
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from qovery_job_mcp.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from qovery_job_mcp.mcp_server.server import JobServer
    from qovery_job_mcp.qovery.client import QoveryClient
    from qovery_job_mcp.store.base import StateStore


def _fail(message: str) -> None:
    print(f"qovery-job-mcp: {message}", file=sys.stderr)
    raise SystemExit(2)


def configure_logging(level: str) -> None:
    """Logs go to stderr: on stdio, stdout carries JSON-RPC and nothing else."""
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request line at INFO; our own logs say what matters.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLevelName(level)))


def _interrupted(signum: int, frame: object) -> None:
    """The first Ctrl-C stops the server; any later one, while it winds down, is ignored (no traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    # From the first instruction: a Ctrl-C during start-up (imports take a second) is as quiet as one later.
    signal.signal(signal.SIGINT, _interrupted)
    try:
        _main(argv)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _main(argv: Sequence[str] | None) -> None:
    try:
        settings = load_settings(argv)
    except ConfigError as exc:
        _fail(str(exc))
        return
    configure_logging(settings.log_level)
    from qovery_job_mcp.audit import AuditLogError, configure_audit

    try:
        configure_audit(settings.audit_log)
    except AuditLogError as exc:
        _fail(str(exc))
        return
    # Read-only, nothing can be confirmed: the warning about sealing confirmations would only be noise.
    if (
        settings.transport == "http"
        and settings.confirm != "off"
        and not settings.state_key
        and not settings.read_only
    ):
        from qovery_job_mcp.mcp_server.sealing import state_key_warning

        logging.getLogger("qovery_job_mcp").warning("%s", state_key_warning(None, http=True))
    from qovery_job_mcp.catalog import UnknownOperationError

    try:
        serve(settings)
    except (ConfigError, UnknownOperationError) as exc:
        _fail(str(exc))


@contextmanager
def startup_objects() -> Iterator[None]:
    """Import and build with the cyclic GC paused, then freeze what was made.

    Start-up creates ~125,000 objects that live as long as the process (the SDK, the tools'
    schemas) and almost no garbage: the GC's passes over them cost ~10 % of a stdio cold start
    and free nothing. Frozen, they are also skipped by every later collection (README, Performance).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if was_enabled:
            gc.enable()


def serve(settings: Settings, **uvicorn_choices: Any) -> None:
    """Serve on the chosen transport; `uvicorn_choices` (HTTP only) are drain.serve's `loop` and `http`."""
    if settings.demo:
        from qovery_job_mcp.demo import demo_banner

        print(demo_banner(settings), file=sys.stderr)
    # The process's one state store (job locks, used confirmations, request budget); its server closes it.
    from qovery_job_mcp.wiring import open_state_store

    store = open_state_store(settings)
    if settings.state_store.url is not None:  # its target never shows a password
        logging.getLogger("qovery_job_mcp").info("shared state store: %s", store.target)
    if settings.transport == "rest":
        from qovery_job_mcp.operations import JobOperations
        from qovery_job_mcp.web.rest.app import serve_rest
        from qovery_job_mcp.wiring import job_locks

        operations = JobOperations(build_client(settings, store), locks=job_locks(settings, store))
        serve_rest(settings, operations, store, **uvicorn_choices)
        return
    with startup_objects():
        server = _build(settings, store)
    if settings.transport == "stdio":
        from qovery_job_mcp.mcp_server.stdio import run_stdio

        run_stdio(server)
        return
    from qovery_job_mcp.mcp_server.http import serve_http

    serve_http(server, settings, **uvicorn_choices)


def build_client(settings: Settings, store: StateStore | None = None) -> QoveryClient:
    """The composition root's one choice of backend: the in-process simulation, or Qovery."""
    if settings.demo:
        from qovery_job_mcp.demo import demo_client

        return demo_client(settings, store)
    from qovery_job_mcp.wiring import client_from_settings

    return client_from_settings(settings, store=store)


def _build(settings: Settings, store: StateStore) -> JobServer:
    from qovery_job_mcp.mcp_server.server import INSTRUCTIONS, build_server
    from qovery_job_mcp.mcp_server.tools._render import no_caller_credential

    instructions = INSTRUCTIONS
    if settings.demo:
        from qovery_job_mcp.demo import demo_instructions

        instructions = demo_instructions(INSTRUCTIONS)
    resolve_credential = no_caller_credential
    if settings.transport != "stdio" and settings.credentials_mode == "per-request":
        # No server key: each HTTP request's own Authorization is forwarded to Qovery for that request.
        from qovery_job_mcp.mcp_server.http import caller_credential_from_context

        resolve_credential = caller_credential_from_context
    return build_server(
        settings,
        client=build_client(settings, store),
        instructions=instructions,
        resolve_credential=resolve_credential,
        store=store,
    )
