"""Job shapes and the edit merge.

Qovery's PUT replaces the whole job, so an edit must send every setting the user did not mean to
change. This module turns a job as Qovery returns it (JobResponse) into the full request Qovery
expects (JobRequest), merges a JSON Merge Patch (RFC 7386) into it, validates the result and lists
what changed. Response models accept fields Qovery adds later; the request model refuses unknown
fields, because a misspelt field would otherwise be dropped silently by Qovery.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from qovery_job_mcp.qovery.errors import InvalidInputError, UnexpectedAnswerError, quote_input

# ---------------------------------------------------------------------------------------------
# What Qovery returns (validated so a malformed answer becomes a clear error, never a crash)
# ---------------------------------------------------------------------------------------------


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class EnvironmentRef(_Open):
    id: str


class LifecycleSchedule(_Open):
    on_start: dict[str, Any] | None = None
    on_stop: dict[str, Any] | None = None
    on_delete: dict[str, Any] | None = None
    lifecycle_type: str | None = None


class CronSpec(_Open):
    scheduled_at: str = Field(description="Cron expression, 5 fields, no seconds.")
    timezone: str | None = Field(
        default=None, description="IANA timezone of the schedule, e.g. Europe/Paris."
    )
    entrypoint: str | None = None
    arguments: list[str] | None = None


class CronSchedule(_Open):
    cronjob: CronSpec


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

    job_type: Literal["LIFECYCLE", "CRON"] = Field(
        description="LIFECYCLE (runs on environment events) or CRON."
    )
    schedule: CronSchedule | LifecycleSchedule = Field(
        description="CRON: {cronjob: {scheduled_at, timezone, entrypoint, arguments}}; "
        "LIFECYCLE: {on_start, on_stop, on_delete: {entrypoint, arguments}, lifecycle_type}."
    )

    @model_validator(mode="after")
    def _schedule_matches_type(self) -> Job:
        if self.job_type == "CRON" and not isinstance(self.schedule, CronSchedule):
            raise ValueError("a CRON job needs schedule.cronjob.scheduled_at")
        if self.job_type == "LIFECYCLE" and isinstance(self.schedule, CronSchedule):
            raise ValueError("a LIFECYCLE job cannot have schedule.cronjob")
        return self


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


class CommitList(BaseModel):
    results: list[Commit] = Field(description="Commits, newest first, at most `limit`.")
    total: int = Field(description="How many commits Qovery returned before the limit was applied.")
    truncated: bool = Field(description="True when `results` holds fewer commits than Qovery returned.")


class CommitsAnswer(_Open):
    results: list[Commit]


class DeleteResult(BaseModel):
    job_id: str
    deleted: bool = Field(description="False when no such job existed (a repeated delete is not an error).")
    message: str


class Change(BaseModel):
    path: str = Field(description="JSON Pointer into the job settings, e.g. /schedule/cronjob/scheduled_at.")
    before: Any = None
    after: Any = None


class EditResult(BaseModel):
    dry_run: bool
    changes: list[Change]
    request: dict[str, Any] | None = Field(
        default=None, description="Dry run: the full request that would be sent."
    )
    job: Job | None = Field(default=None, description="Real edit: the job as Qovery returns it afterwards.")
    message: str


NOTHING_CHANGED = "Nothing was changed; retry later or report it."


def parse_answer(model: Any, payload: Any, what: str, consequence: str = NOTHING_CHANGED) -> Any:
    """Validate an upstream payload; a mismatch is Qovery's fault and is reported as such.

    `consequence` tells the caller where things stand (after a PUT, the edit may have landed).
    """
    from pydantic import TypeAdapter

    try:
        return TypeAdapter(model).validate_python(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise UnexpectedAnswerError(
            f"Qovery answered unexpectedly (HTTP 200): the {what} it returned is not in the documented shape "
            f"({where}: {first['msg']}). {consequence}"
        ) from None


# ---------------------------------------------------------------------------------------------
# What Qovery accepts (JobRequest), validated before any PUT
# ---------------------------------------------------------------------------------------------

CRON_FIELD = r"[\d*/,\-A-Za-z?LW#]+"
CRON_RE = re.compile(rf"^\s*{CRON_FIELD}(\s+{CRON_FIELD}){{4}}\s*$")


class _Closed(BaseModel):
    # defer_build: the request models validate edits only; building their validators on first
    # use keeps them off the start-up path that every stdio launch pays (README, Performance).
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Command(_Closed):
    entrypoint: str | None = None
    arguments: list[str] | None = None


class CronSpecRequest(Command):
    scheduled_at: str
    timezone: str | None = None


class ScheduleRequest(_Closed):
    on_start: Command | None = None
    on_stop: Command | None = None
    on_delete: Command | None = None
    lifecycle_type: Literal["GENERIC", "TERRAFORM", "CLOUDFORMATION"] | None = None
    cronjob: CronSpecRequest | None = None


class ImageSourceRequest(_Closed):
    image_name: str = Field(min_length=1)
    tag: str = Field(min_length=1)
    registry_id: str = Field(min_length=1)


class GitRepositoryRequest(_Closed):
    url: str = Field(min_length=1)
    provider: Literal["GITHUB", "GITLAB", "BITBUCKET"]
    branch: str | None = None
    root_path: str | None = None
    git_token_id: str | None = None
    owner: str | None = None
    name: str | None = None


class DockerSourceRequest(_Closed):
    git_repository: GitRepositoryRequest
    dockerfile_path: str | None = None
    dockerfile_raw: str | None = None
    docker_target_build_stage: str | None = None


class SourceRequest(_Closed):
    image: ImageSourceRequest | None = None
    docker: DockerSourceRequest | None = None


class GroupRef(_Closed):
    id: str = Field(min_length=1)


class JobRequest(_Closed):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    cpu: int | None = Field(default=None, ge=1)
    memory: int | None = Field(default=None, ge=1)
    gpu: int | None = Field(default=None, ge=0)
    ephemeral_storage_in_gib: int | None = Field(default=None, ge=0)
    max_nb_restart: int | None = Field(default=None, ge=0)
    max_duration_seconds: int | None = Field(default=None, ge=0)
    auto_preview: bool | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    cpu_architecture: Literal["AMD64", "ARM64"] | None = None
    healthchecks: dict[str, Any]
    auto_deploy: bool | None = None
    icon_uri: str | None = None
    source: SourceRequest | None = None
    schedule: ScheduleRequest | None = None
    annotations_groups: list[GroupRef] | None = None
    labels_groups: list[GroupRef] | None = None


EDITABLE_FIELDS = tuple(JobRequest.model_fields)
READ_ONLY_FIELDS = frozenset(
    {"id", "created_at", "updated_at", "environment", "maximum_cpu", "maximum_memory", "maximum_gpu"}
    | {"service_type", "job_type"}
)
LIFECYCLE_EVENTS = ("on_start", "on_stop", "on_delete")
_COPIED_FIELDS = (
    "name",
    "description",
    "cpu",
    "memory",
    "gpu",
    "ephemeral_storage_in_gib",
    "max_nb_restart",
    "max_duration_seconds",
    "auto_preview",
    "port",
    "cpu_architecture",
    "auto_deploy",
    "icon_uri",
)
_GIT_REQUEST_FIELDS = ("url", "provider", "branch", "root_path", "git_token_id", "owner", "name")
_DOCKER_REQUEST_FIELDS = ("dockerfile_path", "dockerfile_raw", "docker_target_build_stage")


def job_to_request(job: dict[str, Any]) -> dict[str, Any]:
    """The full JobRequest that would leave `job` exactly as it is.

    Read-only fields are dropped, cron `timezone` is kept (Qovery resets a missing one to UTC),
    label and annotation groups become `[{id}]`, and the source keeps only its request fields.
    """
    request: dict[str, Any] = {key: copy.deepcopy(job[key]) for key in _COPIED_FIELDS if key in job}
    if request.get("cpu_architecture") is None:
        # Null means "cluster default"; strict OpenAPI 3.0 validators reject the explicit null.
        request.pop("cpu_architecture", None)
    request["healthchecks"] = copy.deepcopy(job.get("healthchecks") or {})

    source = job.get("source") or {}
    if source.get("image"):
        image = source["image"]
        registry_id = image.get("registry_id") or (image.get("registry") or {}).get("id")
        request["source"] = {
            "image": {
                "image_name": image.get("image_name"),
                "tag": image.get("tag"),
                "registry_id": registry_id,
            }
        }
    elif source.get("docker"):
        docker = source["docker"]
        git = docker.get("git_repository") or {}
        docker_request: dict[str, Any] = {
            "git_repository": {key: git[key] for key in _GIT_REQUEST_FIELDS if key in git},
        }
        docker_request.update({key: docker[key] for key in _DOCKER_REQUEST_FIELDS if key in docker})
        request["source"] = {"docker": docker_request}

    schedule = job.get("schedule") or {}
    if job.get("job_type") == "CRON":
        request["schedule"] = {"cronjob": copy.deepcopy(schedule.get("cronjob") or {})}
    else:
        request["schedule"] = {
            key: copy.deepcopy(schedule[key])
            for key in (*LIFECYCLE_EVENTS, "lifecycle_type")
            if schedule.get(key) is not None
        }
    for groups in ("annotations_groups", "labels_groups"):
        if groups in job:
            request[groups] = [{"id": group["id"]} for group in job.get(groups) or [] if "id" in group]
    return request


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: objects merge, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(parts: list[str]) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def diff(before: Any, after: Any, parts: list[str] | None = None) -> list[dict[str, Any]]:
    """Leaf-level differences as JSON Pointer paths; arrays compare whole, as merge patch replaces them."""
    parts = parts or []
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[dict[str, Any]] = []
        for key in sorted(before.keys() | after.keys(), key=str):
            changes += diff(before.get(key), after.get(key), [*parts, str(key)])
        return changes
    if before == after:
        return []
    return [{"path": _pointer(parts), "before": before, "after": after}]


def _refuse_unknown_fields(body: dict[str, Any]) -> None:
    read_only = sorted(key for key in body if key in READ_ONLY_FIELDS)
    if read_only:
        raise InvalidInputError(
            f"{', '.join(read_only)} cannot be changed with edit-job (read-only in Qovery); "
            "remove them from body."
        )
    unknown = sorted(key for key in body if key not in EDITABLE_FIELDS)
    if unknown:
        shown = ", ".join(quote_input(key) for key in unknown[:5])
        raise InvalidInputError(
            f"Unknown field(s) in body: {shown}. Editable fields are: {', '.join(EDITABLE_FIELDS)}."
        )


def _refuse_wrong_schedule(job_type: str, schedule: Any) -> None:
    if not isinstance(schedule, dict):
        return
    if job_type == "LIFECYCLE" and schedule.get("cronjob") is not None:
        raise InvalidInputError(
            "This is a LIFECYCLE job: it has no cron schedule, so schedule.cronjob cannot be set. "
            "Change schedule.on_start / on_stop / on_delete instead, or create a CRON job."
        )
    if job_type == "CRON":
        events = [key for key in (*LIFECYCLE_EVENTS, "lifecycle_type") if schedule.get(key) is not None]
        if events:
            raise InvalidInputError(
                f"This is a CRON job: {', '.join('schedule.' + e for e in events)} only apply to LIFECYCLE jobs. "
                "Change schedule.cronjob (scheduled_at, timezone, entrypoint, arguments) instead."
            )


def _switch_source_kind(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Setting `source.docker` on an image job (or the reverse) replaces the old kind of source."""
    source_patch = body.get("source")
    current_source = current.get("source") or {}
    if not isinstance(source_patch, dict):
        return body
    for new_kind, old_kind in (("docker", "image"), ("image", "docker")):
        if (
            source_patch.get(new_kind) is not None
            and old_kind in current_source
            and old_kind not in source_patch
        ):
            return {**body, "source": {**source_patch, old_kind: None}}
    return body


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    more = f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return "; ".join(parts) + more


