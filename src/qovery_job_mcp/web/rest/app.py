"""The REST adapter: the job operations as /v1/job/{jobid} resources, on port 8080 by default (and the deploy
toolset's routes, deploy_routes.py, when it is on).

A thin shell over JobOperations, like the MCP tools: the same validation, the same Qovery calls,
the same sentences. What is REST-specific lives here: mapping outcomes to HTTP statuses, answering
errors as RFC 9457 problem documents, 405 with `Allow`, and read-only mode. Strict parsing of what
callers send is in web/rest/input.py, the OpenAPI document in web/rest/openapi.py; caller
authentication and the Host rule wrap it from web/access.py. REST has nobody to ask: its writes run
with `NEVER_ASKS`, and its operations are built with the policy `off` (cli.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from qovery_job_mcp.boundary import Failure, run_operation, secrets_in_play
from qovery_job_mcp.config import Settings, server_secrets
from qovery_job_mcp.operations import NEVER_ASKS, JobOperations, job_version, refusals_for, settled
from qovery_job_mcp.operations.deploy import DeployOperations
from qovery_job_mcp.qovery.errors import JobError, JobNotFoundError, quote_input
from qovery_job_mcp.qovery.models import CommitList
from qovery_job_mcp.store.base import StateStore
from qovery_job_mcp.web.access import (
    AccessMiddleware,
    AccessPolicy,
    metrics_endpoint,
)
from qovery_job_mcp.web.credentials import credential_from_headers
from qovery_job_mcp.web.health import health_document
from qovery_job_mcp.web.problems import PROBLEM_JSON, problem_document
from qovery_job_mcp.web.rest import input as parse
from qovery_job_mcp.web.rest.deploy_openapi import DEPLOY_OPERATIONS
from qovery_job_mcp.web.rest.deploy_routes import PATHS as DEPLOY_PATHS
from qovery_job_mcp.web.rest.deploy_routes import deploy_handlers
from qovery_job_mcp.web.rest.openapi import (
    JSON,
    MERGE_PATCH_JSON,
    OPERATIONS,
    build_openapi,
)

logger = logging.getLogger("qovery_job_mcp.web.rest.app")

JOB_PATH = "/v1/job/{jobid}"
COMMIT_PATH = "/v1/job/{jobid}/commit"
STATUS_PATH = "/v1/job/{jobid}/status"


class MethodNotAllowedError(JobError):
    http_status = 405
    kind = "method-not-allowed"
    title = "Method not allowed"

    def __init__(self, message: str, allow: Iterable[str]) -> None:
        super().__init__(message)
        self.allow = ", ".join(allow)

    def problem_headers(self) -> Mapping[str, str]:
        return {"Allow": self.allow}


def problem(
    status: int,
    kind: str,
    detail: str,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """An RFC 9457 problem document response."""
    body = problem_document(status, kind, detail, title=title, **extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def failure_response(failure: Failure) -> Response:
    return problem(
        failure.status,
        failure.kind,
        failure.sentence,
        title=failure.title,
        headers=failure.headers or None,
        **failure.extra,
    )


# ---------------------------------------------------------------------------------------------
# Resources: one ASGI app per path, dispatching on the method
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A result and the headers that go with it (an edit's or a read's ETag)."""

    value: Any
    headers: dict[str, str]


def etag(version: str) -> str:
    """A strong ETag: the job's version, quoted (RFC 9110 §8.8.3)."""
    return f'"{version}"'


#: Runs one operation with the caller's credential; returns the result (None = 204 No Content).
Handler = Callable[[Request, "str | None"], Awaitable[Any]]


@dataclass(frozen=True)
class _Surface:
    """What every resource shares: the secrets to scrub, and whose Qovery credential to use."""

    secrets: tuple[str, ...]
    #: No server key: each request's own Authorization (already required by AccessMiddleware) goes upstream.
    per_request: bool

    def caller_credential(self, request: Request) -> str | None:
        return credential_from_headers(request.headers) if self.per_request else None

    async def run(self, request: Request, handler: Handler, operation: str = "REST") -> Response:
        """Run `handler` as `operation` (its catalog name: what the log and the audit trail call it)."""
        credential = self.caller_credential(request)
        headers: dict[str, str] = {}

        async def call() -> Any:
            result = await handler(request, credential)
            if isinstance(result, Answer):
                headers.update(result.headers)
                return result.value
            return result

        outcome = await run_operation(
            operation,
            call,
            secrets=secrets_in_play(self.secrets, credential),
            where=f"{request.method} {request.url.path}",
            transport="rest",
            credential=credential,
        )
        if outcome.failure is not None:
            return failure_response(outcome.failure)
        if outcome.text is None:
            return Response(status_code=204)
        return Response(outcome.text, media_type=JSON, headers=headers)


