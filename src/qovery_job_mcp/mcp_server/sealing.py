"""Sealing the SDK's `requestState` envelope: an HMAC codec keyed by `QOVERY_MCP_STATE_KEY`.

The SDK always wraps `requestState` in its own envelope (`mcp.server.request_state.RequestStateBoundary`, installed
by every `MCPServer`) and refuses a bad one before the tool runs, with one frozen JSON-RPC error for every reason.
`StateSealer` is a codec for that envelope (`RequestStateSecurity(codec=...)`): HMAC-SHA256 over the envelope plus a
timestamp taken from an injectable clock, under `QOVERY_MCP_STATE_KEY` or a key made fresh per process. When a state
is altered, sealed under another key or older than the TTL, the sealer does not fail the request: it hands the tool
a refusal marker in place of the state, so the confirmer can say which one it was (eliciting.py). A refusal marker
never carries the original state, so it can only stop a call, never confirm one. What the SDK checks itself (the
tool name and the arguments the state was issued for, the server name, the caller) stays its frozen refusal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import time
from collections.abc import Callable
from typing import Any, Final

from mcp.server.request_state import InvalidRequestState, RequestStateSecurity

from qovery_job_mcp.config import MIN_STATE_KEY_BYTES

__all__ = [
    "REFUSED",
    "STATE_KEY_VARIABLE",
    "STATE_TTL_SECONDS",
    "StateSealer",
    "compact",
    "state_key_warning",
]

STATE_KEY_VARIABLE: Final = "QOVERY_MCP_STATE_KEY"
STATE_TTL_SECONDS: Final = 300.0
REFUSED: Final = "qovery-job-mcp/refused"
"""The key of the refusal marker the sealer puts in place of a state it cannot vouch for."""

_TAG: Final = "qjm1."
_KID_LEN: Final = 8
_TS_LEN: Final = 8
_MAC_LEN: Final = 32
_HEADER_LEN: Final = _KID_LEN + _TS_LEN + _MAC_LEN
_MAC_LABEL: Final = b"qovery-job-mcp/request-state/v1/mac"
_KID_LABEL: Final = b"qovery-job-mcp/request-state/v1/kid"
_FUTURE_SKEW: Final = 60.0
"""Seconds a state's timestamp may run ahead of this server's clock (replica clocks drift)."""
_SDK_GRACE: Final = 60.0
"""The SDK envelope's own expiry trails ours by this much, so our check (and its sentence) always comes first."""


def state_key_warning(key: bytes | None, *, http: bool) -> str | None:
    """The warning to log at startup, or None when none is due (stdio, or a key was given)."""
    if key is not None or not http:
        return None
    return (
        f"{STATE_KEY_VARIABLE} is not set: confirmations are sealed with a key made for this process, so an answer "
        "that reaches another replica, or this one after a restart, is refused and the user is asked again. Set the "
        f"same {STATE_KEY_VARIABLE} (32 bytes or more) on every replica."
    )


def _check_key(key: bytes) -> None:
    if len(key) < MIN_STATE_KEY_BYTES:
        raise ValueError(
            f"{STATE_KEY_VARIABLE} must be at least {MIN_STATE_KEY_BYTES} bytes; it is {len(key)}. "
            'Make one with: python -c "import secrets; print(secrets.token_hex(32))"'
        )


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64u_decode(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64u(raw) != text:
        raise ValueError("non-canonical base64url")
    return raw


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


class StateSealer:
    """Seals the SDK's `requestState` envelope with HMAC-SHA256 and a timestamp; a `RequestStateCodec`.

    Token: "qjm1." + base64url(key id (8) | milliseconds since the epoch (8) | HMAC (32) | envelope), the HMAC over
    everything but itself. The envelope is signed, not encrypted: a client can read it (tool, job id, version,
    plan hash), not change it.

    `clock` returns seconds since the epoch (like `time.time`, which the SDK uses for its own envelope claims).
    """

    def __init__(
        self,
        key: bytes | None = None,
        *,
        ttl: float = STATE_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if key is not None:
            _check_key(key)
        if not (math.isfinite(ttl) and ttl > 0):
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl!r}")
        self.ephemeral = key is None
        secret = os.urandom(32) if key is None else bytes(key)
        self._mac_key = hmac.new(secret, _MAC_LABEL, hashlib.sha256).digest()
        self._kid = hmac.new(secret, _KID_LABEL, hashlib.sha256).digest()[:_KID_LEN]
        self.ttl = ttl
        self._clock = clock

    @property
    def lifetime(self) -> float:
        """How long after it was sealed a state can still be accepted somewhere (a replica's clock may trail)."""
        return self.ttl + _FUTURE_SKEW

    def request_state_security(self) -> RequestStateSecurity:
        """The policy to hand `MCPServer(..., request_state_security=...)`; replicas need the same server name."""
        return RequestStateSecurity(codec=self, ttl=self.ttl + _SDK_GRACE)

    def _mac(self, kid: bytes, stamp: bytes, payload: bytes) -> bytes:
        return hmac.new(self._mac_key, _TAG.encode() + kid + stamp + payload, hashlib.sha256).digest()

    def seal(self, payload: bytes) -> str:
        stamp = int(self._clock() * 1000).to_bytes(_TS_LEN, "big", signed=True)
        return _TAG + _b64u(self._kid + stamp + self._mac(self._kid, stamp, payload) + payload)

    def unseal(self, token: str) -> bytes:
        """The envelope if authentic and fresh; otherwise the envelope with its state swapped for a refusal marker.

        Raises:
            InvalidRequestState: Not a token of this format at all (the SDK then refuses the request itself).
        """
        if not token.startswith(_TAG):
            raise InvalidRequestState("malformed")
        try:
            raw = _b64u_decode(token[len(_TAG) :])
        except ValueError:
            raise InvalidRequestState("malformed") from None
        if len(raw) <= _HEADER_LEN:
            raise InvalidRequestState("malformed")
        kid, stamp = raw[:_KID_LEN], raw[_KID_LEN : _KID_LEN + _TS_LEN]
        mac, payload = raw[_KID_LEN + _TS_LEN : _HEADER_LEN], raw[_HEADER_LEN:]
        if not hmac.compare_digest(kid, self._kid):
            return self._refusal(payload, "foreign_key")
        if not hmac.compare_digest(mac, self._mac(kid, stamp, payload)):
            return self._refusal(payload, "tampered")
        age = self._clock() - int.from_bytes(stamp, "big", signed=True) / 1000
        if age < -_FUTURE_SKEW:
            return self._refusal(payload, "future", age=age)
        if age >= self.ttl:
            return self._refusal(payload, "expired", age=age)
        return payload

    def _refusal(self, payload: bytes, reason: str, *, age: float | None = None) -> bytes:
        """Keep the envelope's request binding (the SDK still checks it) and replace its state with why it failed."""
        try:
            envelope = json.loads(payload)
        except ValueError:
            raise InvalidRequestState("malformed") from None
        if not isinstance(envelope, dict):
            raise InvalidRequestState("malformed")
        marker: dict[str, Any] = {REFUSED: reason, "ttl": self.ttl, "ephemeral": self.ephemeral}
        if age is not None:
            marker["age"] = round(age)
        now = time.time()  # the SDK checks its claims against time.time, not against our clock
        envelope.update(s=compact(marker), iat=now, exp=now + _SDK_GRACE)
        return compact(envelope).encode()
