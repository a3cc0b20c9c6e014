"""Settings: command-line flags over environment variables over defaults.

argparse reads both (each flag's default comes from its variable), so `--help` shows the
effective value's source and there is exactly one place that knows every knob.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from qovery_job_mcp import __version__

DEFAULT_API_URL = "https://api.qovery.com"
DEFAULT_PORTS = {"stdio": 0, "http": 9090, "rest": 8080}
TRANSPORT_ALIASES = {"stdio": "stdio", "http": "http", "streamable-http": "http", "rest": "rest"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
#: Host headers always accepted: the loopback names, bare or with any port.
DEFAULT_ALLOWED_HOSTS = tuple(f"{name}{port}" for name in LOOPBACK_NAMES for port in ("", ":*"))
#: Origins always accepted: http and https on the loopback names, any port (or none).
DEFAULT_ALLOWED_ORIGINS = tuple(
    f"{scheme}://{name}{port}"
    for scheme in ("http", "https")
    for name in LOOPBACK_NAMES
    for port in ("", ":*")
)


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
    #: `Token` or `Bearer` for the server-held key (QOVERY_AUTH_SCHEME); None: chosen by the key's shape.
    auth_scheme: str | None = None
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
    # HTTP deployment (issue 3). The shared secret callers must present when the server lends its key.
    auth_token: str | None = field(default=None, repr=False)
    allow_unauthenticated: bool = False
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    allowed_origins: tuple[str, ...] = DEFAULT_ALLOWED_ORIGINS
    stateless: bool = False
    json_response: bool = False
    #: Seconds that calls in flight get to finish after SIGTERM before the process exits anyway.
    shutdown_grace: float = 10.0

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.transport]

    @property
    def credentials_mode(self) -> str:
        """ "server" when this process holds a Qovery key (or the demo one); "per-request" otherwise."""
        return "server" if self.api_key or self.demo else "per-request"

    def health(self, transport: str) -> dict[str, object]:
        """The /healthz answer of an HTTP surface: what it is, without calling Qovery or needing credentials."""
        return {
            "status": "ok",
            "version": __version__,
            "transport": transport,
            "read_only": self.read_only,
            "credentials": self.credentials_mode,
            "demo": self.demo,
        }


def _env_flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def _switch(
    parser: argparse.ArgumentParser, env: Mapping[str, str], flag: str, variable: str, help: str
) -> None:
    """An on/off flag that its environment variable can also turn on (1, true, yes or on)."""
    parser.add_argument(
        flag, action="store_true", default=_env_flag(env.get(variable)), help=f"{help} Env: {variable}=1."
    )


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
    _switch(
        parser,
        env,
        "--demo",
        "QOVERY_MCP_DEMO",
        "Serve an in-process simulated Qovery API with sample jobs; no account needed.",
    )
    _switch(parser, env, "--read-only", "QOVERY_MCP_READ_ONLY", "Offer only the read-only tools.")
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
    parser.add_argument(
        "--auth-token",
        default=env.get("QOVERY_MCP_AUTH_TOKEN"),
        help="Shared secret HTTP callers must send as 'Authorization: Bearer <token>' (server-held key only). "
        "Env: QOVERY_MCP_AUTH_TOKEN (prefer it: flags show up in process lists).",
    )
    _switch(
        parser,
        env,
        "--allow-unauthenticated",
        "QOVERY_MCP_ALLOW_UNAUTHENTICATED",
        "Serve a server-held key on a non-loopback address without an auth token (you accept the risk).",
    )
    parser.add_argument(
        "--allowed-hosts",
        default=env.get("QOVERY_MCP_ALLOWED_HOSTS", ""),
        help="Extra Host header values to accept, comma-separated: name, name:port or name:* "
        "(loopback names are always accepted). Env: QOVERY_MCP_ALLOWED_HOSTS.",
    )
    parser.add_argument(
        "--allowed-origins",
        default=env.get("QOVERY_MCP_ALLOWED_ORIGINS", ""),
        help="Extra browser Origins to accept, comma-separated, e.g. https://app.example.com "
        "(loopback origins are always accepted). Env: QOVERY_MCP_ALLOWED_ORIGINS.",
    )
    _switch(
        parser,
        env,
        "--stateless",
        "QOVERY_MCP_STATELESS",
        "No server-side MCP session: any replica can answer any request.",
    )
    _switch(
        parser,
        env,
        "--json-response",
        "QOVERY_MCP_JSON_RESPONSE",
        "Answer with plain JSON bodies instead of SSE streams.",
    )
    return parser


def is_loopback_host(host: str) -> bool:
    """True when a bind address only listens on this machine."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


