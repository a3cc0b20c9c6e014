"""The demo's data: three jobs (a lifecycle migration, a nightly cron, a cleanup), their commits and statuses.

Shaped exactly as Qovery's OpenAPI document describes JobResponse, Status and the commit list, so
the demo and the tests exercise the real shapes. Tests import the ids from here rather than copy them.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

DEMO_API_KEY = "qov_demo_key_for_the_simulated_api"
ENVIRONMENT_ID = "3a1f7c52-8e4b-4d9a-b6f0-2c7d9e1a5b38"
REGISTRY = {
    "id": "6b2d8f40-1c5e-4a7b-9d3f-8e0a2c4b6d71",
    "name": "Docker Hub",
    "url": "https://docker.io",
    "kind": "DOCKER_HUB",
}
LABELS_GROUPS = {
    "9e4c2a6b-7d1f-4b3e-8a5c-0f2d4b6e8a13": {
        "id": "9e4c2a6b-7d1f-4b3e-8a5c-0f2d4b6e8a13",
        "created_at": "2026-01-10T10:00:00Z",
        "name": "team-data",
        "labels": [{"key": "team", "value": "data", "propagate_to_cloud_provider": True}],
    }
}
ANNOTATIONS_GROUPS = {
    "4f8a1c3e-5b7d-4e9f-a2c4-6e8b0d2f4a95": {
        "id": "4f8a1c3e-5b7d-4e9f-a2c4-6e8b0d2f4a95",
        "created_at": "2026-02-03T08:30:00Z",
        "updated_at": "2026-02-03T08:30:00Z",
        "name": "observability",
        "annotations": [{"key": "prometheus.io/scrape", "value": "true"}],
        "scopes": ["PODS"],
    }
}

MIGRATIONS_JOB_ID = "0b7e3c1a-6d2f-4f8e-9a41-5c3b8d2e7f60"
NIGHTLY_JOB_ID = "d4a2f9c6-1e8b-4c7d-b3a5-7f9e2c4a6b18"
CLEANUP_JOB_ID = "8f1d5b3e-2a9c-4e6f-8b7d-3c5a1e9f0d24"
DEMO_JOBS = (
    (MIGRATIONS_JOB_ID, "db-migrations", "LIFECYCLE, git source, runs migrations on environment start"),
    (
        NIGHTLY_JOB_ID,
        "nightly-report",
        "CRON 0 2 * * * Europe/Paris, image acme/reporter:1.8.2, last run failed",
    ),
    (CLEANUP_JOB_ID, "preview-cleanup", "CRON every 6 hours, git source, never deployed"),
)

JOB_DEFAULTS: dict[str, Any] = {
    "description": None,
    "cpu": 500,
    "memory": 512,
    "gpu": 0,
    "max_nb_restart": 0,
    "max_duration_seconds": 300,
    "auto_preview": False,
    "port": None,
    "cpu_architecture": None,
    "auto_deploy": False,
    "icon_uri": "app://qovery-console/job",
}


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def git_repository(name: str, commit: str) -> dict[str, Any]:
    return {
        "has_access": True,
        "provider": "GITHUB",
        "owner": "acme",
        "url": f"https://github.com/acme/{name}.git",
        "name": f"acme/{name}",
        "branch": "main",
        "root_path": "/",
        "deployed_commit_id": commit,
        "deployed_commit_date": "2026-11-27T15:58:11Z",
        "deployed_commit_contributor": "Jane Doe",
        "deployed_commit_tag": "",
        "git_token_id": None,
        "git_token_name": None,
    }


def _base_job(job_id: str, name: str, created: str) -> dict[str, Any]:
    return {
        "id": job_id,
        "created_at": created,
        "updated_at": created,
        "environment": {"id": ENVIRONMENT_ID},
        "maximum_cpu": 16000,
        "maximum_memory": 32768,
        "maximum_gpu": 0,
        "name": name,
        "healthchecks": {},
        "service_type": "JOB",
        "annotations_groups": [],
        "labels_groups": [],
        **{key: value for key, value in JOB_DEFAULTS.items()},
    }


def _commit(sha: str, when: str, author: str, message: str, tag: str = "") -> dict[str, Any]:
    return {
        "git_commit_id": sha,
        "created_at": when,
        "author_name": author,
        "message": message,
        "tag": tag,
        "author_avatar_url": "https://avatars.example.invalid/u/1",
        "commit_page_url": f"https://github.com/acme/backend/commit/{sha}",
    }


def demo_jobs() -> dict[str, dict[str, Any]]:
    """Three realistic jobs: a git LIFECYCLE job, an image CRON job, a git CRON job."""
    migrations = _base_job(MIGRATIONS_JOB_ID, "db-migrations", "2026-05-12T09:14:03.512345Z")
    migrations.update(
        description="Runs schema migrations when the environment starts",
        cpu_architecture="AMD64",
        auto_deploy=True,
        icon_uri="app://qovery-console/lifecycle-job",
        job_type="LIFECYCLE",
        source={
            "docker": {
                "git_repository": git_repository("backend", "5e1a9c3f7b2d4e6a8c0f1b3d5e7a9c2b4d6f8a0e"),
                "dockerfile_path": "Dockerfile.migrations",
                "dockerfile_raw": None,
                "docker_target_build_stage": None,
            }
        },
        schedule={
            "on_start": {"entrypoint": "/bin/sh", "arguments": ["-c", "npm run migrate"]},
            "lifecycle_type": "GENERIC",
        },
        annotations_groups=[copy.deepcopy(next(iter(ANNOTATIONS_GROUPS.values())))],
    )
    nightly = _base_job(NIGHTLY_JOB_ID, "nightly-report", "2026-03-02T11:40:27.004511Z")
    nightly.update(
        description="Builds the nightly usage report",
        cpu=250,
        memory=256,
        ephemeral_storage_in_gib=5,
        cpu_architecture="ARM64",
        max_nb_restart=1,
        max_duration_seconds=3600,
        icon_uri="app://qovery-console/cron-job",
        job_type="CRON",
        source={
            "image": {
                "image_name": "acme/reporter",
                "tag": "1.8.2",
                "registry_id": REGISTRY["id"],
                "registry": dict(REGISTRY),
            }
        },
        schedule={
            "cronjob": {
                "entrypoint": "python",
                "arguments": ["-m", "reporter", "--since", "24h"],
                "timezone": "Europe/Paris",
                "scheduled_at": "0 2 * * *",
            }
        },
        labels_groups=[copy.deepcopy(next(iter(LABELS_GROUPS.values())))],
    )
    cleanup = _base_job(CLEANUP_JOB_ID, "preview-cleanup", "2026-09-21T07:05:44.120000Z")
    cleanup.update(
        description="Deletes preview environments older than a week",
        job_type="CRON",
        source={
            "docker": {
                "git_repository": git_repository("ops-scripts", "a7c9e1b3d5f70214365879abcdef0123456789ab"),
                "dockerfile_path": "Dockerfile",
                "dockerfile_raw": None,
                "docker_target_build_stage": None,
            }
        },
        schedule={
            "cronjob": {
                "scheduled_at": "0 */6 * * *",
                "timezone": "Etc/UTC",
                "arguments": ["cleanup", "--older-than", "7d"],
            }
        },
    )
    return {job["id"]: job for job in (migrations, nightly, cleanup)}


def demo_commits() -> dict[str, list[dict[str, Any]]]:
    backend = [
        _commit(
            "5e1a9c3f7b2d4e6a8c0f1b3d5e7a9c2b4d6f8a0e",
            "2026-11-27T15:58:11Z",
            "Jane Doe",
            "feat(db): add orders.shipped_at (#512)",
        ),
        _commit(
            "b3d5f7a9c1e3052749618a0c2e4f6a8b0d2f4a6c",
            "2026-11-26T09:21:45Z",
            "GitHub",
            "chore(release): v3.2.0",
            "v3.2.0",
        ),
        _commit(
            "1c3e5a7b9d0f2e4a6c8b0d1f3a5c7e9b2d4f6a8c",
            "2026-11-25T17:03:02Z",
            "John Smith",
            "fix(migrations): make 0051 idempotent",
        ),
        _commit(
            "7f9b1d3a5c7e0a2c4e6b8d0f1a3c5e7b9d2f4a6e",
            "2026-11-24T11:45:10Z",
            "Jane Doe",
            "feat(api): orders export",
        ),
    ]
    ops = [
        _commit(
            "a7c9e1b3d5f70214365879abcdef0123456789ab",
            "2026-11-20T08:00:00Z",
            "Ops Bot",
            "cleanup: keep 7 days of previews",
        ),
        _commit(
            "c2e4a6b8d0f1325476980abcdef1234567890abc",
            "2026-11-10T08:00:00Z",
            "Ops Bot",
            "cleanup: dry-run flag",
        ),
    ]
    return {MIGRATIONS_JOB_ID: backend, CLEANUP_JOB_ID: ops}


def never_deployed_status(job_id: str) -> dict[str, Any]:
    """The status Qovery reports for a job with no deployment yet (and the one a first deployment starts from)."""
    return {
        "id": job_id,
        "state": "STOPPED",
        "service_deployment_status": "NEVER_DEPLOYED",
        "is_part_last_deployment": False,
        "status_details": {"action": "UNKNOWN", "status": "NEVER", "sub_action": "NONE"},
        "deployment_request_id": None,
        "deployment_requests_count": 0,
    }


def demo_statuses() -> dict[str, dict[str, Any]]:
    def status(
        job_id: str, state: str, deployment: str, action: str, result: str, **extra: Any
    ) -> dict[str, Any]:
        return {
            "id": job_id,
            "state": state,
            "service_deployment_status": deployment,
            "is_part_last_deployment": True,
            "status_details": {"action": action, "status": result, "sub_action": "NONE"},
            "deployment_request_id": None,
            "deployment_requests_count": 0,
            **extra,
        }

    return {
        MIGRATIONS_JOB_ID: status(
            MIGRATIONS_JOB_ID,
            "DEPLOYED",
            "UP_TO_DATE",
            "DEPLOY",
            "SUCCESS",
            last_deployment_date="2026-11-27T16:02:40.118Z",
            steps={
                "total_duration_sec": 94,
                "total_computing_duration_sec": 71,
                "details": [
                    {"step_name": "BUILD", "status": "SUCCESS", "duration_sec": 48},
                    {"step_name": "DEPLOYMENT", "status": "SUCCESS", "duration_sec": 23},
                ],
            },
        ),
        NIGHTLY_JOB_ID: status(
            NIGHTLY_JOB_ID,
            "DEPLOYMENT_ERROR",
            "UP_TO_DATE",
            "DEPLOY",
            "ERROR",
            last_deployment_date="2026-11-30T01:00:12.500Z",
            execution_id=f"{NIGHTLY_JOB_ID}-57-1764464412",
            steps={
                "total_duration_sec": 3601,
                "total_computing_duration_sec": 3600,
                "details": [
                    {"step_name": "MIRROR_IMAGE", "status": "SUCCESS", "duration_sec": 1},
                    {"step_name": "EXECUTING", "status": "ERROR", "duration_sec": 3600},
                ],
            },
        ),
        CLEANUP_JOB_ID: status(CLEANUP_JOB_ID, "STOPPED", "NEVER_DEPLOYED", "UNKNOWN", "NEVER"),
    }


# ---------------------------------------------------------------------------------------------
# The deploy toolset's demo (simulation/deployments.py turns these into history and log lines)
# ---------------------------------------------------------------------------------------------


def demo_deployments() -> list[dict[str, Any]]:
    """Finished deployments, oldest first: nightly-report's whole loop, failures and logs included.

    nightly-report: 1.8.1 deployed; 1.9.0-rc1 failed to start (error lines); 1.8.2 deployed (the way
    back); then its 01:00 run on 1.8.2 ran past max_duration_seconds (the status's execution).
    db-migrations: two commits deployed, each running its START event.
    """
    commits = {c["git_commit_id"]: c for c in demo_commits()[MIGRATIONS_JOB_ID]}
    return [
        {
            "job_id": NIGHTLY_JOB_ID,
            "number": 54,
            "started_at": "2026-11-20T09:12:00Z",
            "tag": "1.8.1",
            "triggered_by": "Jane Doe",
        },
        {
            "job_id": NIGHTLY_JOB_ID,
            "number": 55,
            "started_at": "2026-11-26T10:05:00Z",
            "tag": "1.9.0-rc1",
            "triggered_by": "Jane Doe",
            "failure": {
                "lines": [
                    "Container acme/reporter:1.9.0-rc1 exited with code 1 right after start",
                    "ModuleNotFoundError: No module named 'reporter.v2'",
                ],
                "tag": "JOB_CONTAINER_FAILED",
                "user_log_message": "The job's container acme/reporter:1.9.0-rc1 failed to start: it exited with code 1.",
                "hint_message": "Check the image's entrypoint and arguments, or deploy the previous tag again.",
            },
        },
        {
            "job_id": NIGHTLY_JOB_ID,
            "number": 56,
            "started_at": "2026-11-26T10:21:00Z",
            "tag": "1.8.2",
            "triggered_by": "Jane Doe",
        },
        {
            "job_id": NIGHTLY_JOB_ID,
            "number": 57,
            "started_at": "2026-11-30T00:00:12Z",
            "tag": "1.8.2",
            "execution_id": f"{NIGHTLY_JOB_ID}-57-1764464412",
            "triggered_by": "Qovery scheduler",
            "run_event": "CRON",
            "executing_seconds": 3600,
            "failure": {
                "during": "EXECUTING",
                "lines": [
                    "Report query still running after 3600 s",
                    "Job exceeded max_duration_seconds (3600 s) and was killed",
                ],
                "tag": "JOB_MAX_DURATION_EXCEEDED",
                "user_log_message": "The job ran past its max_duration_seconds of 3600 s and was stopped.",
                "hint_message": "Raise max_duration_seconds with edit-job, or make the report faster.",
            },
        },
        {
            "job_id": MIGRATIONS_JOB_ID,
            "number": 11,
            "started_at": "2026-11-25T17:10:00Z",
            "commit": commits["1c3e5a7b9d0f2e4a6c8b0d1f3a5c7e9b2d4f6a8c"],
            "run_event": "START",
            "triggered_by": "John Smith",
        },
        {
            "job_id": MIGRATIONS_JOB_ID,
            "number": 12,
            "started_at": "2026-11-27T16:01:06Z",
            "commit": commits["5e1a9c3f7b2d4e6a8c0f1b3d5e7a9c2b4d6f8a0e"],
            "run_event": "START",
            "triggered_by": "Jane Doe",
        },
    ]
