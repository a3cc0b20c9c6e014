"""The deploy toolset's REST operations in the OpenAPI document (described only when the toolset is on)."""

from __future__ import annotations

from typing import Any

from qovery_job_mcp.operations.deploy import (
    DEFAULT_DEPLOYMENT_LIMIT,
    DEFAULT_LOG_LINES,
    MAX_DEPLOYMENT_LIMIT,
    MAX_LOG_LINES,
)
from qovery_job_mcp.operations.deploy_rules import FORCE_EVENTS, MAX_WAIT_SECONDS
from qovery_job_mcp.web.rest.openapi import JSON, UPSTREAM_ERRORS, ok, problem

_WAIT = {
    "type": "integer",
    "minimum": 0,
    "maximum": MAX_WAIT_SECONDS,
    "default": 0,
    "description": "Seconds to follow the status until a final state (running out of time is not an error).",
}
DEPLOY_BODY: dict[str, Any] = {
    "title": "DeployRequest",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "image_tag": {"type": "string", "minLength": 1, "maxLength": 128},
        "git_commit_id": {"type": "string", "pattern": "^[0-9a-fA-F]{40}$"},
        "force_event": {"enum": list(FORCE_EVENTS)},
        "wait_seconds": _WAIT,
    },
}
STOP_BODY: dict[str, Any] = {
    "title": "StopRequest",
    "type": "object",
    "additionalProperties": False,
    "properties": {"wait_seconds": _WAIT},
}
_WRITE_ERRORS = {
    "409": problem("Another operation runs on the job (Qovery's 409); nothing more was sent."),
    "413": problem("The body is larger than the server accepts."),
    "415": problem("The body has the wrong Content-Type."),
}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


DEPLOY_OPERATIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "deploy-job": (
        "/v1/job/{jobid}/deploy",
        "post",
        {
            "summary": "Deploy a job, and optionally wait for the end",
            "description": "The deploy-job tool's arguments but job_id, as a JSON object (an empty body "
            "redeploys). The answer has `outcome`, `previous` and `rollback`, and on failure a `log_tail`.",
            "requestBody": {"required": False, "content": {JSON: {"schema": DEPLOY_BODY}}},
            "responses": {
                "200": ok("The deploy result.", "DeployResult"),
                **UPSTREAM_ERRORS,
                **_WRITE_ERRORS,
            },
        },
    ),
    "stop-job": (
        "/v1/job/{jobid}/stop",
        "post",
        {
            "summary": "Stop a job, and optionally wait until it is stopped",
            "description": "An optional JSON object with `wait_seconds`. Stopping a stopped job succeeds.",
            "requestBody": {"required": False, "content": {JSON: {"schema": STOP_BODY}}},
            "responses": {"200": ok("The stop result.", "StopResult"), **UPSTREAM_ERRORS, **_WRITE_ERRORS},
        },
    ),
    "list-job-deployments": (
        "/v1/job/{jobid}/deployments",
        "get",
        {
            "summary": "List a job's last deployments",
            "description": "Newest first, at most `limit`: `{results, total, truncated, message}`.",
            "parameters": [
                _query(
                    "limit",
                    f"How many deployments, 1 to {MAX_DEPLOYMENT_LIMIT}.",
                    {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_DEPLOYMENT_LIMIT,
                        "default": DEFAULT_DEPLOYMENT_LIMIT,
                    },
                )
            ],
            "responses": {"200": ok("The deployments.", "DeploymentList"), **UPSTREAM_ERRORS},
        },
    ),
    "get-job-logs": (
        "/v1/job/{jobid}/logs",
        "get",
        {
            "summary": "Get the log lines of a job's execution",
            "description": "Newest last, at most `lines`, redacted; `omitted` counts what was left out.",
            "parameters": [
                _query(
                    "execution_id", "The execution (default: the latest deployment's).", {"type": "string"}
                ),
                _query(
                    "lines",
                    f"How many lines at most, 1 to {MAX_LOG_LINES}.",
                    {"type": "integer", "minimum": 1, "maximum": MAX_LOG_LINES, "default": DEFAULT_LOG_LINES},
                ),
                _query("errors_only", "Keep only the error lines.", {"type": "boolean", "default": False}),
            ],
            "responses": {"200": ok("The log lines.", "JobLogs"), **UPSTREAM_ERRORS},
        },
    ),
}
