"""The /healthz answer both HTTP surfaces give: what the server is, and the state store's state.

Liveness never fails on the store: a Redis that is down is reported (`store.status` "degraded",
writes refused, reads going on) with status 200, so an orchestrator does not restart replicas that
could not fix it. The store's own check is bounded by its command timeout.
"""

from __future__ import annotations

from qovery_job_mcp.config import Settings
from qovery_job_mcp.store.base import StateStore


async def health_document(settings: Settings, transport: str, store: StateStore | None) -> dict[str, object]:
    document = settings.health(transport)
    if store is not None:
        document["store"] = (await store.health()).as_dict()
    return document
