"""The simulator's deployment timelines: which state a deployment is in at each simulated second."""

from __future__ import annotations

from typing import Any

import pytest

from qovery_job_mcp.simulation.data import (
    CLEANUP_JOB_ID,
    MIGRATIONS_JOB_ID,
    NIGHTLY_JOB_ID,
    demo_commits,
    demo_jobs,
)
from qovery_job_mcp.simulation.deployments import broken_failure, plan

JOBS = demo_jobs()
T0 = 1796119200.0


def timeline(
    job_id: str,
    *,
    tag: str = "1.9.0",
    commit: dict[str, Any] | None = None,
    run: str | None = None,
    failure: dict[str, Any] | None = None,
    kind: str = "deploy",
) -> list[str]:
    deployment = plan(
        JOBS[job_id], kind, number=1, started=T0, tag=tag, commit=commit, run_event=run, failure=failure
    )
    return [deployment.state_at(T0 + second) for second in range(0, 20, 2)]


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (
            timeline(NIGHTLY_JOB_ID),
            ["DEPLOYMENT_QUEUED", "DEPLOYING", "DEPLOYING", "DEPLOYED", *["DEPLOYED"] * 6],
        ),
        (
            timeline(NIGHTLY_JOB_ID, failure=broken_failure("acme/reporter:broken")),
            ["DEPLOYMENT_QUEUED", "DEPLOYING", "DEPLOYING", *["DEPLOYMENT_ERROR"] * 7],
        ),
        (
            timeline(NIGHTLY_JOB_ID, run="CRON"),
            [
                "DEPLOYMENT_QUEUED",
                "DEPLOYING",
                "DEPLOYING",
                "EXECUTING",
                "EXECUTING",
                "EXECUTING",
                *["DEPLOYED"] * 4,
            ],
        ),
        (
            timeline(MIGRATIONS_JOB_ID, commit=demo_commits()[MIGRATIONS_JOB_ID][0], run="START"),
            [
                "DEPLOYMENT_QUEUED",
                "BUILDING",
                "BUILDING",
                "DEPLOYING",
                "DEPLOYING",
                "EXECUTING",
                "EXECUTING",
                "EXECUTING",
                "DEPLOYED",
                "DEPLOYED",
            ],
        ),
        (timeline(CLEANUP_JOB_ID, kind="stop"), ["STOP_QUEUED", "STOPPING", *["STOPPED"] * 8]),
    ],
)
def test_timelines(states: list[str], expected: list[str]) -> None:
    assert states == expected


def test_log_lines_appear_as_time_passes_with_errors_at_the_end() -> None:
    deployment = plan(
        JOBS[NIGHTLY_JOB_ID],
        "deploy",
        number=7,
        started=T0,
        tag="2.0-broken",
        commit=None,
        run_event=None,
        failure=broken_failure("acme/reporter:2.0-broken"),
    )
    early = deployment.log_lines(T0 + 1, "org", "cluster")
    late = deployment.log_lines(T0 + 60, "org", "cluster")
    assert 0 < len(early) < len(late)
    assert {line["details"]["transmitter"]["type"] for line in late} == {"Environment", "Job"}
    errors = [line for line in late if line["type"] == "error"]
    assert errors[-1]["message"]["safe_message"] == "Deployment of job nightly-report failed"
    assert any((line["error"] or {}).get("hint_message") for line in errors)
    assert all(line["details"]["execution_id"] == deployment.execution_id for line in late)
    entry = deployment.history_entry(T0 + 60)
    assert (entry["status"], entry["details"]["tag"], entry["total_duration"]) == (
        "DEPLOYMENT_ERROR",
        "2.0-broken",
        "PT6S",
    )