_HOST_PATTERN = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:([0-9]{1,5}|\*))?$")


def _check_hosts(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not _HOST_PATTERN.match(value):
            raise ConfigError(
                f"Allowed host {value!r} is not valid: use name, name:port or name:* "
                "(for example mcp.example.com or mcp.example.com:443)."
            )
    return values


def _check_origins(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        scheme, sep, rest = value.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
            raise ConfigError(
                f"Allowed origin {value!r} is not valid: use scheme://name[:port], "
                "for example https://app.example.com or http://localhost:*."
            )
    return values


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

    scheme_raw = env.get("QOVERY_AUTH_SCHEME")
    if scheme_raw is not None and scheme_raw not in ("Token", "Bearer"):
        raise ConfigError(
            f"QOVERY_AUTH_SCHEME must be Token (API tokens) or Bearer (JWTs), got {scheme_raw!r}; "
            "unset it to choose by the key's shape."
        )
    attempts_raw = env.get("QOVERY_MAX_ATTEMPTS", "3").strip() or "3"
    if not attempts_raw.isdigit() or not 1 <= int(attempts_raw) <= 10:
        raise ConfigError(f"QOVERY_MAX_ATTEMPTS must be a whole number from 1 to 10, got {attempts_raw!r}.")

    api_key = (env.get("QOVERY_API_KEY") or env.get("QOVERY_API_TOKEN") or "").strip() or None
    if api_key is None and not args.demo and transport == "stdio":
        # Over HTTP a missing key means per-request credentials; stdio has no caller to ask.
        raise ConfigError(
            "QOVERY_API_KEY is not set: create an API token in the Qovery console "
            "(Organization settings > API tokens) and export QOVERY_API_KEY=qov_..., or run with --demo."
        )
    auth_token = (str(args.auth_token or "")).strip() or None
    server_held = api_key is not None or bool(args.demo)
    if transport != "stdio":
        if not server_held and auth_token:
            raise ConfigError(
                "QOVERY_MCP_AUTH_TOKEN is set but QOVERY_API_KEY is not: without a server key each caller "
                "sends their own Qovery credential, which Qovery checks itself, so there is nothing to guard "
                "with a shared token. Unset QOVERY_MCP_AUTH_TOKEN, or set QOVERY_API_KEY to lend one key."
            )
        if (
            api_key is not None
            and not auth_token
            and not args.allow_unauthenticated
            and not is_loopback_host(str(args.host))
        ):
            raise ConfigError(
                f"Refusing to serve on {args.host} with the server's QOVERY_API_KEY and no caller "
                "authentication: anyone who can reach it would use your Qovery key. Set "
                "QOVERY_MCP_AUTH_TOKEN, bind to 127.0.0.1, unset QOVERY_API_KEY for per-request "
                "credentials, or pass --allow-unauthenticated."
            )

    timeout = _positive_number("QOVERY_TIMEOUT", env.get("QOVERY_TIMEOUT"), 30.0)
    deadline = _positive_number("QOVERY_DEADLINE", env.get("QOVERY_DEADLINE"), 45.0)
    return Settings(
        api_key=api_key,
        api_url=(env.get("QOVERY_API_URL") or DEFAULT_API_URL).rstrip("/"),
        timeout=timeout,
        max_attempts=int(attempts_raw),
        auth_scheme=scheme_raw,
        deadline=max(deadline, timeout),
        transport=transport,
        host=str(args.host),
        port=port,
        log_level=log_level,
        demo=bool(args.demo),
        read_only=bool(args.read_only),
        tools=_csv(args.tools),
        exclude_tools=_csv(args.exclude_tools),
        auth_token=auth_token,
        allow_unauthenticated=bool(args.allow_unauthenticated),
        allowed_hosts=DEFAULT_ALLOWED_HOSTS + _check_hosts(_csv(args.allowed_hosts)),
        allowed_origins=DEFAULT_ALLOWED_ORIGINS + _check_origins(_csv(args.allowed_origins)),
        stateless=bool(args.stateless),
        json_response=bool(args.json_response),
    )