class _Resource:
    """One path: the methods it offers, the ones it refuses with a reason, 405 for the rest."""

    def __init__(
        self,
        surface: _Surface,
        handlers: dict[str, Handler],
        refused: dict[str, str],
        names: dict[str, str],
    ) -> None:
        self.surface = surface
        self.handlers = dict(handlers)
        self.names = dict(names)
        if "GET" in self.handlers:
            self.handlers["HEAD"] = self.handlers["GET"]
            self.names["HEAD"] = self.names["GET"]
        self.refused = refused
        order = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        self.allow = [method for method in order if method in self.handlers]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        handler = self.handlers.get(request.method) or self._not_allowed
        response = await self.surface.run(request, handler, self.names.get(request.method, "REST"))
        await response(scope, receive, send)

    async def _not_allowed(self, request: Request, credential: str | None) -> dict[str, Any] | None:
        allowed = ", ".join(self.allow) or "no method"
        reason = self.refused.get(request.method)
        if reason is None:
            reason = f"{quote_input(request.method)} is not supported on {request.url.path}."
        raise MethodNotAllowedError(f"{reason} Allowed here: {allowed}.", self.allow)


def _enabled_operations(
    settings: Settings, operations: Mapping[str, Any]
) -> tuple[set[str], Mapping[str, str]]:
    """The operationIds this server offers, and for each refused one the catalog's sentence why."""
    offered = settings.offered_tools
    refusals = refusals_for(offered, read_only=settings.read_only, toolsets=settings.toolsets)
    enabled: set[str] = set()
    reasons: dict[str, str] = {}
    for operation_id in operations:
        name = "edit-job" if operation_id == "edit-job-merge" else operation_id
        if name in offered:
            enabled.add(operation_id)
        else:
            reasons[operation_id] = refusals[name]
    return enabled, reasons


