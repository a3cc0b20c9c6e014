"""A simulated Qovery API for the five job operations, faithful to Qovery's OpenAPI document.

It backs `--demo` (in process, through httpx's ASGI transport) and every test (served on a real
loopback port). It behaves like Qovery where it matters to this server: `Token` for API tokens
and `Bearer` only for JWTs, PUT replaces the whole job (omitted settings fall back to defaults,
a missing cron timezone becomes Etc/UTC), 404/409/400 bodies as `{status, detail}`, DELETE 204.
It applies Qovery's documented rate limit (1,000 requests per hour per token, `X-RateLimit-*` headers,
429 past it: rate_limit.py). It can fault a seeded share of all requests with every kind of network and upstream failure
(`chaos`, see faults.py): the flaky-network demo.

It keeps no history: a long-running demo holds the demo jobs and nothing per request. The tests'
instrumentation (recording requests, scripted faults, held answers) is a subclass under tests/
that sees each request through `before_answer`; none of it ships.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from qovery_job_mcp.simulation.data import (
    ANNOTATIONS_GROUPS,
    DEMO_API_KEY,
    JOB_DEFAULTS,
    LABELS_GROUPS,
    REGISTRY,
    demo_commits,
    demo_jobs,
    demo_statuses,
    git_repository,
    never_deployed_status,
    now_iso,
)
from qovery_job_mcp.simulation.deploy_routes import SimulatedDeployments
from qovery_job_mcp.simulation.faults import (
    BEFORE_FAULTS,
    ChaosPolicy,
    after_response,
    before_response,
)
from qovery_job_mcp.simulation.rate_limit import RateLimit


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
        clock: Callable[[], float] = time.time,
        rate_limit: RateLimit | None = None,
        unlimited: bool = False,
    ) -> None:
        self.api_tokens = set(api_tokens)
        #: Qovery's documented 1,000 requests per hour per token (rate_limit.py); `unlimited` for benchmarks.
        self.rate_limit = None if unlimited else (rate_limit or RateLimit())
        self.jwts = set(jwts)
        self._lock = threading.Lock()
        self.reset(jobs)
        self.chaos: ChaosPolicy | None = chaos
        # The deploy toolset's routes and state live in deploy_routes.py; `clock` times deployments.
        # Its routes come first: its /status brings the status up to the clock, then calls _status.
        self.deployments = SimulatedDeployments(self, clock)
        routes = Starlette(
            routes=[
                *self.deployments.routes(),
                Route("/job/{job_id}", self._with_chaos(self._job), methods=["GET", "PUT", "DELETE"]),
                Route("/job/{job_id}/commit", self._with_chaos(self._commits), methods=["GET"]),
                Route("/job/{job_id}/status", self._with_chaos(self._status), methods=["GET"]),
            ]
        )
        self.app: Any = routes if self.rate_limit is None else self.rate_limit.wrap(routes)

    # -- state ---------------------------------------------------------------------------------

    def reset(self, jobs: dict[str, dict[str, Any]] | None = None) -> None:
        """Back to the seeded state, so one served instance can host many independent runs."""
        with self._lock:
            self.jobs = demo_jobs() if jobs is None else jobs
            self.commits = demo_commits()
            self.statuses = demo_statuses()
            self.chaos = None
        if hasattr(self, "deployments"):
            self.deployments.reset()
        limiter: RateLimit | None = getattr(self, "rate_limit", None)
        if limiter is not None:
            limiter.reset()

    # -- request handling ----------------------------------------------------------------------

    async def before_answer(self, request: Request, route: str) -> Response | None:
        """Called first for every request of `route`; an answer returned here replaces the real one.

        The simulator itself answers every request normally (None) and remembers nothing of it, so
        its memory stays bounded however long a demo runs. A subclass may look at or script answers.
        """
        return None

    async def _guard(self, request: Request, route: str) -> Response | None:
        scripted = await self.before_answer(request, route)
        if scripted is not None:
            return scripted
        chaos = self.chaos.pick(route, request.method) if self.chaos is not None else None
        if chaos in BEFORE_FAULTS and self.chaos is not None:
            return before_response(chaos, self.chaos)
        request.state.chaos_after = chaos
        authorization = request.headers.get("authorization")
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
            new_git = {**git_repository("repo", ""), **old_git, **git}
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
        updated.update(copy.deepcopy(JOB_DEFAULTS))
        updated.update(
            {
                key: copy.deepcopy(value)
                for key, value in payload.items()
                if key in JOB_DEFAULTS or key in ("name", "ephemeral_storage_in_gib", "healthchecks")
            }
        )
        updated["updated_at"] = now_iso()
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
        status = self.statuses.get(job_id) or never_deployed_status(job_id)
        return JSONResponse(status)
