"""The deploy toolset over REST: POST /v1/job/{jobid}/deploy and /stop, GET /deployments and /logs.

Handlers only: parsing what the caller sent, strictly (an unknown name is refused with the closest one, no value
is coerced), and calling `DeployOperations`. The app (app.py) mounts them only when the toolset is on, and runs
them through the boundary like every route (problem documents, redaction, the audit line). REST has nobody to
ask: its writes run with `NEVER_ASKS` under the policy `off`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from qovery_job_mcp.operations import NEVER_ASKS, settled
from qovery_job_mcp.operations.deploy import DeployOperations
from qovery_job_mcp.qovery.deployments import DeploymentList, DeployResult, JobLogs, StopResult
from qovery_job_mcp.qovery.errors import InvalidInputError, quote_input, unknown_name_sentence
from qovery_job_mcp.web.rest import input as parse
from qovery_job_mcp.web.rest.openapi import JSON

DEPLOY_PATH = "/v1/job/{jobid}/deploy"
STOP_PATH = "/v1/job/{jobid}/stop"
DEPLOYMENTS_PATH = "/v1/job/{jobid}/deployments"
LOGS_PATH = "/v1/job/{jobid}/logs"
PATHS = (DEPLOY_PATH, STOP_PATH, DEPLOYMENTS_PATH, LOGS_PATH)
NOTHING_SENT = "Nothing was sent to Qovery."

#: Each body member and the JSON type it must have (no coercion: "60" is not a number of seconds).
_DEPLOY_MEMBERS: Mapping[str, type] = {
    "image_tag": str,
    "git_commit_id": str,
    "force_event": str,
    "wait_seconds": int,
}
_STOP_MEMBERS: Mapping[str, type] = {"wait_seconds": int}


async def _body(request: Request, members: Mapping[str, type]) -> dict[str, Any]:
    """The JSON object a write takes (no body: {}); unknown names and wrong types are refused."""
    if request.headers.get("content-length", "0") == "0" and "transfer-encoding" not in request.headers:
        return {}
    body = await parse.json_body(request, (JSON,))
    if not isinstance(body, dict):
        raise InvalidInputError(f"The body must be a JSON object, got {type(body).__name__}. {NOTHING_SENT}")
    for name, value in body.items():
        if name not in members:
            raise InvalidInputError(
                unknown_name_sentence(f"member {quote_input(name)}", name, members, NOTHING_SENT)
            )
        want = members[name]
        if value is not None and (not isinstance(value, want) or isinstance(value, bool)):
            shown = "an integer" if want is int else "a string"
            raise InvalidInputError(f"{name} must be {shown}, got {quote_input(value)}. {NOTHING_SENT}")
    return body


def _integer(name: str, value: str) -> int:
    if not re.fullmatch(r"-?\d{1,9}", value):
        raise InvalidInputError(f"{name} must be a whole number, got {quote_input(value)}.")
    return int(value)


def _text(name: str, value: str) -> str:
    return value


def deploy_handlers(deploy: DeployOperations) -> dict[str, Any]:
    """operationId -> handler, for app.py's resources."""

    async def deploy_job(request: Request, credential: str | None) -> DeployResult:
        job_id = parse.job_id_from_path(request)
        parse.query(request)
        body = await _body(request, _DEPLOY_MEMBERS)
        result = settled(await deploy.deploy_job(job_id, credential=credential, confirmer=NEVER_ASKS, **body))
        return result

    async def stop_job(request: Request, credential: str | None) -> StopResult:
        job_id = parse.job_id_from_path(request)
        parse.query(request)
        body = await _body(request, _STOP_MEMBERS)
        return settled(await deploy.stop_job(job_id, credential=credential, confirmer=NEVER_ASKS, **body))

    async def list_deployments(request: Request, credential: str | None) -> DeploymentList:
        job_id = parse.job_id_from_path(request)
        params = parse.query(request, limit=_integer)
        return await deploy.list_deployments(job_id, credential=credential, **params)

    async def get_logs(request: Request, credential: str | None) -> JobLogs:
        job_id = parse.job_id_from_path(request)
        params = parse.query(request, execution_id=_text, lines=_integer, errors_only=parse.boolean)
        return await deploy.get_logs(job_id, credential=credential, **params)

    return {
        "deploy-job": deploy_job,
        "stop-job": stop_job,
        "list-job-deployments": list_deployments,
        "get-job-logs": get_logs,
    }
