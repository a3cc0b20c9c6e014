"""What the client asks before each attempt and tells after each answer: a port, filled by the composition root.

The client stays free of settings and of any store: it calls an optional `RequestGate` around every
attempt it makes. The shared state store's gate (store/gate.py) spends the credential's request
budget before an attempt (or refuses it, nothing sent), checks a held write lock's lease before a
write leaves (fencing), and shares Qovery's rate-limit headers after the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import httpx


class RequestGate(Protocol):
    """Around each attempt of a request; `credential` is the secret the attempt is sent with."""

    async def before_attempt(self, method: str, credential: str) -> None:
        """Raise a JobError to stop the attempt before anything is sent."""
        ...

    async def after_answer(self, credential: str, response: httpx.Response) -> None:
        """Learn from an answer (its rate-limit headers); never raises."""
        ...
