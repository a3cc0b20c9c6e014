"""What Qovery returns for deployments and logs, and what the deploy operations return.

Validated as loosely as the published spec (qovery-openapi-full.yaml: DeploymentHistoryService,
EnvironmentLogs, Status): every model keeps fields Qovery adds later and enums are plain strings,
so an answer passes through whole; a malformed one becomes a clear error, never a crash. The
status itself is `qovery.models.JobStatus`, the same model get-job-status validates with.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel
from typing_extensions import NotRequired, TypedDict

from qovery_job_mcp.qovery.models import JobStatus, StatusDetails

__all__ = [
    "DeployResult",
    "DeploymentHistoryEntry",
    "DeploymentHistoryPage",
    "DeploymentList",
    "EnvironmentLogLine",
    "EnvironmentLogList",
    "JobLogs",
    "JobStatus",
    "StopResult",
]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class HistoryIdentifier(_Open):
    name: str
    service_id: str
    service_type: str
    execution_id: str | None = None


class AuditingData(_Open):
    created_at: str
    updated_at: str
    triggered_by: str
    origin: str | None = None


class DeploymentHistoryEntry(_Open):
    """One deployment of the job (DeploymentHistoryService); `details` holds the tag or the commit."""

    identifier: HistoryIdentifier
    status: str = Field(description="The deployment's state (StateEnum), e.g. DEPLOYED, DEPLOYMENT_ERROR.")
    auditing_data: AuditingData
    details: dict[str, Any] = Field(description="For a job: image_name, tag, job_type, commit, schedule.")
    status_details: StatusDetails
    icon_uri: str
    total_duration: str | None = None


class DeploymentHistoryPage(_Open):
    page: float
    page_size: float
    results: list[DeploymentHistoryEntry] = []


class LogTransmitter(_Open):
    id: str | None = None
    name: str | None = None
    type: str | None = None


class LogDetails(_Open):
    execution_id: str | None = None
    transmitter: LogTransmitter | None = None


class EnvironmentLogLine(_Open):
    """One environment log line (EnvironmentLogs): `type` is its level, `details.transmitter` its source."""

    type: str
    timestamp: str
    details: LogDetails
    error: dict[str, Any] | None = None
    message: dict[str, Any] | None = None


class EnvironmentLogList(RootModel[list[EnvironmentLogLine]]):
    pass


# ---------------------------------------------------------------------------------------------
# What the deploy operations return (the tools' output schemas in phase 2)
# ---------------------------------------------------------------------------------------------

OutcomeField = Annotated[
    Literal["succeeded", "failed", "still-running", "unknown", "declined"],
    Field(
        description="succeeded or failed once a final state was seen; still-running when the wait ended first "
        "(or no wait was asked); unknown when Qovery's answer to the request was lost; declined when the user said no."
    ),
]


class DeployResult(TypedDict):
    job_id: str
    name: str
    outcome: OutcomeField
    message: str
    state: Annotated[str | None, Field(description="The last state seen (StateEnum).")]
    deployment_request_id: str | None
    execution_id: str | None
    duration_seconds: Annotated[float, Field(description="How long this call followed the deployment.")]
    sent: Annotated[
        dict[str, Any], Field(description="What was asked of Qovery: image_tag, git_commit_id, force_event.")
    ]
    previous: Annotated[
        dict[str, str] | None,
        Field(description="The last successful deployment before this one: its image_tag or git_commit_id."),
    ]
    rollback: Annotated[
        dict[str, str] | None,
        Field(description="The exact deploy-job arguments that put `previous` back."),
    ]
    status: NotRequired[
        Annotated[dict[str, Any], Field(description="The last status read, as Qovery sent it.")]
    ]
    log_tail: NotRequired[
        Annotated[
            dict[str, Any],
            Field(
                description="On failure: lines (errors first), Qovery's errors, and how many lines were omitted."
            ),
        ]
    ]


class StopResult(TypedDict):
    job_id: str
    name: str
    outcome: OutcomeField
    message: str
    state: str | None
    deployment_request_id: str | None
    duration_seconds: float
    status: NotRequired[dict[str, Any]]


class DeploymentList(TypedDict):
    job_id: str
    results: Annotated[list[dict[str, Any]], Field(description="Deployments, newest first, at most `limit`.")]
    total: int
    truncated: bool
    message: str


class JobLogs(TypedDict):
    job_id: str
    execution_id: str | None
    lines: Annotated[
        list[dict[str, Any]], Field(description="Log lines of this job, oldest first, newest last.")
    ]
    omitted: Annotated[int, Field(description="Matching lines left out by the `lines` limit.")]
    message: str
