"""What a benchmark run measures and how much: the plan (full or quick), the job every call reads, the statistics."""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

JOB_ID = "d4a2f9c6-1e8b-4c7d-b3a5-7f9e2c4a6b18"  # nightly-report, a CRON job with an image source
OPS = ("get_job", "get_status")
UPSTREAM_PATHS = {"get_job": f"/job/{JOB_ID}", "get_status": f"/job/{JOB_ID}/status"}
CONCURRENCY = (1, 8, 16, 32)


@dataclass(frozen=True)
class Plan:
    quick: bool
    cold_runs: int
    warmup: int
    rounds: int
    per_round: int
    tp_seconds: float
    tp_rounds: int
    rss_small: int
    rss_large: int

    @classmethod
    def make(cls, quick: bool) -> Plan:
        if quick:
            return cls(True, 3, 20, 2, 50, 1.0, 1, 100, 1_000)
        return cls(False, 12, 60, 6, 100, 2.5, 3, 100, 10_000)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {"n": 0}

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 4),
        "p90": round(pct(90), 4),
        "p99": round(pct(99), 4),
        "mean": round(statistics.fmean(ordered), 4),
        "min": round(ordered[0], 4),
    }


def rotation(items: list[Any], round_no: int) -> list[Any]:
    """Each round starts with a different contender, so none always runs first (or last)."""
    shift = round_no % len(items)
    return items[shift:] + items[:shift]
