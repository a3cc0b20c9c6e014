"""A simulated Qovery API for the five job operations, faithful to Qovery's OpenAPI document.

It backs `--demo` (in process, through httpx's ASGI transport) and every test (served on a real
loopback port). It behaves like Qovery where it matters to this server: `Token` for API tokens
and `Bearer` only for JWTs, PUT replaces the whole job (omitted settings fall back to defaults,
a missing cron timezone becomes Etc/UTC), 404/409/400 bodies as `{status, detail}`, DELETE 204.
It records every request it receives so tests can check what reached "Qovery", and it can be
told to answer the next requests of a route with a fault (`fail_next`), or to fault a seeded share
of all requests with every kind of network and upstream failure (`chaos`, see faults.py).
"""

from __future__ import annotations

import copy
import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from qovery_job_mcp.faults import (
    BEFORE_FAULTS,
    ChaosPolicy,
    after_response,
    before_response,
    quiet_simulated_resets,
)

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

_JOB_DEFAULTS: dict[str, Any] = {
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


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _git(name: str, commit: str) -> dict[str, Any]:
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
        **{key: value for key, value in _JOB_DEFAULTS.items()},
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
                "git_repository": _git("backend", "5e1a9c3f7b2d4e6a8c0f1b3d5e7a9c2b4d6f8a0e"),
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
                "git_repository": _git("ops-scripts", "a7c9e1b3d5f70214365879abcdef0123456789ab"),
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


@dataclass
class Fault:
    """One scripted answer that replaces the normal one for the next matching request."""

    status: int = 503
    body: str | bytes = '{"status":503,"detail":"Service temporarily unavailable"}'
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    #: Seconds to wait before answering: a stall past the client's timeout, or plain latency.
    delay: float = 0.0
    #: Only a request with this method takes the fault (None: any method), e.g. "PUT" to let an
    #: edit's GET through and fault its PUT.
    method: str | None = None


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    body: Any
    user_agent: str | None = None


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"status": status, "detail": detail}, status_code=status)


