"""Settings: command-line flags over environment variables over defaults.

argparse reads both (each flag's default comes from its variable), so `--help` shows the
effective value's source and there is exactly one place that knows every knob.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from qovery_job_mcp import __version__

DEFAULT_API_URL = "https://api.qovery.com"
DEFAULT_PORTS = {"stdio": 0, "http": 9090, "rest": 8080}
TRANSPORT_ALIASES = {"stdio": "stdio", "http": "http", "streamable-http": "http", "rest": "rest"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(Exception):
    """A setting is missing or wrong: the process prints this one line and exits with code 2."""


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to start; built once, read everywhere, never mutated."""

    api_key: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    timeout: float = 30.0
    connect_timeout: float = 5.0
    max_attempts: int = 3
    # Whole-call budget, retries and waits included: shorter than the 60 s most MCP clients allow.
    deadline: float = 45.0
    transport: str = "stdio"
    host: str = "127.0.0.1"
    port: int = 0
    log_level: str = "WARNING"
    demo: bool = False
    read_only: bool = False
    tools: tuple[str, ...] = ()
    exclude_tools: tuple[str, ...] = ()

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.transport]


def _env_flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qovery-job-mcp",
        description="MCP server for Qovery jobs (stdio by default; streamable HTTP or a REST adapter on request).",
    )
    parser.add_argument("--version", action="version", version=f"qovery-job-mcp {__version__}")
    parser.add_argument(
        "--transport",
        default=env.get("QOVERY_MCP_TRANSPORT", "stdio"),
        help="stdio (default), http (alias streamable-http) or rest. Env: QOVERY_MCP_TRANSPORT.",
    )
    parser.add_argument(
        "--host",
        default=env.get("QOVERY_MCP_HOST", "127.0.0.1"),
        help="HTTP bind address. Env: QOVERY_MCP_HOST.",
    )
    parser.add_argument(
        "--port",
        default=env.get("QOVERY_MCP_PORT"),
        help="HTTP port: 9090 for http, 8080 for rest. Env: QOVERY_MCP_PORT.",
    )
    parser.add_argument(
        "--log-level",
        default=env.get("QOVERY_MCP_LOG_LEVEL", "WARNING"),
        help="DEBUG, INFO, WARNING (default) or ERROR; logs go to stderr. Env: QOVERY_MCP_LOG_LEVEL.",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        default=_env_flag(env.get("QOVERY_MCP_DEMO")),
        help="Serve an in-process simulated Qovery API with sample jobs; no account needed.",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=_env_flag(env.get("QOVERY_MCP_READ_ONLY")),
        help="Offer only the read-only tools. Env: QOVERY_MCP_READ_ONLY=1.",
    )
    parser.add_argument(
        "--tools",
        default=env.get("QOVERY_MCP_TOOLS", ""),
        help="Comma-separated tools to offer (default: all).",
    )
    parser.add_argument(
        "--exclude-tools",
        default=env.get("QOVERY_MCP_EXCLUDE_TOOLS", ""),
        help="Comma-separated tools to hide.",
    )
    return parser


def _positive_number(name: str, raw: str | None, default: float) -> float:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, got {raw!r}.")
    return value


def load_settings(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Parse flags and environment into Settings; raise ConfigError with one clear line when wrong."""
    env = os.environ if env is None else env
    args = build_parser(env).parse_args(argv)

    transport = TRANSPORT_ALIASES.get(str(args.transport).strip().lower())
    if transport is None:
        raise ConfigError(f"Unknown transport {args.transport!r}: use stdio, http (streamable-http) or rest.")
    port = 0
    if args.port not in (None, ""):
        try:
            port = int(args.port)
        except ValueError:
            raise ConfigError(
                f"--port / QOVERY_MCP_PORT must be a whole number, got {args.port!r}."
            ) from None
        if not 0 < port < 65536:
            raise ConfigError(f"--port must be between 1 and 65535, got {port}.")
    log_level = str(args.log_level).strip().upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"Unknown log level {args.log_level!r}: use one of {', '.join(LOG_LEVELS)}.")

    attempts_raw = env.get("QOVERY_MAX_ATTEMPTS", "3").strip() or "3"
    if not attempts_raw.isdigit() or not 1 <= int(attempts_raw) <= 10:
        raise ConfigError(f"QOVERY_MAX_ATTEMPTS must be a whole number from 1 to 10, got {attempts_raw!r}.")

    api_key = (env.get("QOVERY_API_KEY") or env.get("QOVERY_API_TOKEN") or "").strip() or None
    if api_key is None and not args.demo:
        raise ConfigError(
            "QOVERY_API_KEY is not set: create an API token in the Qovery console "
            "(Organization settings > API tokens) and export QOVERY_API_KEY=qov_..., or run with --demo."
        )

    timeout = _positive_number("QOVERY_TIMEOUT", env.get("QOVERY_TIMEOUT"), 30.0)
    deadline = _positive_number("QOVERY_DEADLINE", env.get("QOVERY_DEADLINE"), 45.0)
    return Settings(
        api_key=api_key,
        api_url=(env.get("QOVERY_API_URL") or DEFAULT_API_URL).rstrip("/"),
        timeout=timeout,
        max_attempts=int(attempts_raw),
        deadline=max(deadline, timeout),
        transport=transport,
        host=str(args.host),
        port=port,
        log_level=log_level,
        demo=bool(args.demo),
        read_only=bool(args.read_only),
        tools=_csv(args.tools),
        exclude_tools=_csv(args.exclude_tools),
    )
