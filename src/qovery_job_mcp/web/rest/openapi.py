"""The OpenAPI 3.1 document of the REST adapter.

Schemas come from the same pydantic models that give the MCP tools their output schemas, so the
two surfaces cannot drift apart. Only the operations the server really offers are described: in
read-only mode (or with --tools/--exclude-tools) the refused methods are absent, as they answer 405.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import TypeAdapter

from qovery_job_mcp import __version__
from qovery_job_mcp.operations import DEFAULT_COMMIT_LIMIT, GIT_SHA_RE, MAX_COMMIT_LIMIT
from qovery_job_mcp.qovery.deployments import DeploymentList, DeployResult, JobLogs, StopResult
from qovery_job_mcp.qovery.edit import published_job_request_schema
from qovery_job_mcp.qovery.models import CommitList, DeleteResult, EditResult, Job, JobStatus
from qovery_job_mcp.web.problems import PROBLEM_JSON, PROBLEM_TYPE_PREFIX

JSON = "application/json"
MERGE_PATCH_JSON = "application/merge-patch+json"
EXAMPLE_JOB_ID = "d4a2f9c6-1e8b-4c7d-b3a5-7f9e2c4a6b18"  # nightly-report of the demo

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `detail` says what happened and what to do.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": f"{PROBLEM_TYPE_PREFIX}<kind>, e.g. …:not-found."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "retry_after_seconds": {"type": "number", "description": "Rate limiting only: when to retry."},
    },
}

# A merge patch names top-level fields of the job settings; nested objects are partial by nature,
# so only the top level is constrained (known fields, at least one).
MERGE_PATCH_SCHEMA: dict[str, Any] = {
    "title": "JobMergePatch",
    "description": "RFC 7386 JSON Merge Patch over the job's current settings (JobRequest fields): omitted = "
    "unchanged, null = removed, objects merge, arrays replace.",
    "type": "object",
    "minProperties": 1,
    # Any JobRequest field, or a field the job already has: the server refuses other names per job.
    "additionalProperties": True,
}


def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    results: tuple[tuple[str, Any], ...] = (
        ("Job", Job),
        ("JobStatus", JobStatus),
        ("CommitList", CommitList),
        ("EditResult", EditResult),
        ("DeleteResult", DeleteResult),
        ("DeployResult", DeployResult),
        ("StopResult", StopResult),
        ("DeploymentList", DeploymentList),
        ("JobLogs", JobLogs),
    )
    for name, shape in results:
        schema = TypeAdapter(shape).json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    # JobRequest is Qovery's own published schema, the one every edit is checked against.
    published = json.loads(
        json.dumps(published_job_request_schema()).replace('"#/$defs/', '"#/components/schemas/')
    )
    schemas.update(published.pop("$defs"))
    published.pop("$schema", None)
    published.pop("$comment", None)
    schemas["JobRequest"] = published
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["JobMergePatch"] = MERGE_PATCH_SCHEMA
    return {"schemas": schemas}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": ref("Problem")}}}


UPSTREAM_ERRORS = {
    "400": problem(
        "Invalid job id, query parameter or body (nothing was sent to Qovery), or Qovery rejected it."
    ),
    "401": problem("Qovery refused the credentials."),
    "403": problem("The credentials lack permission on this job."),
    "404": problem("No such job, or not visible to these credentials."),
    "502": problem("Qovery kept failing or answered something unexpected."),
    "503": problem("Qovery is rate-limiting requests."),
    "504": problem("Qovery did not answer in time."),
    "421": problem("The Host header is not a loopback name while the server listens on loopback."),
}
_BODY_ERRORS = {
    "409": problem("Qovery refused the change (a job name must be unique within its environment)."),
    "413": problem("The body is larger than the server accepts."),
    "415": problem("The body has the wrong Content-Type."),
}

_JOB_ID = {
    "name": "jobid",
    "in": "path",
    "required": True,
    "description": "The job's UUID.",
    "schema": {"type": "string", "format": "uuid"},
    "example": EXAMPLE_JOB_ID,
}


def _boolean(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "boolean", "default": False},
    }


def _sha(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "pattern": GIT_SHA_RE.pattern},
    }


_DRY_RUN = _boolean("dry_run", "Validate and return the request and changes, but send nothing to Qovery.")


def ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


def _with_etag(response: dict[str, Any]) -> dict[str, Any]:
    header = {
        "description": "The job's version, quoted: send it back as If-Match.",
        "schema": {"type": "string"},
    }
    return {**response, "headers": {"ETag": header}}


_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of the version you saw: if the job changed since, nothing is sent and the answer is 412.",
    "schema": {"type": "string"},
}
_PRECONDITION_FAILED = {
    "412": {
        "description": "The job changed since the If-Match version; nothing was sent (problem+json).",
        "content": {PROBLEM_JSON: {"schema": ref("Problem")}},
    }
}


#: operationId -> (path, method, operation object); operationIds are the MCP tool names.
OPERATIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "get-job-id": (
        "/v1/job/{jobid}",
        "get",
        {
            "summary": "Get a job",
            "description": "The job exactly as Qovery returns it (the get-job-id tool's result).",
            "responses": {"200": _with_etag(ok("The job.", "Job")), **UPSTREAM_ERRORS},
        },
    ),
    "edit-job": (
        "/v1/job/{jobid}",
        "put",
        {
            "summary": "Replace a job's settings",
            "description": "The body is the complete JobRequest (a full replace). It is validated before "
            "anything is sent; the answer is the edit-job tool's result.",
            "parameters": [_DRY_RUN, _IF_MATCH],
            "requestBody": {"required": True, "content": {JSON: {"schema": ref("JobRequest")}}},
            "responses": {
                "200": _with_etag(ok("The edit result.", "EditResult")),
                **UPSTREAM_ERRORS,
                **_BODY_ERRORS,
                **_PRECONDITION_FAILED,
            },
        },
    ),
    "edit-job-merge": (
        "/v1/job/{jobid}",
        "patch",
        {
            "summary": "Change some of a job's settings",
            "description": "A JSON Merge Patch over the current settings, as the edit-job tool takes it. "
            "An empty patch is refused.",
            "parameters": [_DRY_RUN, _IF_MATCH],
            "requestBody": {
                "required": True,
                "content": {MERGE_PATCH_JSON: {"schema": ref("JobMergePatch")}},
            },
            "responses": {
                "200": _with_etag(ok("The edit result.", "EditResult")),
                **UPSTREAM_ERRORS,
                **_BODY_ERRORS,
                **_PRECONDITION_FAILED,
            },
        },
    ),
    "delete-job": (
        "/v1/job/{jobid}",
        "delete",
        {
            "summary": "Delete a job",
            "description": "204 once Qovery accepted the deletion (it tears the job down in the background); "
            "404 when there is no such job.",
            "parameters": [
                _boolean("skip_reconcile", "Skip Qovery's pre-destroy reconcile (only for a stuck delete)."),
                _IF_MATCH,
            ],
            "responses": {
                "204": {"description": "Deletion accepted."},
                **UPSTREAM_ERRORS,
                **_PRECONDITION_FAILED,
            },
        },
    ),
    "list-last-job-commits": (
        "/v1/job/{jobid}/commit",
        "get",
        {
            "summary": "List a job's last commits",
            "description": "At most `limit` commits, newest first: `{results, total, truncated}`.",
            "parameters": [
                _sha("start_id", "Git commit SHA to start after (Qovery's startId)."),
                _sha("git_commit_id", "Git commit SHA to look for (Qovery's gitCommitId)."),
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "description": f"How many commits to return, 1 to {MAX_COMMIT_LIMIT}.",
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_COMMIT_LIMIT,
                        "default": DEFAULT_COMMIT_LIMIT,
                    },
                },
            ],
            "responses": {"200": ok("The commits.", "CommitList"), **UPSTREAM_ERRORS},
        },
    ),
    "get-job-status": (
        "/v1/job/{jobid}/status",
        "get",
        {
            "summary": "Get a job's deployment status",
            "description": "Qovery's status object (the get-job-status tool's result).",
            "responses": {"200": ok("The status.", "JobStatus"), **UPSTREAM_ERRORS},
        },
    ),
}

_SERVICE_PATHS: dict[str, Any] = {
    "/healthz": {
        "get": {
            "operationId": "healthz",
            "summary": "Liveness probe; calls nothing upstream.",
            "responses": {
                "200": {
                    "description": "The server is up.",
                    "content": {
                        JSON: {
                            "schema": {
                                "type": "object",
                                "required": ["status", "version", "transport", "read_only", "demo"],
                                "properties": {
                                    "status": {"const": "ok"},
                                    "version": {"type": "string"},
                                    "transport": {"const": "rest"},
                                    "read_only": {"type": "boolean"},
                                    "demo": {"type": "boolean"},
                                },
                            }
                        }
                    },
                }
            },
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "responses": {
                "200": {"description": "OpenAPI 3.1.", "content": {JSON: {"schema": {"type": "object"}}}}
            },
        }
    },
}


def build_openapi(
    operation_ids: Iterable[str],
    *,
    demo: bool = False,
    operations: Mapping[str, tuple[str, str, dict[str, Any]]] = OPERATIONS,
) -> dict[str, Any]:
    """The document for the operations this server offers (a subset of `operations`' keys)."""
    paths: dict[str, Any] = {}
    for operation_id in operation_ids:
        path, method, operation = operations[operation_id]
        item = paths.setdefault(path, {"parameters": [_JOB_ID]})
        item[method] = {"operationId": operation_id, **operation}
    paths.update(_SERVICE_PATHS)
    description = (
        "The Qovery job operations of qovery-job-mcp as a small REST API: the same validation, "
        "answers and error sentences as the MCP tools (operationIds are the tool names). "
        "Errors are application/problem+json (RFC 9457)."
    )
    if demo:
        description += " DEMO MODE: backed by a simulated Qovery API held in memory."
    return {
        "openapi": "3.1.0",
        "info": {"title": "qovery-job-mcp REST adapter", "version": __version__, "description": description},
        "paths": paths,
        "components": _components(),
    }
