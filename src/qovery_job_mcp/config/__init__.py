"""Settings: one table of options, read strictly from flags over environment variables over defaults.

Every knob is one `Option` row in `OPTIONS` (its flag, its variables, its parser, its default and its
help). The argument parser, the `--help` text and the README's table are all built from that table,
so they cannot disagree. Parsing fails closed: a value that is not understood (a boolean spelled
"maybe", a URL that is not one) stops the start with one line that names the option and the fix;
it never falls back to a default, least of all for a safety switch.

This package sits at the bottom of the layers with the catalog: it imports nothing else of the project, so
reading settings loads neither the core nor pydantic. `settings` holds `Settings` and what is derived from it,
`parsers` the value parsers, `options` the table; loading and the cross-option rules are here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from qovery_job_mcp.catalog import UnknownOperationError
from qovery_job_mcp.config.options import OPTIONS, Option, build_parser, options_markdown
from qovery_job_mcp.config.parsers import is_loopback_host
from qovery_job_mcp.config.settings import (
    DEFAULT_ALLOWED_HOSTS,
    DEFAULT_ALLOWED_ORIGINS,
    DEFAULT_API_URL,
    DEFAULT_PORTS,
    LOOPBACK_NAMES,
    MIN_STATE_KEY_BYTES,
    AuthScheme,
    ConfigError,
    ConfirmPolicy,
    LogLevel,
    Settings,
    Transport,
    server_secrets,
)

__all__ = [
    "DEFAULT_ALLOWED_HOSTS",
    "DEFAULT_ALLOWED_ORIGINS",
    "DEFAULT_API_URL",
    "DEFAULT_PORTS",
    "LOOPBACK_NAMES",
    "MIN_STATE_KEY_BYTES",
    "OPTIONS",
    "AuthScheme",
    "ConfigError",
    "ConfirmPolicy",
    "LogLevel",
    "Option",
    "Settings",
    "Transport",
    "build_parser",
    "is_loopback_host",
    "load_settings",
    "options_markdown",
    "server_secrets",
]


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
    given = _raw_values(argv, env)
    for name, (raw, source) in given.items():
        option = next(o for o in OPTIONS if o.field == name)
        values[name] = option.parse(raw, source)
    values["allowed_hosts"] = DEFAULT_ALLOWED_HOSTS + tuple(values["allowed_hosts"])
    values["allowed_origins"] = DEFAULT_ALLOWED_ORIGINS + tuple(values["allowed_origins"])
    if "deadline" in given and values["deadline"] < values["timeout"]:
        raise ConfigError(
            f"{given['deadline'][1]} ({values['deadline']:g} s) is lower than QOVERY_TIMEOUT "
            f"({values['timeout']:g} s): a whole call cannot be shorter than one of its requests; raise "
            "QOVERY_DEADLINE or lower QOVERY_TIMEOUT."
        )
    values["deadline"] = max(
        values["deadline"], values["timeout"]
    )  # the default deadline follows a long timeout
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
    try:
        offered = settings.offered_tools
    except UnknownOperationError as exc:
        raise ConfigError(str(exc)) from None
    if not offered:
        raise ConfigError(
            "No tool would be offered: --toolsets, --tools, --exclude-tools and --read-only together leave none "
            "(read-only mode offers get-job-id, list-last-job-commits and get-job-status). Loosen one of them."
        )