def validate_request(request: dict[str, Any], job_type: str) -> None:
    """Refuse, before any PUT, a request Qovery would reject or that would break the job."""
    _refuse_unknown_fields(request)
    try:
        JobRequest.model_validate(request)
    except ValidationError as exc:
        raise InvalidInputError(f"The edited job is not valid: {_validation_message(exc)}.") from None
    _refuse_wrong_schedule(job_type, request.get("schedule"))
    source = request.get("source") or {}
    kinds = [kind for kind in ("image", "docker") if source.get(kind) is not None]
    if len(kinds) != 1:
        raise InvalidInputError(
            "The job's source must be exactly one of source.image or source.docker "
            f"(the edit leaves {len(kinds)}); set one and null the other."
        )
    schedule = request.get("schedule") or {}
    if job_type == "CRON":
        scheduled_at = (schedule.get("cronjob") or {}).get("scheduled_at")
        if not isinstance(scheduled_at, str) or not CRON_RE.match(scheduled_at):
            raise InvalidInputError(
                f"schedule.cronjob.scheduled_at must be a 5-field cron expression such as '0 3 * * *', "
                f"got {quote_input(scheduled_at)}."
            )
    elif not any(schedule.get(event) for event in LIFECYCLE_EVENTS):
        raise InvalidInputError(
            "A LIFECYCLE job needs at least one of schedule.on_start, on_stop or on_delete; the edit removes them all."
        )


def plan_edit(
    job: dict[str, Any], body: Any, *, replace: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The full JobRequest to PUT for `body`, and the changes it makes; raises InvalidInputError.

    By default `body` is a merge patch over the job's current settings; with `replace` it is the
    complete request. Either way nothing the caller did not mention can change.
    """
    if not isinstance(body, dict):
        raise InvalidInputError(f"body must be a JSON object of fields to change, got {type(body).__name__}.")
    if not body:
        raise InvalidInputError(
            'body is empty: there is nothing to change. Give the fields to change, e.g. {"cpu": 1000} '
            'or {"source": {"image": {"tag": "1.9.0"}}}.'
        )
    job_type = str(job.get("job_type"))
    _refuse_unknown_fields(body)
    _refuse_wrong_schedule(job_type, body.get("schedule"))
    current = job_to_request(job)
    request = copy.deepcopy(body) if replace else merge_patch(current, _switch_source_kind(current, body))
    validate_request(request, job_type)
    return request, diff(current, request)
