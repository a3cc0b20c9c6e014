"""The deploy toolset's rules, as pure functions: what may be sent, when a deployment is over, how to say it.

Nothing here talks to Qovery or waits: `operations/deploy.py` reads the job, the status and the
history and hands them to these functions, so every rule is tested table-driven on plain data and
both adapters (MCP, REST) say the same sentences.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from qovery_job_mcp.qovery.errors import InvalidInputError, JobError, quote_input

#: Qovery's JobForceEvent values.
FORCE_EVENTS = ("START", "STOP", "DELETE", "CRON")
#: A full git commit SHA-1: Qovery deploys a commit, not a branch or an abbreviation (matched whole: no "\n").
FULL_SHA_RE = re.compile(r"[0-9a-f]{40}")
#: A container image tag as registries define it: no spaces, no line breaks, no leading "." or "-". A tag is
#: quoted in the confirmation question, so anything else could make the question say something it does not do.
IMAGE_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
#: States after which nothing more happens to this deployment (the end of EXECUTING is handled apart).
FINAL_STATES = frozenset({"DEPLOYED", "DEPLOYMENT_ERROR", "BUILD_ERROR", "STOPPED", "STOP_ERROR", "CANCELED"})
SUCCESS_STATES = frozenset({"DEPLOYED", "STOPPED"})
#: The action statuses that end an execution (status_details.status).
ENDED_ACTION_STATUSES = frozenset({"SUCCESS", "ERROR", "CANCELED"})
MAX_WAIT_SECONDS = 900
#: Said before the verdict when a deploy's answer was lost but the history shows its deployment.
FOUND_AFTER_LOST_ANSWER = "Qovery's answer to the deploy was lost, but its history shows the new deployment (nothing was sent again). "
POLL_FIRST_SECONDS = 2.0
POLL_MAX_SECONDS = 15.0

Outcome = Literal["succeeded", "failed", "still-running"]
SourceKind = Literal["image", "git"]


@dataclass(frozen=True)
class DeployCall:
    """The one request a validated deploy sends: `POST /job/{id}/{action}` with this body and query."""

    action: Literal["deploy", "redeploy"]
    body: dict[str, str] | None
    params: dict[str, str] | None
    image_tag: str | None = None
    git_commit_id: str | None = None
    force_event: str | None = None

    def sent(self) -> dict[str, str]:
        """What the caller asked for, as deploy-job arguments (the result's `sent`)."""
        asked = (
            ("image_tag", self.image_tag),
            ("git_commit_id", self.git_commit_id),
            ("force_event", self.force_event),
        )
        return {key: value for key, value in asked if value is not None}


def source_kind(job: Mapping[str, Any]) -> SourceKind:
    """`image` for a container-image job, `git` for a job built from a repository."""
    source = job.get("source") or {}
    return "image" if source.get("image") else "git"


def current_version(job: Mapping[str, Any]) -> str | None:
    """The image tag or commit the job's settings name now (what a redeploy sends)."""
    source = job.get("source") or {}
    if source.get("image"):
        return str(source["image"].get("tag") or "") or None
    git = (source.get("docker") or {}).get("git_repository") or {}
    return str(git.get("deployed_commit_id") or "") or None


def job_events(job: Mapping[str, Any]) -> tuple[str, ...]:
    """The force events this job has: a CRON job has CRON; a LIFECYCLE job the on_* events it defines."""
    if job.get("job_type") == "CRON":
        return ("CRON",)
    schedule = job.get("schedule") or {}
    return tuple(
        event
        for event, key in (("START", "on_start"), ("STOP", "on_stop"), ("DELETE", "on_delete"))
        if schedule.get(key)
    )


def check_deploy_arguments(
    job: Mapping[str, Any], *, image_tag: Any = None, git_commit_id: Any = None, force_event: Any = None
) -> DeployCall:
    """The request a deploy of this job sends, or InvalidInputError with the sentence that says why not.

    Checked against the job as read, so nothing is sent that Qovery would refuse or, worse, accept
    and ignore (a force event the job lacks is accepted and does nothing).
    """
    name = job.get("name")
    kind = source_kind(job)
    if image_tag is not None and git_commit_id is not None:
        raise InvalidInputError(
            "Give image_tag or git_commit_id, not both: a job deploys one image tag or one commit. Nothing was sent."
        )
    if image_tag is not None:
        if not isinstance(image_tag, str) or not IMAGE_TAG_RE.fullmatch(image_tag):
            raise InvalidInputError(
                "image_tag must be an image tag (letters, digits, '_', '.' and '-', at most 128 characters, not "
                f"starting with '.' or '-'), got {quote_input(image_tag)}. Nothing was sent."
            )
        if kind != "image":
            raise InvalidInputError(
                f"Job {name!r} is built from a git repository: deploy a commit with git_commit_id, not image_tag. "
                "Nothing was sent."
            )
    if git_commit_id is not None:
        if not isinstance(git_commit_id, str) or not FULL_SHA_RE.fullmatch(git_commit_id.lower()):
            raise InvalidInputError(
                f"git_commit_id must be a full 40-character commit SHA, got {quote_input(git_commit_id)}; "
                "list-last-job-commits shows them. Nothing was sent."
            )
        if kind != "git":
            raise InvalidInputError(
                f"Job {name!r} runs a container image: deploy a tag with image_tag, not git_commit_id. "
                "Nothing was sent."
            )
        git_commit_id = git_commit_id.lower()
    if force_event is not None:
        if force_event not in FORCE_EVENTS:
            raise InvalidInputError(
                f"force_event must be one of {', '.join(FORCE_EVENTS)}, got {quote_input(force_event)}. "
                "Nothing was sent."
            )
        events = job_events(job)
        if force_event not in events:
            has = f"it has {', '.join(events)}" if events else "it defines no event"
            raise InvalidInputError(
                f"Job {name!r} ({job.get('job_type')}) has no {force_event} event ({has}); Qovery would accept "
                "and ignore it. Nothing was sent."
            )
    params = {"forceEvent": force_event} if force_event else None
    if image_tag is None and git_commit_id is None:
        return DeployCall("redeploy", None, params, force_event=force_event)
    body = {"image_tag": image_tag} if image_tag is not None else {"git_commit_id": str(git_commit_id)}
    return DeployCall("deploy", body, params, image_tag, git_commit_id, force_event)


def check_whole_number(name: str, value: Any, low: int, high: int, default: int) -> int:
    """An integer argument in [low, high]; None means the default; booleans and floats are refused."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInputError(
            f"{name} must be a whole number from {low} to {high}, got {quote_input(value)}. Nothing was sent."
        )
    return value


#: What an execution id looks like: "<job id>-<n>-<epoch>" today; any id without a separator of paths.
EXECUTION_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}")


def check_execution_id(value: Any) -> str | None:
    """An execution id as list-job-deployments shows it (None: the latest deployment's)."""
    if value is None or (isinstance(value, str) and EXECUTION_ID_RE.fullmatch(value)):
        return value
    raise InvalidInputError(
        f"execution_id must be an execution id from list-job-deployments, got {quote_input(value)}."
    )


def check_flag(name: str, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidInputError(f"{name} must be true or false, got {quote_input(value)}.")
    return value


# -- waiting -------------------------------------------------------------------------------------


def outcome_of(
    status: Mapping[str, Any],
    *,
    seen_executing: bool,
    request_id: str | None = None,
    execution_before: str | None = None,
) -> Outcome:
    """Where a deployment stands from one status read: succeeded, failed, or still running.

    A status that names another deployment request (the previous one, before Qovery queued ours)
    is not our end; nor is one that still names `execution_before`, the newest execution in the
    history before the write (Qovery's 202 may carry no request id, and its status may still be the
    previous deployment's end). A job run has ended once the state leaves EXECUTING; its action status decides.
    """
    theirs = status.get("deployment_request_id")
    if request_id and theirs and theirs != request_id:
        return "still-running"
    if execution_before and status.get("execution_id") == execution_before:
        return "still-running"
    state = status.get("state")
    action_status = (status.get("status_details") or {}).get("status")
    if state in FINAL_STATES:
        return "succeeded" if state in SUCCESS_STATES and action_status != "ERROR" else "failed"
    if seen_executing and state != "EXECUTING" and action_status in ENDED_ACTION_STATUSES:
        return "succeeded" if action_status == "SUCCESS" else "failed"
    return "still-running"


def next_poll_delay(previous: float | None, *, retry_after: float | None, remaining: float) -> float:
    """The wait before the next status read: 2 s doubling to 15 s, at least Retry-After, never past the end."""
    delay = POLL_FIRST_SECONDS if previous is None else min(POLL_MAX_SECONDS, previous * 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return max(0.0, min(delay, remaining))


def poll_times(wait_seconds: float) -> list[float]:
    """The seconds (from the start) at which a wait of this length reads the status, when nothing ends it."""
    times: list[float] = []
    elapsed, delay = 0.0, None
    while wait_seconds - elapsed > 0:
        delay = next_poll_delay(delay, retry_after=None, remaining=wait_seconds - elapsed)
        elapsed += delay
        times.append(elapsed)
    return times


# -- history: previous and rollback --------------------------------------------------------------


def entry_version(entry: Mapping[str, Any], kind: SourceKind) -> str | None:
    """The image tag (image job) or commit (git job) a history entry deployed."""
    details = entry.get("details") or {}
    if kind == "image":
        return str(details.get("tag") or "") or None
    commit = details.get("commit") or {}
    return str(commit.get("git_commit_id") or "") or None


def entry_succeeded(entry: Mapping[str, Any]) -> bool:
    return entry.get("status") == "DEPLOYED" or (
        (entry.get("status_details") or {}).get("action") == "DEPLOY"
        and (entry.get("status_details") or {}).get("status") == "SUCCESS"
    )


def previous_version(
    history: Sequence[Mapping[str, Any]], kind: SourceKind, *, after_execution_id: str | None = None
) -> dict[str, str] | None:
    """The last successful deployment before this one: {image_tag | git_commit_id, execution_id, deployed_at}.

    `history` is newest first, as Qovery returns it; entries up to and including
    `after_execution_id` (this deployment) are skipped.
    """
    entries = list(history)
    if after_execution_id is not None:
        ids = [(e.get("identifier") or {}).get("execution_id") for e in entries]
        if after_execution_id in ids:
            entries = entries[ids.index(after_execution_id) + 1 :]
    for entry in entries:
        version = entry_version(entry, kind)
        if version and entry_succeeded(entry):
            key = "image_tag" if kind == "image" else "git_commit_id"
            found = {
                key: version,
                "deployed_at": str((entry.get("auditing_data") or {}).get("created_at") or ""),
            }
            execution_id = (entry.get("identifier") or {}).get("execution_id")
            if execution_id:
                found["execution_id"] = str(execution_id)
            return found
    return None


def rollback_arguments(job_id: str, previous: Mapping[str, str] | None) -> dict[str, str] | None:
    """The exact deploy-job arguments that put the previous version back (None: nothing to go back to)."""
    if previous is None:
        return None
    key = "image_tag" if "image_tag" in previous else "git_commit_id"
    return {"job_id": job_id, key: previous[key]}


# -- sentences -------------------------------------------------------------------------------------


def describe_version(kind: SourceKind, version: str) -> str:
    return f"image tag {version}" if kind == "image" else f"commit {version[:12]}"


def deploy_question(job: Mapping[str, Any], call: DeployCall, previous: Mapping[str, str] | None) -> str:
    """What the user is asked: "Deploy image tag 1.9.0 of job 'nightly-report' (CRON), replacing 1.8.2"."""
    kind = source_kind(job)
    what = f"job {job.get('name')!r} ({job.get('job_type')})"
    target = call.image_tag or call.git_commit_id
    old = (previous or {}).get("image_tag") or (previous or {}).get("git_commit_id") or current_version(job)
    if target is not None:
        sentence = f"Deploy {describe_version(kind, target)} of {what}"
    else:
        sentence = f"Redeploy {what}" + (f" at {describe_version(kind, old)}" if old else "")
        old = None
    if old and old != target:
        sentence += f", replacing {old if kind == 'image' else old[:12]}"
    if call.force_event == "CRON":
        sentence += ", and run it now (force event CRON)"
    elif call.force_event:
        sentence += f", running its {call.force_event} event"
    return sentence


def stop_question(job: Mapping[str, Any]) -> str:
    return f"Stop job {job.get('name')!r} ({job.get('job_type')})"


def clock_time(timestamp: Any) -> str | None:
    """'10:02' from an ISO date-time (UTC, as Qovery sends it); None when there is none."""
    if not isinstance(timestamp, str):
        return None
    match = re.search(r"T(\d{2}:\d{2})", timestamp)
    return match.group(1) if match else None


def state_since(status: Mapping[str, Any], since: Any = None) -> str:
    """ "DEPLOYMENT_QUEUED since 10:02" (or the state alone when no time is known)."""
    when = clock_time(since) or clock_time(status.get("last_deployment_date"))
    return f"{status.get('state')} since {when}" if when else str(status.get("state"))


def lost_answer_sentence(what: str, status: Mapping[str, Any] | None, since: Any = None) -> str:
    """A write whose answer was lost: say what the status shows, and that nothing was sent again."""
    seen = (
        f"the status shows {state_since(status, since)}" if status else "the status could not be read either"
    )
    return (
        f"Qovery may have accepted the {what}; {seen}. Nothing was sent again: check list-job-deployments "
        "before retrying."
    )


def wait_stopped_sentence(elapsed: float, error: JobError) -> str:
    """Why a wait ended before its time: the status could not be read. Only the error's kind and Qovery's HTTP
    status are said (its detail may quote an upstream body); the write itself was accepted."""
    http = f", HTTP {error.upstream_status}" if error.upstream_status else ""
    return (
        f" The wait stopped after {elapsed:.0f} s: the status could not be read ({error.title}{http}); "
        "nothing more was sent."
    )


def conflict_sentence(what: str, job: Mapping[str, Any], status: Mapping[str, Any] | None) -> str:
    """Qovery's 409: another operation runs on the job; say which, and that nothing more was sent."""
    running = "another operation"
    if status:
        action = (status.get("status_details") or {}).get("action")
        running = (
            f"a {action} ({state_since(status)})" if action not in (None, "UNKNOWN") else state_since(status)
        )
    return (
        f"Qovery refused the {what} of job {job.get('name')!r}: {running} is running on it (HTTP 409). "
        "Nothing more was sent; wait until it ends (get-job-status) and try again."
    )


def execution_id_of(entry: Mapping[str, Any]) -> str | None:
    """The execution id of a history entry (None when Qovery gave none)."""
    value = (entry.get("identifier") or {}).get("execution_id")
    return str(value) if value else None


def deploy_verdict(
    job: Mapping[str, Any],
    call: DeployCall,
    outcome: str,
    status: Mapping[str, Any],
    tail: Mapping[str, Any] | None,
    rollback: Mapping[str, str] | None,
    execution_before: str | None = None,
) -> str:
    """The one sentence a deploy ends with: how it ended, Qovery's reason on failure, the way back."""
    target = call.image_tag or call.git_commit_id
    name = f"job {job.get('name')!r}"
    what = (
        f"deploy of {describe_version(source_kind(job), target)} of {name}"
        if target
        else f"redeploy of {name}"
    )
    if outcome == "failed":
        errors = (tail or {}).get("errors") or []
        why = f" {errors[0]['user_log_message']}" if errors and errors[0].get("user_log_message") else ""
        back = f" To go back: deploy-job with {json.dumps(dict(rollback))}." if rollback else ""
        return f"The {what} failed: {status.get('state')}.{why}{back}"
    if outcome == "succeeded":
        return f"The {what} ended: {status.get('state')}."
    where = f"it is {state_since(status)}"
    if execution_before is not None and status.get("execution_id") == execution_before:
        where = f"its status still shows the previous deployment ({state_since(status)})"
    return (
        f"Qovery accepted the {what}; {where}. "
        "This is not an error: get-job-status or list-job-deployments will tell the end."
    )