class SimulatedQovery:
    """State and behaviour of the simulated API; `app` is its ASGI application."""

    def __init__(
        self,
        *,
        api_tokens: tuple[str, ...] = (DEMO_API_KEY,),
        jwts: tuple[str, ...] = (),
        jobs: dict[str, dict[str, Any]] | None = None,
        chaos: ChaosPolicy | None = None,
    ) -> None:
        self.api_tokens = set(api_tokens)
        self.jwts = set(jwts)
        self._lock = threading.Lock()
        self.reset(jobs)
        self.chaos: ChaosPolicy | None = chaos
        self.app = Starlette(
            routes=[
                Route("/job/{job_id}", self._with_chaos(self._job), methods=["GET", "PUT", "DELETE"]),
                Route("/job/{job_id}/commit", self._with_chaos(self._commits), methods=["GET"]),
                Route("/job/{job_id}/status", self._with_chaos(self._status), methods=["GET"]),
            ]
        )

    # -- test controls -------------------------------------------------------------------------

    def reset(self, jobs: dict[str, dict[str, Any]] | None = None) -> None:
        """Back to the seeded state, so one served instance can host many independent tests."""
        with self._lock:
            self.jobs = demo_jobs() if jobs is None else jobs
            self.commits = demo_commits()
            self.statuses = demo_statuses()
            self.requests: list[RecordedRequest] = []
            self.faults: dict[str, deque[Fault]] = {}
            self.chaos = None

    def fail_next(self, route: str, *faults: Fault) -> None:
        """Answer the next requests of `route` ("job", "commit" or "status") with these faults."""
        with self._lock:
            self.faults.setdefault(route, deque()).extend(faults)

    def requests_to(self, method: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.requests if method is None or r.method == method]

    # -- request handling ----------------------------------------------------------------------

    async def _guard(self, request: Request, route: str) -> Response | None:
        body: Any = None
        raw = await request.body()
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        authorization = request.headers.get("authorization")
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    request.method,
                    request.url.path,
                    dict(request.query_params),
                    authorization,
                    body,
                    request.headers.get("user-agent"),
                )
            )
            queue = self.faults.get(route)
            fault = queue.popleft() if queue and queue[0].method in (None, request.method) else None
        if fault is not None:
            if fault.delay:
                await anyio.sleep(fault.delay)
            return Response(
                fault.body, status_code=fault.status, headers=fault.headers, media_type=fault.content_type
            )
        chaos = self.chaos.pick(route) if self.chaos is not None else None
        if chaos in BEFORE_FAULTS and self.chaos is not None:
            return before_response(chaos, self.chaos)
        request.state.chaos_after = chaos
        scheme, _, credential = (authorization or "").partition(" ")
        if scheme == "Token" and credential in self.api_tokens:
            return None
        if scheme == "Bearer" and credential in self.jwts:
            return None
        if scheme == "Bearer" and credential.startswith("qov_"):
            return _problem(401, "API tokens must be sent as 'Authorization: Token <token>'")
        return _problem(401, "Unauthorized")

    def _with_chaos(
        self, endpoint: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """Apply the *after* fault `_guard` chose for this request to the real answer."""

        async def chaotic(request: Request) -> Response:
            response = await endpoint(request)
            kind = getattr(request.state, "chaos_after", None)
            if kind is None or self.chaos is None:
                return response
            return after_response(kind, response, self.chaos)

        return chaotic

    def _lookup(self, request: Request) -> tuple[str, dict[str, Any] | None]:
        job_id = request.path_params["job_id"]
        return job_id, self.jobs.get(job_id)

    async def _job(self, request: Request) -> Response:
        refused = await self._guard(request, "job")
        if refused is not None:
            return refused
        job_id, job = self._lookup(request)
        if job is None:
            return _problem(404, "Not found")
        if request.method == "GET":
            return JSONResponse(job)
        if request.method == "DELETE":
            with self._lock:
                self.jobs.pop(job_id, None)
            return Response(status_code=204)
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return _problem(400, "Request body is not valid JSON")
        return self._put(job, payload)

    def _put(self, job: dict[str, Any], payload: Any) -> Response:
        """PUT replaces the job: what the request omits falls back to Qovery's defaults."""
        if not isinstance(payload, dict):
            return _problem(400, "Request body must be a JSON object")
        missing = [key for key in ("name", "healthchecks") if key not in payload]
        if missing:
            return _problem(400, f"Missing required field(s): {', '.join(missing)}")
        for key in (
            "cpu",
            "memory",
            "gpu",
            "max_nb_restart",
            "max_duration_seconds",
            "ephemeral_storage_in_gib",
        ):
            if key in payload and (isinstance(payload[key], bool) or not isinstance(payload[key], int)):
                return _problem(400, f"{key} must be an integer")
        name = str(payload["name"])
        for other in self.jobs.values():
            if (
                other["id"] != job["id"]
                and other["environment"] == job["environment"]
                and other["name"].lower() == name.lower()
            ):
                return _problem(409, "Job name within the environment is already taken")
        schedule = payload.get("schedule") or {}
        if job["job_type"] == "LIFECYCLE" and schedule.get("cronjob"):
            return _problem(400, "A lifecycle job cannot have a cronjob schedule")
        if job["job_type"] == "CRON":
            cron = schedule.get("cronjob") or {}
            if not cron.get("scheduled_at"):
                return _problem(400, "schedule.cronjob.scheduled_at is required for a cron job")
            schedule = {"cronjob": {"timezone": "Etc/UTC", **cron}}
        source = payload.get("source") or {}
        if source.get("image"):
            image = source["image"]
            new_source: dict[str, Any] = {
                "image": {**image, "registry": dict(REGISTRY, id=image.get("registry_id"))}
            }
        elif source.get("docker"):
            docker = source["docker"]
            git = docker.get("git_repository") or {}
            old_git = (job["source"].get("docker") or {}).get("git_repository") or {}
            new_git = {**_git("repo", ""), **old_git, **git}
            new_source = {
                "docker": {
                    "dockerfile_path": None,
                    "dockerfile_raw": None,
                    "docker_target_build_stage": None,
                    **docker,
                    "git_repository": new_git,
                }
            }
        else:
            return _problem(400, "source must contain image or docker")
        updated = {
            key: job[key]
            for key in (
                "id",
                "created_at",
                "environment",
                "maximum_cpu",
                "maximum_memory",
                "maximum_gpu",
                "service_type",
                "job_type",
            )
        }
        updated.update(copy.deepcopy(_JOB_DEFAULTS))
        updated.update(
            {
                key: copy.deepcopy(value)
                for key, value in payload.items()
                if key in _JOB_DEFAULTS or key in ("name", "ephemeral_storage_in_gib", "healthchecks")
            }
        )
        updated["updated_at"] = _now()
        updated["source"] = new_source
        updated["schedule"] = schedule
        updated["annotations_groups"] = [
            copy.deepcopy(ANNOTATIONS_GROUPS[g["id"]])
            for g in payload.get("annotations_groups") or []
            if g.get("id") in ANNOTATIONS_GROUPS
        ]
        updated["labels_groups"] = [
            copy.deepcopy(LABELS_GROUPS[g["id"]])
            for g in payload.get("labels_groups") or []
            if g.get("id") in LABELS_GROUPS
        ]
        with self._lock:
            self.jobs[job["id"]] = updated
            if job["id"] in self.statuses:
                self.statuses[job["id"]]["service_deployment_status"] = "OUT_OF_DATE"
        return JSONResponse(updated)

    async def _commits(self, request: Request) -> Response:
        refused = await self._guard(request, "commit")
        if refused is not None:
            return refused
        job_id, job = self._lookup(request)
        if job is None:
            return _problem(404, "Not found")
        commits = self.commits.get(job_id, [])
        git_commit_id = request.query_params.get("gitCommitId")
        start_id = request.query_params.get("startId")
        if git_commit_id:
            commits = [c for c in commits if c["git_commit_id"] == git_commit_id]
        elif start_id:
            ids = [c["git_commit_id"] for c in commits]
            commits = commits[ids.index(start_id) + 1 :] if start_id in ids else []
        return JSONResponse({"results": commits})

    async def _status(self, request: Request) -> Response:
        refused = await self._guard(request, "status")
        if refused is not None:
            return refused
        job_id, job = self._lookup(request)
        if job is None:
            return _problem(404, "Not found")
        status = self.statuses.get(job_id) or {
            "id": job_id,
            "state": "STOPPED",
            "service_deployment_status": "NEVER_DEPLOYED",
            "is_part_last_deployment": False,
            "status_details": {"action": "UNKNOWN", "status": "NEVER", "sub_action": "NONE"},
            "deployment_request_id": None,
            "deployment_requests_count": 0,
        }
        return JSONResponse(status)


@contextmanager
def serve_on_loopback(
    app: Any, *, start_timeout: float = 10.0, lifespan: Literal["auto", "on", "off"] = "off"
) -> Iterator[str]:
    """Serve an ASGI app on a free 127.0.0.1 port in a background thread; yield its base URL.

    Used by the tests and the benchmarks: the simulated API is reached over a real TCP socket,
    as Qovery would be. The server is stopped and joined on exit, whatever happened. Pass
    `lifespan="on"` to serve an app that needs its lifespan (our own MCP HTTP app).
    """
    import socket
    import time

    import uvicorn

    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it every answer (headers, then body) stalls 40 ms on Nagle and delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan=lifespan, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    quiet_simulated_resets()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the simulated Qovery API did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
