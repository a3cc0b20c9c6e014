"""Value parsers: (raw text, the name it came from) -> value, or a ConfigError naming it.

Each fails closed: a value that is not understood stops the start with one line naming the option and the fix.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from qovery_job_mcp.config.settings import (
    DEFAULT_API_URL,
    FALSE_WORDS,
    MIN_STATE_KEY_BYTES,
    TRUE_WORDS,
    ConfigError,
)
from qovery_job_mcp.config.store_setting import StoreSetting, parse_state_store

Parser = Callable[[str, str], Any]


def state_store(raw: str, name: str) -> StoreSetting:
    """`memory` or a redis:// / rediss:// URL; the refusal shows the URL without its password."""
    try:
        return parse_state_store(raw, name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


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


def names_from(valid: tuple[str, ...]) -> Parser:
    """A comma list of names, each one of `valid` (lower case), none twice, at least one: `jobs,deploy`."""

    def parse(raw: str, name: str) -> tuple[str, ...]:
        items = comma_list(raw.lower(), name)
        unknown = [item for item in items if item not in valid]
        if unknown or not items:
            got = f"unknown {unknown[0]!r}" if unknown else f"got {raw!r}"
            raise ConfigError(f"{name} must be a comma list of {', '.join(valid)}; {got}.")
        return tuple(dict.fromkeys(items))

    return parse


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
