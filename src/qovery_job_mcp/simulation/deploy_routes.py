"""The simulated API's deployment routes and their state: one `SimulatedDeployments` per simulator.

Routes (qovery-openapi-full.yaml): POST /job/{id}/deploy (JobDeployRequest, forceEvent),
POST /job/{id}/redeploy, POST /job/{id}/stop, GET /job/{id}/deploymentHistoryV2 (pageSize),
GET /environment/{id}/logs, and GET /job/{id}/status brought up to the simulated clock before the
simulator's own status handler answers. Requests go through the simulator's guard, so they are
authenticated and recorded like every other.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from qovery_job_mcp.simulation.data import never_deployed_status
from qovery_job_mcp.simulation.deployments import (
    FORCE_EVENTS,
    MAX_DEPLOYMENTS_PER_JOB,
    MAX_ENVIRONMENT_LINES,
    Clock,
    Deployment,
    broken_failure,
    iso,
    plan,
    seeded_deployments,
)


class SimulatedQovery(Protocol):
    """What the deployment routes use of the simulator (a protocol, so api.py may import this module)."""

    jobs: dict[str, dict[str, Any]]
    commits: dict[str, list[dict[str, Any]]]
    statuses: dict[str, dict[str, Any]]

    async def _guard(self, request: Request, route: str) -> Response | None: ...

    async def _status(self, request: Request) -> Response: ...

    def _with_chaos(
        self, endpoint: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]: ...


ORGANIZATION_ID = "5c2e8a4f-7b1d-4e3a-9c6f-0d8b2a4e6c13"
CLUSTER_ID = "9a7c5e3b-1d2f-4a6e-8b0c-4e6a8c0e2b57"


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"status": status, "detail": detail}, status_code=status)


class SimulatedDeployments:
    """Deployments per job (the last MAX_DEPLOYMENTS_PER_JOB), timed by an injectable clock."""

    def __init__(self, api: SimulatedQovery, clock: Clock = time.time) -> None:
        self.api = api
        self.clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.by_job: dict[str, deque[Deployment]] = {}
            for deployment in seeded_deployments(self.api.jobs):
                self._keep(deployment)
            self.lose_next: set[str] = set()

    def _keep(self, deployment: Deployment) -> None:
        history = self.by_job.setdefault(deployment.job["id"], deque(maxlen=MAX_DEPLOYMENTS_PER_JOB))
        history.append(deployment)

    def lose_next_answer(self, action: str) -> None:
        """Apply the next `action` ("deploy", "redeploy", "stop") but answer 502, as a lost answer looks."""
        with self._lock:
            self.lose_next.add(action)

    def routes(self) -> list[Route]:
        chaos = self.api._with_chaos
        return [
            Route("/job/{job_id}/deploy", chaos(self._deploy), methods=["POST"]),
            Route("/job/{job_id}/redeploy", chaos(self._redeploy), methods=["POST"]),
            Route("/job/{job_id}/stop", chaos(self._stop), methods=["POST"]),
            Route("/job/{job_id}/deploymentHistoryV2", chaos(self._history), methods=["GET"]),
            Route("/environment/{environment_id}/logs", chaos(self._logs), methods=["GET"]),
            Route("/job/{job_id}/status", chaos(self._status), methods=["GET"]),
        ]

    # -- state -----------------------------------------------------------------------------------

    def latest(self, job_id: str) -> Deployment | None:
        history = self.by_job.get(job_id)
        return history[-1] if history else None

    def refresh(self, job_id: str, now: float) -> None:
        """Write the latest (non-seeded) deployment's state at `now` into the simulator's status."""
        deployment = self.latest(job_id)
        status = self.api.statuses.get(job_id)
        if deployment is None or deployment.seeded or status is None:
            return
        status.update(
            state=deployment.state_at(now),
            status_details=deployment.status_details(now),
            deployment_request_id=deployment.request_id,
            execution_id=deployment.execution_id,
            last_deployment_date=iso(deployment.started),
            is_part_last_deployment=True,
        )
        if deployment.kind == "deploy":
            status["steps"] = deployment.steps(now)
        else:
            status.pop("steps", None)

    # -- routes ----------------------------------------------------------------------------------

    async def _status(self, request: Request) -> Response:
        with self._lock:
            self.refresh(request.path_params["job_id"], self.clock())
        return await self.api._status(request)

    async def _deploy(self, request: Request) -> Response:
        return await self._start(request, "deploy")

    async def _redeploy(self, request: Request) -> Response:
        return await self._start(request, "redeploy")

    async def _stop(self, request: Request) -> Response:
        return await self._start(request, "stop")

    async def _start(self, request: Request, action: str) -> Response:
        refused = await self.api._guard(request, action)
        if refused is not None:
            return refused
        job_id = request.path_params["job_id"]
        job = self.api.jobs.get(job_id)
        if job is None:
            return _problem(404, "Not found")
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return _problem(400, "Request body is not valid JSON")
        with self._lock:
            now = self.clock()
            answer = self._accept(job, action, body, request.query_params.get("forceEvent"), now)
            lost = action in self.lose_next and answer.status_code == 202
            if lost:
                self.lose_next.discard(action)
        if lost:
            return _problem(502, "Bad Gateway")
        return answer

    def _accept(self, job: dict[str, Any], action: str, body: Any, event: str | None, now: float) -> Response:
        """Check one deploy/redeploy/stop against the job and what runs; start it (202) or refuse."""
        job_id = job["id"]
        current = self.latest(job_id)
        if current is not None and current.running_at(now):
            return _problem(409, "Operation is in progress")
        if not isinstance(body, dict):
            return _problem(400, "Request body must be a JSON object")
        status = self.api.statuses.setdefault(job_id, never_deployed_status(job_id))
        self.refresh(job_id, now)
        if action == "stop":
            if status.get("state") == "STOPPED":
                return _problem(409, "Job is already stopped")
            return self._begin(job, "stop", status, now, tag=self._tag(job), commit=None, run_event=None)
        if event is not None and event not in FORCE_EVENTS:
            return _problem(400, f"forceEvent must be one of {', '.join(FORCE_EVENTS)}")
        image_tag, commit_id = body.get("image_tag"), body.get("git_commit_id")
        source = job.get("source") or {}
        if action == "deploy":
            if image_tag is not None and commit_id is not None:
                return _problem(400, "image_tag cannot be set if git_commit_id is defined")
            if image_tag is None and commit_id is None:
                return _problem(400, "You must provide a git commit id or an image tag")
            if image_tag is not None and not source.get("image"):
                return _problem(400, "image_tag can only be used with a job deployed from an image")
            if commit_id is not None and not source.get("docker"):
                return _problem(
                    400, "git_commit_id can only be used with a job deployed from a git repository"
                )
        if event is not None and event not in self._events(job):
            # The spec: "If the concerned job hasn't the target event provided, the job won't be deployed."
            return JSONResponse(status, status_code=202)
        if image_tag is not None:
            job["source"]["image"]["tag"] = str(image_tag)
        if commit_id is not None:
            job["source"]["docker"]["git_repository"]["deployed_commit_id"] = str(commit_id)
        commit = self._commit(job) if source.get("docker") else None
        run_event = (
            event if event in ("CRON", "START") else ("START" if job.get("job_type") == "LIFECYCLE" else None)
        )
        return self._begin(job, "deploy", status, now, tag=self._tag(job), commit=commit, run_event=run_event)

    def _begin(
        self,
        job: dict[str, Any],
        kind: str,
        status: dict[str, Any],
        now: float,
        *,
        tag: str,
        commit: dict[str, Any] | None,
        run_event: str | None,
    ) -> Response:
        previous = self.latest(job["id"])
        image = f"{(job['source'].get('image') or {}).get('image_name', job['name'])}:{tag}"
        failure = broken_failure(image) if kind == "deploy" and "broken" in tag else None
        deployment = plan(
            job,
            kind,
            number=(previous.number + 1) if previous else 1,
            started=now,
            tag=tag,
            commit=commit,
            run_event=run_event,
            failure=failure,
        )
        self._keep(deployment)
        status["deployment_requests_count"] = 0
        if kind == "deploy":
            status["service_deployment_status"] = "UP_TO_DATE"
        self.refresh(job["id"], now)
        return JSONResponse(status, status_code=202)

    @staticmethod
    def _tag(job: dict[str, Any]) -> str:
        source = job.get("source") or {}
        if source.get("image"):
            return str(source["image"].get("tag") or "")
        return str(((source.get("docker") or {}).get("git_repository") or {}).get("deployed_commit_id") or "")

    def _commit(self, job: dict[str, Any]) -> dict[str, Any]:
        sha = self._tag(job)
        known = next((c for c in self.api.commits.get(job["id"], []) if c["git_commit_id"] == sha), None)
        return (
            dict(known)
            if known
            else {
                "git_commit_id": sha,
                "created_at": iso(self.clock()),
                "author_name": "unknown",
                "message": "",
                "tag": "",
            }
        )

    @staticmethod
    def _events(job: dict[str, Any]) -> tuple[str, ...]:
        if job.get("job_type") == "CRON":
            return ("CRON",)
        schedule = job.get("schedule") or {}
        return tuple(
            e
            for e, k in (("START", "on_start"), ("STOP", "on_stop"), ("DELETE", "on_delete"))
            if schedule.get(k)
        )

    async def _history(self, request: Request) -> Response:
        refused = await self.api._guard(request, "history")
        if refused is not None:
            return refused
        job_id = request.path_params["job_id"]
        if job_id not in self.api.jobs:
            return _problem(404, "Not found")
        try:
            page_size = int(float(request.query_params.get("pageSize") or 20))
        except ValueError:
            return _problem(400, "pageSize must be a number")
        with self._lock:
            now = self.clock()
            entries = [d.history_entry(now) for d in reversed(self.by_job.get(job_id, ()))]
        return JSONResponse({"page": 1, "page_size": page_size, "results": entries[: max(page_size, 0)]})

    async def _logs(self, request: Request) -> Response:
        refused = await self.api._guard(request, "logs")
        if refused is not None:
            return refused
        environment_id = request.path_params["environment_id"]
        jobs = {
            j["id"]
            for j in self.api.jobs.values()
            if (j.get("environment") or {}).get("id") == environment_id
        }
        if not jobs:
            return _problem(404, "Not found")
        with self._lock:
            now = self.clock()
            lines = [
                line
                for job_id in jobs
                for deployment in self.by_job.get(job_id, ())
                for line in deployment.log_lines(now, ORGANIZATION_ID, CLUSTER_ID)
            ]
        lines.sort(key=lambda line: line["timestamp"])
        return JSONResponse(lines[-MAX_ENVIRONMENT_LINES:])
