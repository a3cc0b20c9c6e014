"""The simulated Qovery API's deployments: deploy, redeploy, stop, the history and the environment logs.

Shaped as qovery-openapi-full.yaml describes them (202 `Status`, `DeploymentHistoryService`,
`EnvironmentLogs`). A deployment is a timeline, not a background task: its state at any moment is
computed from the simulator's clock, so a test that injects the clock walks a deployment through
DEPLOYMENT_QUEUED → DEPLOYING → DEPLOYED without waiting. An image tag containing `broken` ends in
DEPLOYMENT_ERROR with error log lines; a cron job forced with CRON goes EXECUTING and ends; a second
operation while one runs gets 409. History and logs are capped per job, so memory stays bounded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from qovery_job_mcp.simulation.data import demo_deployments

Clock = Callable[[], float]
#: Qovery keeps the 20 last deployments of a service; older ones are dropped.
MAX_DEPLOYMENTS_PER_JOB = 20
#: The environment logs endpoint returns the last 1000 lines.
MAX_ENVIRONMENT_LINES = 1000
FORCE_EVENTS = ("START", "STOP", "DELETE", "CRON")
SUCCESS_END = {"deploy": "DEPLOYED", "stop": "STOPPED"}
ERROR_END = {"deploy": "DEPLOYMENT_ERROR", "stop": "STOP_ERROR"}
STEP_NAMES = {
    "DEPLOYMENT_QUEUED": "DEPLOYMENT_QUEUEING",
    "BUILDING": "BUILD",
    "DEPLOYING": "DEPLOYMENT",
    "EXECUTING": "EXECUTING",
}


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def action_status(state: str, kind: str) -> str:
    if state.endswith("_QUEUED"):
        return "QUEUED"
    if state == "EXECUTING":
        return "EXECUTING"
    if state == SUCCESS_END[kind]:
        return "SUCCESS"
    if state == ERROR_END[kind]:
        return "ERROR"
    return "ONGOING"


@dataclass
class Deployment:
    """One deployment request of a job, as a timeline of (state, seconds) phases and its log lines."""

    job: dict[str, Any]
    kind: str  # "deploy" or "stop"
    number: int
    started: float
    phases: list[tuple[str, float]]
    failed: bool = False
    tag: str = ""
    commit: dict[str, Any] | None = None
    execution_id: str = ""
    request_id: str = ""
    triggered_by: str = "API token"
    seeded: bool = False
    #: (seconds after start, type, message, error) for each line, in order.
    lines: list[tuple[float, str, str, dict[str, Any] | None]] = field(default_factory=list)

    @property
    def ends(self) -> float:
        return self.started + sum(seconds for _, seconds in self.phases)

    def state_at(self, now: float) -> str:
        moment = self.started
        for state, seconds in self.phases:
            moment += seconds
            if now < moment:
                return state
        return (ERROR_END if self.failed else SUCCESS_END)[self.kind]

    def running_at(self, now: float) -> bool:
        return now < self.ends

    def status_details(self, now: float) -> dict[str, str]:
        action = "STOP" if self.kind == "stop" else "DEPLOY"
        return {
            "action": action,
            "status": action_status(self.state_at(now), self.kind),
            "sub_action": "NONE",
        }

    def steps(self, now: float) -> dict[str, Any]:
        details, moment = [], self.started
        for state, seconds in self.phases:
            if now < moment or state not in STEP_NAMES:
                moment += seconds
                continue
            done = now >= moment + seconds
            status = "ERROR" if done and self.failed and moment + seconds >= self.ends else "SUCCESS"
            details.append(
                {
                    "step_name": STEP_NAMES[state],
                    "status": status,
                    "duration_sec": int(min(now, moment + seconds) - moment),
                }
            )
            moment += seconds
        total = int(self.ends - self.started) if not self.running_at(now) else None
        return {
            "total_duration_sec": total,
            "total_computing_duration_sec": int(min(now, self.ends) - self.started),
            "details": details,
        }

    def history_entry(self, now: float) -> dict[str, Any]:
        job = self.job
        source = job.get("source") or {}
        image = source.get("image") or {}
        git = (source.get("docker") or {}).get("git_repository") or {}
        details: dict[str, Any] = {
            "image_name": image.get("image_name") or git.get("name") or job["name"],
            "tag": self.tag,
            "job_type": job.get("job_type"),
            "schedule": _history_schedule(job.get("schedule") or {}),
            "build_pod_name": f"build-{self.execution_id}-0" if self.commit else None,
        }
        if self.commit is not None:
            details["commit"] = self.commit
        entry: dict[str, Any] = {
            "identifier": {
                "name": job["name"],
                "service_id": job["id"],
                "service_type": "JOB",
                "execution_id": self.execution_id,
            },
            "status": self.state_at(now),
            "auditing_data": {
                "created_at": iso(self.started),
                "updated_at": iso(min(now, self.ends)),
                "triggered_by": self.triggered_by,
                "origin": "API",
            },
            "details": details,
            "status_details": self.status_details(now),
            "icon_uri": job.get("icon_uri", "app://qovery-console/job"),
        }
        if not self.running_at(now):
            entry["total_duration"] = f"PT{int(self.ends - self.started)}S"
        return entry

    def log_lines(self, now: float, organization_id: str, cluster_id: str) -> list[dict[str, Any]]:
        shown = []
        for offset, level, text, error in self.lines:
            if self.started + offset > now:
                break
            transmitter = {"type": "Job", "id": self.job["id"], "name": self.job["name"]}
            if level == "environment":
                level = "info"
                transmitter = {
                    "type": "Environment",
                    "id": self.job["environment"]["id"],
                    "name": "production",
                }
            shown.append(
                {
                    "type": level,
                    "timestamp": iso(self.started + offset),
                    "details": {
                        "organization_id": organization_id,
                        "cluster_id": cluster_id,
                        "execution_id": self.execution_id,
                        "transmitter": transmitter,
                        "stage": {"step": "Deploy", "id": None, "name": None},
                    },
                    "error": error,
                    "message": {"safe_message": text, "full_details": text},
                }
            )
        return shown


def _history_schedule(schedule: dict[str, Any]) -> dict[str, Any]:
    """The job's schedule as the history spells it (`cron_job`, not `cronjob`)."""
    shaped = {key: value for key, value in schedule.items() if key != "cronjob"}
    if schedule.get("cronjob"):
        shaped["cron_job"] = schedule["cronjob"]
    return shaped


