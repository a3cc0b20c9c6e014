"""The /healthz answer both HTTP surfaces give: what the server is, and the state store's state.

Liveness never fails on the store: a Redis that is down is reported (`store.status` "degraded",
writes refused, reads going on) with status 200, so an orchestrator does not restart replicas that
could not fix it. The store's own check is bounded by its command timeout.

/healthz answers any Host without credentials (probes use the pod's address), so it says what kind of
store this is and whether it answers, never where it is: the store's address and its errors go to the log.
"""

from __future__ import annotations

from qovery_job_mcp.config import Settings
from qovery_job_mcp.store.base import StateStore

UNHEALTHY_STORE = (
    "The shared state store does not answer: writes are refused, reads go on with a per-process request "
    "budget. The server log says why."
)


async def health_document(settings: Settings, transport: str, store: StateStore | None) -> dict[str, object]:
    document = settings.health(transport)
    if store is not None:
        health = await store.health()
        entry: dict[str, str] = {"kind": health.kind, "status": health.status}
        if health.status != "ok":
            entry["detail"] = UNHEALTHY_STORE
        document["store"] = entry
    return document
