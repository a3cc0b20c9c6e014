"""The `Settings` a server starts with, its constants, and what is derived from it once for every adapter.

`offered_tools` (the tools this server offers, from --toolsets, --tools, --exclude-tools and --read-only) and `server_secrets`
(every secret the server holds, scrubbed from whatever leaves it) are computed here, in one place, so the MCP
server and REST cannot disagree about them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from qovery_job_mcp import __version__
from qovery_job_mcp.catalog import DEFAULT_TOOLSETS, select_operations
from qovery_job_mcp.config.store_setting import MEMORY, StoreSetting

Transport = Literal["stdio", "http", "rest"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
ConfirmPolicy = Literal["delete", "writes", "strict", "off"]
AuthScheme = Literal["Token", "Bearer"]

DEFAULT_API_URL = "https://api.qovery.com"
#: The default state store: this process's memory (one process needs nothing shared).
IN_PROCESS = StoreSetting(MEMORY)
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
    #: `jobs` (the five job tools) and/or `deploy` (the opt-in deploy toolset).
    toolsets: tuple[str, ...] = DEFAULT_TOOLSETS
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
    #: The most stateful MCP sessions open at once: a flood of made-up tokens cannot hold more (503, Retry-After).
    max_sessions: int = 1000
    #: Where replicas share job locks, used confirmations and the request budget (its repr hides a password).
    state_store: StoreSetting = IN_PROCESS
    #: Qovery requests per hour per credential (Qovery documents 1,000 per API token).
    request_budget: int = 1000

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

    @cached_property
    def offered_tools(self) -> tuple[str, ...]:
        """The tools this server offers, in the catalog's order (computed once, read by both adapters): the
        enabled toolsets' tools, then --tools, --exclude-tools and --read-only across them.

        Raises:
            catalog.UnknownOperationError: --tools or --exclude-tools names a tool that does not exist.
        """
        return select_operations(
            read_only=self.read_only, include=self.tools, exclude=self.exclude_tools, toolsets=self.toolsets
        )


def server_secrets(settings: Settings) -> tuple[str, ...]:
    """Every secret this server holds: each adapter scrubs all of them from whatever leaves the process."""
    held = (
        settings.api_key,
        settings.auth_token,
        settings.state_key,
        settings.metrics_token,
        settings.state_store.password,
        _bare_key(settings.api_key),
    )
    return tuple(secret for secret in held if secret)


def _bare_key(api_key: str | None) -> str | None:
    """The key alone when QOVERY_API_KEY names its scheme (`Token qov_…`, sent as given): Qovery may echo it bare."""
    scheme, _, value = (api_key or "").partition(" ")
    return value.strip() or None if scheme.lower() in ("token", "bearer") else None