# ---------------------------------------------------------------------------------------------
# Timelines: what a deployment goes through, and what it logs on the way
# ---------------------------------------------------------------------------------------------

QUEUED_SECONDS = 2.0
BUILD_SECONDS = 4.0
DEPLOY_SECONDS = 4.0
EXECUTE_SECONDS = 6.0
STOP_SECONDS = 2.0


def broken_failure(image: str) -> dict[str, Any]:
    """What a deploy of an image tag containing `broken` logs: its container never starts."""
    return {
        "lines": [
            f"Container {image} exited with code 1 right after start",
            "Back-off restarting failed container (3 restarts)",
        ],
        "tag": "JOB_CONTAINER_FAILED",
        "user_log_message": f"The job's container {image} failed to start: it exited with code 1.",
        "hint_message": "Check the image's entrypoint and arguments, or deploy the previous tag again.",
    }


def plan(
    job: dict[str, Any],
    kind: str,
    *,
    number: int,
    started: float,
    tag: str,
    commit: dict[str, Any] | None,
    run_event: str | None,
    failure: dict[str, Any] | None,
    executing_seconds: float = EXECUTE_SECONDS,
) -> Deployment:
    """A deployment's timeline and log lines: queued, built (git), deployed, executed (a run), ended."""
    image = f"{(job['source'].get('image') or {}).get('image_name', job['name'])}:{tag}"
    deployment = Deployment(
        job=copy.deepcopy(job), kind=kind, number=number, started=started, phases=[], tag=tag, commit=commit
    )
    deployment.execution_id = f"{job['id']}-{number}-{int(started)}"
    deployment.request_id = _request_id(job["id"], number)
    lines = deployment.lines
    moment = 0.0

    def phase(state: str, seconds: float, *texts: str) -> None:
        nonlocal moment
        deployment.phases.append((state, seconds))
        for index, text in enumerate(texts):
            lines.append((moment + min(index, seconds / 2), "info", text, None))
        moment += seconds

    if kind == "stop":
        phase("STOP_QUEUED", QUEUED_SECONDS / 2, f"Stop of job {job['name']} queued")
        phase("STOPPING", STOP_SECONDS, f"Stopping job {job['name']}")
        lines.append((moment, "info", f"Job {job['name']} stopped", None))
        return deployment
    lines.append((0.0, "environment", f"Environment deployment request {deployment.request_id} queued", None))
    phase("DEPLOYMENT_QUEUED", QUEUED_SECONDS, f"Deployment of job {job['name']} queued")
    if commit is not None:
        sha = commit["git_commit_id"]
        phase(
            "BUILDING", BUILD_SECONDS, f"Cloning repository at commit {sha[:7]}", "Building the job's image"
        )
    else:
        lines.append((moment, "info", f"Mirroring image {image}", None))
    phase(
        "DEPLOYING",
        DEPLOY_SECONDS,
        f"Deploying job {job['name']} ({image if commit is None else commit['git_commit_id'][:7]})",
    )
    if failure is None and run_event is not None:
        phase("EXECUTING", executing_seconds, f"Job started by event {run_event}", "Job is running")
        lines.append((moment - 0.5, "info", "Job completed with exit code 0", None))
    if failure is not None:
        if failure.get("during") == "EXECUTING":
            phase("EXECUTING", executing_seconds, f"Job started by event {run_event or 'CRON'}")
        error: dict[str, Any] = {
            key: failure[key] for key in ("tag", "user_log_message", "hint_message") if key in failure
        }
        at = moment - 0.5
        for text in failure.get("lines", []):
            lines.append((at, "error", text, None))
        lines.append((at, "error", str(failure.get("user_log_message", "")), error))
        lines.append((moment, "error", f"Deployment of job {job['name']} failed", None))
        deployment.failed = True
    else:
        lines.append((moment, "info", f"Deployment of job {job['name']} succeeded", None))
    return deployment


def _request_id(job_id: str, number: int) -> str:
    """A stable UUID-shaped deployment request id for a job's n-th deployment."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"qovery-sim/{job_id}/{number}"))


def seeded_deployments(jobs: dict[str, dict[str, Any]]) -> list[Deployment]:
    """The demo's finished deployments (simulation/data.py), as timelines with their log lines."""
    made = []
    for seed in demo_deployments():
        job = jobs.get(seed["job_id"])
        if job is None:
            continue
        commit = seed.get("commit")
        deployment = plan(
            job,
            "deploy",
            number=seed["number"],
            started=parse_iso(seed["started_at"]),
            tag=seed.get("tag") or (commit or {}).get("git_commit_id", ""),
            commit=commit,
            run_event=seed.get("run_event"),
            failure=seed.get("failure"),
            executing_seconds=float(seed.get("executing_seconds", EXECUTE_SECONDS)),
        )
        deployment.execution_id = seed.get("execution_id", deployment.execution_id)
        deployment.triggered_by = seed.get("triggered_by", deployment.triggered_by)
        deployment.seeded = True
        made.append(deployment)
    return made
