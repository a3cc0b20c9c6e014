"""What Qovery returns, and what the operations return.

Answers are validated so that a malformed one becomes a clear error, never a crash, but only as
strictly as the published spec: every model accepts fields Qovery adds later, and enums are plain
strings, so a value Qovery adds next month is read, not refused. The job itself is passed on as the
dict Qovery sent (PUT replaces the whole job: nothing may be lost on the way).
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from typing_extensions import NotRequired, TypedDict

from qovery_job_mcp.qovery.edit import Change
from qovery_job_mcp.qovery.errors import UnexpectedAnswerError

# ---------------------------------------------------------------------------------------------
# What Qovery returns (validated so a malformed answer becomes a clear error, never a crash)
# ---------------------------------------------------------------------------------------------


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class EnvironmentRef(_Open):
    id: str


class _JobResponseBase(_Open):
    id: str = Field(description="Job id (UUID).")
    created_at: str
    updated_at: str | None = None
    environment: EnvironmentRef
    name: str
    description: str | None = None
    cpu: int = Field(description="CPU request in millicores (1000 = 1 vCPU).")
    memory: int = Field(description="Memory in MB.")
    gpu: int
    maximum_cpu: int = Field(description="Largest cpu the cluster allows, in millicores.")
    maximum_memory: int = Field(description="Largest memory the cluster allows, in MB.")
    maximum_gpu: int
    auto_preview: bool
    source: dict[str, Any] = Field(description="Exactly one of {image: …} or {docker: {git_repository: …}}.")
    healthchecks: dict[str, Any]
    icon_uri: str
    service_type: str


class Job(_JobResponseBase):
    """A job as Qovery returns it; `job_type` decides which schedule shape applies.

    One object model rather than a union, so the tool's output schema is an object and its
    structured content is the job itself, not a wrapper.
    """

    job_type: str = Field(description="LIFECYCLE (runs on environment events) or CRON.")
    schedule: dict[str, Any] = Field(
        description="CRON: {cronjob: {scheduled_at, timezone, entrypoint, arguments}}; "
        "LIFECYCLE: {on_start, on_stop, on_delete: {entrypoint, arguments}, lifecycle_type}."
    )


class StatusDetails(_Open):
    action: str = Field(description="DEPLOY, DELETE, RESTART, STOP or UNKNOWN.")
    status: str = Field(
        description="QUEUED, ONGOING, SUCCESS, ERROR, EXECUTING, CANCELED, CANCELING or NEVER."
    )
    sub_action: str


class JobStatus(_Open):
    id: str
    state: str = Field(description="Deployment state, e.g. DEPLOYED, DEPLOYMENT_ERROR, EXECUTING, STOPPED.")
    service_deployment_status: str = Field(description="NEVER_DEPLOYED, OUT_OF_DATE or UP_TO_DATE.")
    status_details: StatusDetails
    is_part_last_deployment: bool
    deployment_requests_count: int
    deployment_request_id: str | None
    last_deployment_date: str | None = None
    execution_id: str | None = None
    steps: dict[str, Any] | None = Field(default=None, description="Step timings in seconds.")


class Commit(_Open):
    git_commit_id: str
    created_at: str
    author_name: str
    message: str
    tag: str


class CommitsAnswer(_Open):
    #: The spec allows `{}` and null entries; both read as "no commit there".
    results: list[Commit | None] = []


# ---------------------------------------------------------------------------------------------
# What the operations return: checked by mypy, and the tools' output schemas
# ---------------------------------------------------------------------------------------------


class CommitItem(TypedDict):
    """One commit as list-last-job-commits returns it: Qovery's fields, described for REST and MCP consumers."""

    git_commit_id: Annotated[str, Field(description="The commit SHA.")]
    created_at: Annotated[str, Field(description="When the commit was made (ISO 8601).")]
    author_name: Annotated[str, Field(description="The commit's author.")]
    message: Annotated[str, Field(description="The commit message.")]
    tag: Annotated[str, Field(description="A tag on the commit, or an empty string.")]
    author_avatar_url: NotRequired[
        Annotated[str, Field(description="The author's avatar, when Qovery has one.")]
    ]
    commit_page_url: NotRequired[
        Annotated[str, Field(description="The commit's page at the git provider, when Qovery has one.")]
    ]


