"""Settings: one table of options, read strictly from flags over environment variables over defaults.

Every knob is one `Option` row in `OPTIONS` (its flag, its variables, its parser, its default and its
help). The argument parser, the `--help` text and the README's table are all built from that table,
so they cannot disagree. Parsing fails closed: a value that is not understood (a boolean spelled
"maybe", a URL that is not one) stops the start with one line that names the option and the fix;
it never falls back to a default, least of all for a safety switch.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal
from urllib.parse import urlsplit

from qovery_job_mcp import __version__

Transport = Literal["stdio", "http", "rest"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
ConfirmPolicy = Literal["delete", "writes", "strict", "off"]
AuthScheme = Literal["Token", "Bearer"]

DEFAULT_API_URL = "https://api.qovery.com"
DEFAULT_PORTS: dict[str, int] = {"stdio": 0, "http": 9090, "rest": 8080}
TRANSPORT_ALIASES: dict[str, Transport] = {
    "stdio": "stdio",
    "http": "http",
    "streamable-http": "http",
    "rest": "rest",
}
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
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
MIN_STATE_KEY_BYTES = 32


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
    auth_scheme: AuthScheme | None = None
    # Whole-call budget, retries and waits included: shorter than the 60 s most MCP clients allow.
    deadline: float = 45.0
    transport: Transport = "stdio"
    host: str = "127.0.0.1"
    port: int = 0
    log_level: LogLevel = "WARNING"
    demo: bool = False
    #: The demo ignored a QOVERY_API_KEY from the environment (and says so at start).
    demo_ignored_api_key: bool = False
    demo_faults: float = 0.0
    demo_seed: int = 0
    read_only: bool = False
    tools: tuple[str, ...] = ()
    exclude_tools: tuple[str, ...] = ()
    confirm: ConfirmPolicy = "delete"
    #: Seals confirmation state so any replica can finish a confirmation another one asked.
    state_key: str | None = field(default=None, repr=False)
    audit_log: str | None = None
    # HTTP deployment. The shared secret callers must present when the server lends its key.
    auth_token: str | None = field(default=None, repr=False)
    metrics_token: str | None = field(default=None, repr=False)
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


# ---------------------------------------------------------------------------------------------
# Value parsers: (raw text, the name it came from) -> value, or ConfigError naming it
# ---------------------------------------------------------------------------------------------

Parser = Callable[[str, str], Any]


def boolean(raw: str, name: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(
        f"{name} must be one of {', '.join(TRUE_WORDS)} (on) or {', '.join(FALSE_WORDS)} (off), got {raw!r}."
    )


def text(raw: str, name: str) -> str | None:
    return raw.strip() or None


def comma_list(raw: str, name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def choice(values: Mapping[str, str], *, fold_case: bool = True, hint: str = "") -> Parser:
    """One of `values` (keys as typed, values as stored); case-insensitive unless told otherwise."""

    def parse(raw: str, name: str) -> str:
        key = raw.strip().lower() if fold_case else raw.strip()
        if key not in values:
            shown = ", ".join(dict.fromkeys(values))
            raise ConfigError(f"{name} must be one of {shown}, got {raw!r}.{hint}")
        return values[key]

    return parse


def seconds(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}.") from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{name} must be a number of seconds greater than 0, got {raw!r}.")
    return value


def whole_number(low: int, high: int) -> Parser:
    def parse(raw: str, name: str) -> int:
        value = raw.strip()
        if not value.isdigit() or not low <= int(value) <= high:
            raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {raw!r}.")
        return int(value)

    return parse


def fraction(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a fraction from 0 to 1 such as 0.1, got {raw!r}.") from None
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be a fraction from 0 to 1 such as 0.1, got {raw!r}.")
    return value


def is_loopback_host(host: str) -> bool:
    """True when a host name or bind address only reaches this machine."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def api_url(raw: str, name: str) -> str:
    """An absolute https URL; plain http only to this machine (a simulator or a local proxy)."""
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return value
    raise ConfigError(
        f"{name} must be an absolute https:// URL such as {DEFAULT_API_URL} "
        f"(http:// only for a loopback host), got {raw!r}."
    )


_HOST_PATTERN = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:([0-9]{1,5}|\*))?$")


def allowed_hosts(raw: str, name: str) -> tuple[str, ...]:
    values = comma_list(raw, name)
    for value in values:
        if not _HOST_PATTERN.match(value):
            raise ConfigError(
                f"{name}: {value!r} is not valid: use name, name:port or name:* "
                "(for example mcp.example.com or mcp.example.com:443)."
            )
    return values


