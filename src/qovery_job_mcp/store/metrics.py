"""Prometheus metrics of the shared state store: lock waits and timeouts, used-state refusals,
budget left per credential hash, store errors and degraded mode.

Off until `enable(registry)` is called with the registry /metrics exposes (web/access.py, when an
HTTP surface enables its metrics), so stdio never imports prometheus-client and each hook below is
one test of a module variable when metrics are off. Labels are bounded: operation names the store
chooses, and credential hashes (`cred:` and 12 hex digits, never a credential), of which at most
`MAX_CREDENTIAL_LABELS` get a series; budgets of further credentials are still enforced, not graphed.
"""

from __future__ import annotations

import weakref
from typing import Any

MAX_CREDENTIAL_LABELS = 100

_metrics: dict[str, Any] | None = None
_credentials: set[str] = set()
#: The metrics made in each registry: a registry refuses the same names twice, so enabling it again reuses them.
_made: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def enable(registry: Any) -> None:
    """Record the store's metrics in `registry` (a prometheus_client CollectorRegistry), made once per registry."""
    global _metrics
    _credentials.clear()
    made = _made.get(registry)
    if made is None:
        made = _made[registry] = _create(registry)
    _metrics = made


def _create(registry: Any) -> dict[str, Any]:
    from prometheus_client import Counter, Gauge, Histogram

    return {
        "lock_wait": Histogram(
            "qovery_job_mcp_store_lock_wait_seconds",
            "Time a write waited for its job's lock, per acquisition (0 when the job was free).",
            buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        ),
        "lock_timeouts": Counter(
            "qovery_job_mcp_store_lock_timeouts", "Writes refused because another change held the job too long.",
            registry=registry,
        ),
        "lease_lost": Counter(
            "qovery_job_mcp_store_lease_lost", "Writes not sent because their lease lapsed first (fencing).",
            registry=registry,
        ),
        "consumed": Counter(
            "qovery_job_mcp_store_consumed_state_refusals",
            "Confirmation states refused because they were answered before.",
            registry=registry,
        ),
        "budget_remaining": Gauge(
            "qovery_job_mcp_store_budget_remaining",
            "Requests left in the shared budget, by credential hash.",
            ["credential"],
            registry=registry,
        ),
        "budget_refusals": Counter(
            "qovery_job_mcp_store_budget_refusals", "Calls refused before sending: request budget spent.",
            registry=registry,
        ),
        "errors": Counter(
            "qovery_job_mcp_store_errors", "Store commands that failed or timed out, by operation.",
            ["operation"],
            registry=registry,
        ),
        "degraded": Gauge(
            "qovery_job_mcp_store_degraded",
            "1 while the shared store is unreachable (writes refused, budget counted per process).",
            registry=registry,
        ),
    }  # fmt: skip


def disable() -> None:
    """Stop recording (tests that enabled metrics on a registry of their own)."""
    global _metrics
    _metrics = None
    _credentials.clear()


def lock_acquired(waited: float) -> None:
    if _metrics is not None:
        _metrics["lock_wait"].observe(waited)


def lock_timed_out() -> None:
    if _metrics is not None:
        _metrics["lock_timeouts"].inc()


def lease_lost() -> None:
    if _metrics is not None:
        _metrics["lease_lost"].inc()


def consumed_refused() -> None:
    if _metrics is not None:
        _metrics["consumed"].inc()


def budget_remaining(credential_hash: str, remaining: int) -> None:
    if _metrics is None:
        return
    if credential_hash not in _credentials:
        if len(_credentials) >= MAX_CREDENTIAL_LABELS:
            return
        _credentials.add(credential_hash)
    _metrics["budget_remaining"].labels(credential_hash).set(remaining)


def budget_refused() -> None:
    if _metrics is not None:
        _metrics["budget_refusals"].inc()


def store_error(operation: str) -> None:
    if _metrics is not None:
        _metrics["errors"].labels(operation).inc()


def degraded(on: bool) -> None:
    if _metrics is not None:
        _metrics["degraded"].set(1 if on else 0)
