"""Caller credentials on the HTTP surfaces: a caller's own Qovery credential, and the one bearer comparison.

Every check of a shared bearer token (QOVERY_MCP_AUTH_TOKEN on /mcp and /v1, the metrics token on /metrics)
goes through `bearer_matches`, in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

#: Schemes Qovery accepts: `Token` for API tokens, `Bearer` for JWTs from an OIDC login.
QOVERY_SCHEMES = {"token": "Token", "bearer": "Bearer"}


def caller_credential(authorization: str | None) -> str | None:
    """The caller's Qovery credential, normalised to `<Scheme> <value>`, or None if unusable.

    The scheme is kept as sent: Qovery refuses an API token sent as Bearer, and a caller who
    sends one should hear that from Qovery rather than have us guess.
    """
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    canonical = QOVERY_SCHEMES.get(scheme.lower())
    value = value.strip()
    if canonical is None or not value or any(c.isspace() or not c.isprintable() for c in value):
        return None
    return f"{canonical} {value}"


def credential_from_headers(headers: Mapping[str, str] | None) -> str | None:
    """Read the caller's credential from one request's headers (MCP `ctx.headers`, REST request)."""
    if headers is None:
        return None
    return caller_credential(headers.get("authorization"))


def bearer_matches(authorization: str | None, token: bytes) -> bool:
    """True when `authorization` is `Bearer <token>`, compared in constant time."""
    scheme, _, presented = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        presented.strip().encode("utf-8", "surrogateescape"), token
    )
