"""The one table of options (flag, variables, strict parser, default, help), and what is built from it.

The argument parser, the `--help` text and the README's table all come from `OPTIONS`, so they cannot disagree.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from qovery_job_mcp import __version__
from qovery_job_mcp.catalog import DEFAULT_TOOLSETS, TOOLSETS
from qovery_job_mcp.config.parsers import (
    Parser,
    allowed_hosts,
    allowed_origins,
    api_url,
    boolean,
    choice,
    comma_list,
    fraction,
    names_from,
    seconds,
    state_key,
    state_store,
    text,
    whole_number,
)
from qovery_job_mcp.config.settings import DEFAULT_API_URL, TRANSPORT_ALIASES
from qovery_job_mcp.config.store_setting import MEMORY, StoreSetting


@dataclass(frozen=True)
class Option:
    """One setting: where it is read from, how it is parsed, what it means."""

    field: str
    variables: tuple[str, ...]
    parse: Parser
    help: str
    default: Any = None
    #: None: environment only (secrets, which must not show up in process lists, and client knobs).
    flag: str | None = None
    #: A flag that takes no value and turns the setting on.
    switch: bool = False
    #: How --help and the README show the default, when it is not the value itself.
    shown_default: str | None = None
    secret: bool = False
    #: "credentials" options are listed first in the README and the --help epilog.
    group: str = "server"

    @property
    def variable(self) -> str:
        return self.variables[0]

    def default_text(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        if self.switch:
            return "off"
        if self.default in (None, (), ""):
            return "unset"
        return str(self.default)


OPTIONS: tuple[Option, ...] = (
    Option("api_key", ("QOVERY_API_KEY", "QOVERY_API_TOKEN"), text, secret=True, group="credentials",
           help="Qovery API token (qov_…), sent as 'Authorization: Token'. Unset over HTTP: each caller "
           "sends their own. QOVERY_API_TOKEN is accepted as a second name."),
    Option("auth_scheme", ("QOVERY_AUTH_SCHEME",), choice({"Token": "Token", "Bearer": "Bearer"}, fold_case=False,
           hint=" Token is for API tokens, Bearer for JWTs; unset it to choose by the key's shape."),
           group="credentials", shown_default="by the key's shape",
           help="Token (API tokens) or Bearer (JWTs) for the server-held key."),
    Option("auth_token", ("QOVERY_MCP_AUTH_TOKEN",), text, flag="--auth-token", secret=True, group="credentials",
           help="Shared secret HTTP callers must send as 'Authorization: Bearer <token>' when the server "
           "lends its key (prefer the variable: flags show up in process lists)."),
    Option("metrics_token", ("QOVERY_MCP_METRICS_TOKEN",), text, flag="--metrics-token", secret=True,
           group="credentials", shown_default="the auth token",
           help="Bearer token for /metrics off loopback, when it should differ from the auth token."),
    Option("state_key", ("QOVERY_MCP_STATE_KEY",), state_key, secret=True, group="credentials",
           shown_default="random per process",
           help="At least 32 bytes; seals confirmation state. Give every replica the same one."),
    Option("api_url", ("QOVERY_API_URL",), api_url, default=DEFAULT_API_URL,
           help="Qovery API base URL: https://, or http:// to a loopback host."),
    Option("timeout", ("QOVERY_TIMEOUT",), seconds, default=30.0, help="Seconds one Qovery request may take."),
    Option("deadline", ("QOVERY_DEADLINE",), seconds, default=45.0,
           help="Seconds a whole tool call may take, all its requests, retries and waits included (not less than "
                "the timeout)."),
    Option("max_attempts", ("QOVERY_MAX_ATTEMPTS",), whole_number(1, 10), default=3,
           help="Requests to Qovery per call at most, the first included (1 to 10)."),
    Option("transport", ("QOVERY_MCP_TRANSPORT",), choice(TRANSPORT_ALIASES), flag="--transport", default="stdio",
           help="stdio, http (alias streamable-http) or rest."),
    Option("host", ("QOVERY_MCP_HOST",), text, flag="--host", default="127.0.0.1", help="HTTP bind address."),
    Option("port", ("QOVERY_MCP_PORT",), whole_number(1, 65535), flag="--port", default=0,
           shown_default="9090 (http), 8080 (rest)", help="HTTP port."),
    Option("log_level", ("QOVERY_MCP_LOG_LEVEL",), choice({v.lower(): v for v in ("DEBUG", "INFO", "WARNING", "ERROR")}),
           flag="--log-level", default="WARNING", help="DEBUG, INFO, WARNING or ERROR; logs go to stderr."),
    Option("demo", ("QOVERY_MCP_DEMO",), boolean, flag="--demo", switch=True, default=False,
           help="Serve a simulated Qovery API in memory with sample jobs; no account needed, a real "
           "QOVERY_API_KEY is ignored."),
    Option("demo_faults", ("QOVERY_MCP_DEMO_FAULTS",), fraction, default=0.0,
           help="Demo only: the fraction of answers that are faults (rate limits, 5xx, resets…)."),
    Option("demo_seed", ("QOVERY_MCP_DEMO_SEED",), whole_number(0, 2**31), default=0,
           help="Demo only: the seed that makes those faults reproducible."),
    Option("read_only", ("QOVERY_MCP_READ_ONLY",), boolean, flag="--read-only", switch=True, default=False,
           help="Offer only the read-only tools."),
    Option("toolsets", ("QOVERY_MCP_TOOLSETS",), names_from(TOOLSETS), flag="--toolsets", default=DEFAULT_TOOLSETS,
           shown_default="jobs",
           help="Comma-separated toolsets to offer: jobs (the five job tools), deploy (deploy-job, stop-job, "
           "list-job-deployments, get-job-logs)."),
    Option("tools", ("QOVERY_MCP_TOOLS",), comma_list, flag="--tools", default=(), shown_default="all",
           help="Comma-separated tools to offer."),
    Option("exclude_tools", ("QOVERY_MCP_EXCLUDE_TOOLS",), comma_list, flag="--exclude-tools", default=(),
           help="Comma-separated tools to hide."),
    Option("confirm", ("QOVERY_MCP_CONFIRM",), choice({v: v for v in ("delete", "writes", "strict", "off")}),
           flag="--confirm", default="delete",
           help="Ask the user through the client before: deletes (delete), deletes and real edits (writes), "
           "the same and refuse clients that cannot ask (strict), or never (off)."),
    Option("audit_log", ("QOVERY_MCP_AUDIT_LOG",), text, flag="--audit-log", shown_default="stderr",
           help="Append the audit trail (one JSON line per write) to this file."),
    Option("allow_unauthenticated", ("QOVERY_MCP_ALLOW_UNAUTHENTICATED",), boolean, flag="--allow-unauthenticated",
           switch=True, default=False,
           help="Serve a server-held key on a non-loopback address without an auth token (you accept the risk)."),
    Option("allowed_hosts", ("QOVERY_MCP_ALLOWED_HOSTS",), allowed_hosts, flag="--allowed-hosts", default=(),
           shown_default="loopback names",
           help="Extra Host values to accept, comma-separated: name, name:port or name:*."),
    Option("allowed_origins", ("QOVERY_MCP_ALLOWED_ORIGINS",), allowed_origins, flag="--allowed-origins",
           default=(), shown_default="loopback origins",
           help="Extra browser Origins to accept, comma-separated, e.g. https://app.example.com."),
    Option("stateless", ("QOVERY_MCP_STATELESS",), boolean, flag="--stateless", switch=True, default=False,
           help="No server-side MCP session: any replica can answer any request."),
    Option("json_response", ("QOVERY_MCP_JSON_RESPONSE",), boolean, flag="--json-response", switch=True,
           default=False, help="Answer with plain JSON bodies instead of SSE streams."),
    Option("state_store", ("QOVERY_MCP_STATE_STORE",), state_store, flag="--state-store", secret=True,
           default=StoreSetting(MEMORY), shown_default="memory",
           help="Where replicas share job locks, used confirmations and Qovery's request budget: memory (one "
           "process) or a redis:// or rediss:// URL (every replica the same; docs/state-store.md)."),
    Option("request_budget", ("QOVERY_MCP_REQUEST_BUDGET",), whole_number(1, 10**9), default=1000,
           help="Qovery requests per hour per credential, shared by every replica that shares the state store."),
    Option("shutdown_grace", ("QOVERY_MCP_SHUTDOWN_GRACE",), seconds, default=10.0,
           help="Seconds calls in flight get to finish after SIGTERM."),
    Option("max_sessions", ("QOVERY_MCP_MAX_SESSIONS",), whole_number(1, 1_000_000), default=1000,
           help="Most MCP sessions open at once (HTTP, stateful); past it a new one gets 503 with Retry-After."),
)  # fmt: skip


def _option_line(option: Option) -> str:
    return f"{option.help} Env: {option.variable}. Default: {option.default_text()}."


def build_parser() -> argparse.ArgumentParser:
    """The command line, from the table; defaults stay out of it so flag > variable > default is ours."""
    env_only = [option for option in OPTIONS if option.flag is None]
    epilog = "Settings read from the environment only:\n" + "\n".join(
        f"  {option.variable:<28} {_option_line(option)}" for option in env_only
    )
    parser = argparse.ArgumentParser(
        prog="qovery-job-mcp",
        description="MCP server for Qovery jobs (stdio by default; streamable HTTP or a REST adapter on request).",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        argument_default=argparse.SUPPRESS,
    )
    parser.add_argument("--version", action="version", version=f"qovery-job-mcp {__version__}")
    for option in OPTIONS:
        if option.flag is None:
            continue
        help_text = _option_line(option).replace("%", "%%")
        if option.switch:
            parser.add_argument(
                option.flag, dest=option.field, action="store_const", const="1", help=help_text
            )
        else:
            parser.add_argument(option.flag, dest=option.field, metavar="VALUE", help=help_text)
    return parser


def options_markdown() -> str:
    """The README's table of options (tests/test_cli.py checks the README holds exactly this)."""
    rows = ["| Variable | Flag | Default | Meaning |", "|---|---|---|---|"]
    for option in sorted(OPTIONS, key=lambda o: o.group != "credentials"):
        names = " / ".join(f"`{name}`" for name in option.variables)
        flag = f"`{option.flag}`" if option.flag else "(env only)"
        rows.append(f"| {names} | {flag} | {option.default_text()} | {option.help} |")
    return "\n".join(rows)
