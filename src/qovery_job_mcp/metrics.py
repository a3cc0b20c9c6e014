"""Prometheus metrics for the people who run the HTTP surfaces: calls, latency, Qovery requests, drain.

Off until an HTTP surface calls `enable()`: stdio never imports prometheus-client, and every
`observe_*` below is one boolean test when metrics are off. Labels are bounded sets the server
chooses (tool names, outcome kinds, HTTP methods and statuses, attempt numbers): never a
credential, a job id or a job setting.
"""

from __future__ import annotations

from typing import Any

_metrics: dict[str, Any] | None = None


def enable() -> None:
    """Create the metrics once (idempotent); called when an HTTP surface is built."""
    global _metrics
    if _metrics is not None:
        return
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    registry = CollectorRegistry()
    _metrics = {
        "registry": registry,
        "calls": Counter(
            "qovery_job_mcp_calls", "Tool and REST calls, by operation and outcome.", ["tool", "outcome"],
            registry=registry,
        ),
        "latency": Histogram(
            "qovery_job_mcp_call_duration_seconds", "Time to answer a call, by operation.", ["tool"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 45),
            registry=registry,
        ),
        "in_flight": Gauge("qovery_job_mcp_calls_in_flight", "Calls being answered now.", registry=registry),
        "upstream": Counter(
            "qovery_job_mcp_qovery_requests",
            "Requests sent to Qovery, by method, answer status (or 'none') and attempt number.",
            ["method", "status", "attempt"],
            registry=registry,
        ),
        "retries": Counter("qovery_job_mcp_qovery_retries", "Retries of a Qovery request.", registry=registry),
        "draining": Gauge("qovery_job_mcp_draining", "1 while shutting down after SIGTERM.", registry=registry),
    }  # fmt: skip


def enabled() -> bool:
    return _metrics is not None


def registry() -> Any:
    """The registry /metrics exposes, for metrics kept by other modules (the state store's)."""
    assert _metrics is not None, "metrics.enable() first"
    return _metrics["registry"]


def call_started() -> None:
    if _metrics is not None:
        _metrics["in_flight"].inc()


#: Labelled children by (metric, label values): prometheus-client's `labels()` takes a lock and
#: builds the key on every call; the label sets are small and bounded, so each is looked up once.
_children: dict[tuple[str, ...], Any] = {}


def _child(metric: str, *values: str) -> Any:
    key = (metric, *values)
    child = _children.get(key)
    if child is None:
        assert _metrics is not None
        child = _children[key] = _metrics[metric].labels(*values)
    return child


def call_finished(tool: str, outcome: str, seconds: float) -> None:
    if _metrics is not None:
        _metrics["in_flight"].dec()
        _child("calls", tool, outcome).inc()
        _child("latency", tool).observe(seconds)


def upstream_request(method: str, status: int | None, attempt: int) -> None:
    if _metrics is not None:
        _child("upstream", method, str(status) if status is not None else "none", str(attempt)).inc()
        if attempt > 1:
            _metrics["retries"].inc()


def draining() -> None:
    if _metrics is not None:
        _metrics["draining"].set(1)


def exposition() -> tuple[bytes, str]:
    """The text format and its content type (metrics must be enabled)."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    assert _metrics is not None, "metrics.enable() first"
    return generate_latest(_metrics["registry"]), CONTENT_TYPE_LATEST