class CommitList(TypedDict):
    results: Annotated[list[CommitItem], Field(description="Commits, newest first, at most `limit`.")]
    total: Annotated[int, Field(description="How many commits Qovery returned before the limit was applied.")]
    truncated: Annotated[
        bool, Field(description="True when `results` holds fewer commits than Qovery returned.")
    ]


#: A write that went ahead with nobody asked says so in its result (both write results share the field).
NotAsked = Annotated[
    Literal["not-asked"],
    Field(
        description="Set when the write went ahead with nobody asked (the client cannot ask); `message` says why."
    ),
]


class DeleteResult(TypedDict):
    job_id: str
    deleted: Annotated[bool, Field(description="False when no such job existed, or the user declined.")]
    message: str
    name: NotRequired[str]
    job_type: NotRequired[str]
    settings: NotRequired[
        Annotated[
            dict[str, Any], Field(description="The request that would recreate the job, for your records.")
        ]
    ]
    confirmed: NotRequired[NotAsked]


class EditResult(TypedDict):
    dry_run: bool
    confirmed: NotRequired[NotAsked]
    applied: NotRequired[
        Annotated[
            bool, Field(description="False when the user declined, or the job changed while they were asked.")
        ]
    ]
    changes: Annotated[list[Change], Field(description="JSON Pointer paths with before/after.")]
    version: Annotated[
        str, Field(description="The job's version: pass it as expected_version when you apply this change.")
    ]
    message: str
    request: NotRequired[
        Annotated[dict[str, Any], Field(description="Dry run: the full request that would be sent.")]
    ]
    job: NotRequired[
        Annotated[dict[str, Any], Field(description="Real edit: the job as Qovery returns it afterwards.")]
    ]
    undo: NotRequired[
        Annotated[
            dict[str, Any], Field(description="Real edit: the merge patch that restores the changed values.")
        ]
    ]
    undo_replace: NotRequired[
        Annotated[
            dict[str, Any],
            Field(
                description="Real edit that replaced an explicit null (which a merge patch cannot restore): the "
                "job's previous settings in full; send them as `body` with `replace: true`."
            ),
        ]
    ]
    next_runs: NotRequired[
        Annotated[
            list[str], Field(description="Dry run of a CRON job: the next five runs of the schedule sent.")
        ]
    ]


NOTHING_CHANGED = "Nothing was changed; retry later or report it."


@functools.cache
def _adapter(model: Any) -> Any:
    """One TypeAdapter per answer model: building it costs as much as a validation, on every call."""
    from pydantic import TypeAdapter

    return TypeAdapter(model)


def parse_answer(model: Any, payload: Any, what: str, consequence: str = NOTHING_CHANGED) -> Any:
    """Validate an upstream payload; a mismatch is Qovery's fault and is reported as such.

    `consequence` tells the caller where things stand (after a PUT, the edit may have landed).
    """
    try:
        return _adapter(model).validate_python(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise UnexpectedAnswerError(
            f"Qovery answered unexpectedly (HTTP 200): the {what} it returned is not in the documented shape "
            f"({where}: {first['msg']}). {consequence}"
        ) from None


def require_same_job(job_id: str, job: Any, what: str = "job") -> None:
    """Refuse an answer about another job than the one asked for, before anything is written on its strength.

    Every write goes to the validated id the caller named; an answer whose `id` differs (another job's, a path
    such as `../organization/…`, an id with a query) means the upstream or something between is lying, and a write
    planned from it would land elsewhere or carry another job's settings. Called by every read that a write
    follows (edit, delete, and the deploy toolset's reads).
    """
    answered = job.get("id") if isinstance(job, dict) else None
    if answered != job_id:
        shown = answered if isinstance(answered, str) and len(answered) <= 80 else "another id"
        raise UnexpectedAnswerError(
            f"Qovery answered about another job ({shown!r}) than the one asked for ({job_id}); nothing was sent. "
            "Report it: an answer for a different job is never acted on."
        )
