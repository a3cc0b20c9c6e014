"""The `--state-store` value: `memory` or a redis:// / rediss:// URL, and a URL safe to print.

Pure functions in the bottom layer, so the settings refuse a bad value with one line before anything
starts, and every log line, health answer and error sentence can name the store without its password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MEMORY = "memory"
REDIS_SCHEMES = ("redis", "rediss")

_USERINFO = re.compile(r"^(?P<scheme>[^:/?#]*://)(?P<userinfo>[^/?#]*)@")


@dataclass(frozen=True)
class StoreSetting:
    """`kind` memory, or redis with its `url` (kept out of repr: it may hold a password)."""

    kind: str
    url: str | None = field(default=None, repr=False)

    @property
    def target(self) -> str:
        return MEMORY if self.url is None else safe_url(self.url)

    @property
    def password(self) -> str | None:
        """The URL's password (or a bare userinfo, which Redis reads as one): a secret the server scrubs."""
        if self.url is None:
            return None
        match = _USERINFO.match(self.url)
        if not match:
            return None
        user, colon, password = match["userinfo"].partition(":")
        return (password if colon else user) or None

    def __repr__(self) -> str:
        return f"StoreSetting(kind={self.kind!r}, target={self.target!r})"


def safe_url(url: str) -> str:
    """The URL with any password replaced by `***` and its query (which may carry one) dropped."""
    match = _USERINFO.match(url)
    if match:
        user, colon, _password = match["userinfo"].partition(":")
        # redis://secret@host puts a password where a user name would be: hide a bare userinfo too.
        shown = f"{user}:***" if colon else ("***" if user else "")
        url = f"{match['scheme']}{shown}@{url[match.end() :]}"
    return url.split("?", 1)[0].split("#", 1)[0]


def parse_state_store(raw: str, name: str = "QOVERY_MCP_STATE_STORE") -> StoreSetting:
    """Read the setting strictly; anything but `memory` or a usable Redis URL is a one-line ValueError."""
    value = raw.strip()
    if value.lower() == MEMORY or value == "":
        return StoreSetting(MEMORY)
    shown = safe_url(value)
    fix = f"{name} must be 'memory' or a redis:// or rediss:// URL such as redis://redis:6379/0"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError(f"{fix}, got {shown!r} (its port is not a number from 1 to 65535).") from None
    if parts.scheme.lower() not in REDIS_SCHEMES:
        raise ValueError(f"{fix}, got {shown!r}.")
    if not parts.hostname:
        raise ValueError(f"{fix}, got {shown!r} (it names no host).")
    if port == 0:
        raise ValueError(f"{fix}, got {shown!r} (its port is not a number from 1 to 65535).")
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise ValueError(f"{fix}, got {shown!r} (the path must be a database number such as /0).")
    return StoreSetting("redis", value)