def allowed_origins(raw: str, name: str) -> tuple[str, ...]:
    values = comma_list(raw, name)
    for value in values:
        scheme, sep, rest = value.partition("://")
        if scheme.lower() not in ("http", "https") or not sep or not rest or "/" in rest:
            raise ConfigError(
                f"{name}: {value!r} is not valid: use scheme://name[:port], "
                "for example https://app.example.com or http://localhost:*."
            )
    return values


def state_key(raw: str, name: str) -> str | None:
    value = raw.strip()
    if value and len(value.encode()) < MIN_STATE_KEY_BYTES:
        raise ConfigError(
            f"{name} must be at least {MIN_STATE_KEY_BYTES} bytes (for example the output of "
            "`openssl rand -hex 32`), got a shorter one."
        )
    return value or None


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------


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
           help="Seconds a whole call may take, retries and waits included (at least the timeout)."),
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
    Option("shutdown_grace", ("QOVERY_MCP_SHUTDOWN_GRACE",), seconds, default=10.0,
           help="Seconds calls in flight get to finish after SIGTERM."),
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


def _raw_values(argv: Sequence[str] | None, env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """For each option given somewhere: (raw text, the name it was given under), flag first."""
    given = vars(build_parser().parse_args(argv))
    raw: dict[str, tuple[str, str]] = {}
    for option in OPTIONS:
        if option.field in given:
            raw[option.field] = (str(given[option.field]), str(option.flag))
            continue
        for variable in option.variables:
            value = env.get(variable)
            # An empty variable is an unset one (`export X=`); anything else must parse.
            if value is not None and value.strip() != "":
                raw[option.field] = (value, variable)
                break
    return raw


def load_settings(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Parse flags and environment into Settings; raise ConfigError with one clear line when wrong."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for option in OPTIONS:
        values[option.field] = option.default
    for name, (raw, source) in _raw_values(argv, env).items():
        option = next(o for o in OPTIONS if o.field == name)
        values[name] = option.parse(raw, source)
    values["allowed_hosts"] = DEFAULT_ALLOWED_HOSTS + tuple(values["allowed_hosts"])
    values["allowed_origins"] = DEFAULT_ALLOWED_ORIGINS + tuple(values["allowed_origins"])
    values["deadline"] = max(values["deadline"], values["timeout"])
    if values["demo"] and values["api_key"]:
        # The demo never holds, sends or logs a real key: it has its own, known to the simulation.
        values["api_key"], values["demo_ignored_api_key"] = None, True
    known = {f.name for f in fields(Settings)}
    settings = Settings(**{k: v for k, v in values.items() if k in known})
    _check_combination(settings)
    return settings


def _check_combination(settings: Settings) -> None:
    """Rules that involve more than one option; each refusal says which change fixes it."""
    if settings.api_key is None and not settings.demo and settings.transport == "stdio":
        # Over HTTP a missing key means per-request credentials; stdio has no caller to ask.
        raise ConfigError(
            "QOVERY_API_KEY is not set: create an API token in the Qovery console "
            "(Organization settings > API tokens) and export QOVERY_API_KEY=qov_..., or run with --demo."
        )
    if settings.transport != "stdio":
        if settings.credentials_mode == "per-request" and settings.auth_token:
            raise ConfigError(
                "QOVERY_MCP_AUTH_TOKEN is set but QOVERY_API_KEY is not: without a server key each caller "
                "sends their own Qovery credential, which Qovery checks itself, so there is nothing to guard "
                "with a shared token. Unset QOVERY_MCP_AUTH_TOKEN, or set QOVERY_API_KEY to lend one key."
            )
        if (
            settings.api_key is not None
            and not settings.auth_token
            and not settings.allow_unauthenticated
            and not is_loopback_host(settings.host)
        ):
            raise ConfigError(
                f"Refusing to serve on {settings.host} with the server's QOVERY_API_KEY and no caller "
                "authentication: anyone who can reach it would use your Qovery key. Set "
                "QOVERY_MCP_AUTH_TOKEN, bind to 127.0.0.1, unset QOVERY_API_KEY for per-request "
                "credentials, or pass --allow-unauthenticated."
            )
    from qovery_job_mcp.operations import UnknownOperationError, select_operations

    try:
        offered = select_operations(
            read_only=settings.read_only, include=settings.tools, exclude=settings.exclude_tools
        )
    except UnknownOperationError as exc:
        raise ConfigError(str(exc)) from None
    if not offered:
        raise ConfigError(
            "No tool would be offered: --tools, --exclude-tools and --read-only together leave none "
            "(read-only mode offers get-job-id, list-last-job-commits and get-job-status). Loosen one of them."
        )
