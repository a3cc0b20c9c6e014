"""Single-use confirmations: a sealed state answered once is refused the second time, on any replica.

A 2026-07-28 confirmation comes back as a sealed `requestState` and stays authentic for five
minutes; without a record of its use, the same yes could be sent again (issue 19 #8: an edit undone
and then replayed). Each state carries a random nonce (eliciting.py); the first answer records it in
the state store (in the process by default, in Redis when replicas share one), and a later answer
with the same nonce is refused before anything is sent (`StateAlreadyUsedError`). Records expire
when the state would have anyway, so the store holds only live ones.
"""

from __future__ import annotations

from qovery_job_mcp.store.base import StateStore
from qovery_job_mcp.store.errors import StateAlreadyUsedError

#: Markers are namespaced in the store, apart from anything else it records.
PREFIX = "confirmation:"


class UsedStates:
    """The record of answered confirmation states, kept `lifetime` seconds (a state's whole validity)."""

    def __init__(self, store: StateStore, lifetime: float) -> None:
        self.store = store
        self.lifetime = lifetime

    async def first_answer(self, nonce: str) -> None:
        """Record this answer; raise `StateAlreadyUsedError` when the state was answered before.

        A store that cannot answer raises `StoreUnavailableError`: the write is then refused too.
        """
        if not await self.store.consume(PREFIX + nonce, self.lifetime):
            raise StateAlreadyUsedError()