def build_rest_app(
    settings: Settings,
    operations: JobOperations,
    deploy: DeployOperations | None = None,
    store: StateStore | None = None,
) -> ASGIApp:
    """The REST application; caller authentication wraps it as ASGI middleware.

    The app owns `operations` and `store` from here on: its Qovery client and the state store are closed at
    shutdown, and the store's state is part of /healthz. With the deploy toolset on, its routes are mounted too, on
    `deploy` (tests pass one on fake time) or on operations sharing the client and the job locks.
    """
    surface = _Surface(
        secrets=server_secrets(settings),
        per_request=settings.credentials_mode == "per-request",
    )

    async def get_job(request: Request, credential: str | None) -> Answer:
        job_id = parse.job_id_from_path(request)
        parse.query(request)
        job = await operations.get_job(job_id, credential=credential)
        return Answer(job, {"ETag": etag(job_version(job))})

    async def edit(request: Request, credential: str | None, *, replace: bool) -> Answer:
        job_id = parse.job_id_from_path(request)
        params = parse.query(request, dry_run=parse.boolean)
        body = await parse.json_body(request, (JSON,) if replace else (MERGE_PATCH_JSON, JSON))
        result = settled(
            await operations.edit_job(
                job_id,
                body,
                dry_run=params.get("dry_run", False),
                replace=replace,
                expected_version=parse.if_match(request),
                credential=credential,
                confirmer=NEVER_ASKS,  # REST has nobody to ask
            )
        )
        return Answer(result, {"ETag": etag(result["version"])})

    async def replace_job(request: Request, credential: str | None) -> Answer:
        return await edit(request, credential, replace=True)

    async def merge_job(request: Request, credential: str | None) -> Answer:
        return await edit(request, credential, replace=False)

    async def delete_job(request: Request, credential: str | None) -> None:
        job_id = parse.job_id_from_path(request)
        params = parse.query(request, skip_reconcile=parse.boolean)
        result = settled(
            await operations.delete_job(
                job_id,
                skip_reconcile=params.get("skip_reconcile", False),
                credential=credential,
                confirmer=NEVER_ASKS,
                expected_version=parse.if_match(request),
            )
        )
        if not result["deleted"]:
            raise JobNotFoundError(result["message"], upstream_status=404)

    async def list_commits(request: Request, credential: str | None) -> CommitList:
        job_id = parse.job_id_from_path(request)
        params = parse.query(request, start_id=parse.sha, git_commit_id=parse.sha, limit=parse.limit)
        return await operations.list_commits(job_id, credential=credential, **params)

    async def get_status(request: Request, credential: str | None) -> dict[str, Any]:
        job_id = parse.job_id_from_path(request)
        parse.query(request)
        return await operations.get_status(job_id, credential=credential)

    handlers: dict[str, Handler] = {
        "get-job-id": get_job,
        "edit-job": replace_job,
        "edit-job-merge": merge_job,
        "delete-job": delete_job,
        "list-last-job-commits": list_commits,
        "get-job-status": get_status,
    }
    catalog = dict(OPERATIONS)
    paths = [JOB_PATH, COMMIT_PATH, STATUS_PATH]
    if "deploy" in settings.toolsets:
        deploy = deploy or DeployOperations(
            operations.client, confirm="off", locks=operations.locks, secrets=server_secrets(settings)
        )
        handlers.update(deploy_handlers(deploy))
        catalog.update(DEPLOY_OPERATIONS)
        paths += DEPLOY_PATHS
    enabled, reasons = _enabled_operations(settings, catalog)
    routes: list[Route] = []
    for path in paths:
        offered: dict[str, Handler] = {}
        refused: dict[str, str] = {}
        names: dict[str, str] = {}
        for operation_id, (op_path, method, _) in catalog.items():
            if op_path != path:
                continue
            if operation_id in enabled:
                offered[method.upper()] = handlers[operation_id]
                names[method.upper()] = "edit-job" if operation_id == "edit-job-merge" else operation_id
            else:
                refused[method.upper()] = f"{method.upper()} {path} is disabled. {reasons[operation_id]}"
                # A refused write is still a write attempt: run under its name, it gets its audit line.
                names[method.upper()] = "edit-job" if operation_id == "edit-job-merge" else operation_id
        routes.append(Route(path, _Resource(surface, offered, refused, names), name=path))

    document = build_openapi([op for op in catalog if op in enabled], demo=settings.demo, operations=catalog)

    async def openapi(_: Request) -> Response:
        return JSONResponse(document)

    async def healthz(_: Request) -> Response:
        return JSONResponse(await health_document(settings, "rest", store))

    routes += [
        Route("/openapi.json", openapi),
        Route("/healthz", healthz),
        Route("/metrics", metrics_endpoint(settings)),
    ]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = quote_input(request.url.path)
        if exc.status_code == 404:
            detail = (
                f"There is no resource at {path}. This server serves /v1/job/{{jobid}}, /v1/job/{{jobid}}/commit, "
                "/v1/job/{jobid}/status, /openapi.json, /healthz and /metrics."
            )
            return problem(404, "not-found", detail, headers=exc.headers)
        if exc.status_code == 405:
            allow = (exc.headers or {}).get("Allow", "GET")
            detail = f"{quote_input(request.method)} is not supported on {path}; allowed here: {allow}."
            return problem(405, "method-not-allowed", detail, headers=exc.headers)
        return problem(exc.status_code, "http-error", str(exc.detail), headers=exc.headers)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await operations.client.aclose()
            if store is not None:
                await store.close()

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error}, lifespan=lifespan)
    # Host/Origin checks and caller authentication, exactly as on the MCP endpoint; /healthz stays open.
    return AccessMiddleware(app, AccessPolicy.for_settings(settings, ("/v1",)))


def serve_rest(
    settings: Settings, operations: JobOperations, store: StateStore | None = None, **uvicorn_choices: Any
) -> None:
    """Serve the REST adapter on /v1 until SIGTERM; `uvicorn_choices` are drain.serve's `loop` and `http`."""
    from qovery_job_mcp.web.drain import serve

    serve(build_rest_app(settings, operations, store=store), settings, path="/v1", **uvicorn_choices)
