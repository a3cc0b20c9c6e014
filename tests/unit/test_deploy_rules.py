"""The deploy toolset's pure rules, table by table: arguments, outcome, backoff, rollback, sentences."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import qovery_job_mcp.operations.deploy_rules as rules
from qovery_job_mcp.qovery.errors import InvalidInputError
from qovery_job_mcp.simulation.data import CLEANUP_JOB_ID, MIGRATIONS_JOB_ID, NIGHTLY_JOB_ID, demo_jobs

JOBS = demo_jobs()
NIGHTLY = JOBS[NIGHTLY_JOB_ID]  # CRON, image acme/reporter:1.8.2
MIGRATIONS = JOBS[MIGRATIONS_JOB_ID]  # LIFECYCLE, git, on_start only
CLEANUP = JOBS[CLEANUP_JOB_ID]  # CRON, git
SHA = "b3d5f7a9c1e3052749618a0c2e4f6a8b0d2f4a6c"


def lifecycle_with(*keys: str) -> dict[str, Any]:
    job = copy.deepcopy(MIGRATIONS)
    job["schedule"] = {key: {"arguments": []} for key in keys}
    return job


@pytest.mark.parametrize(
    ("job", "arguments", "action", "body", "params"),
    [
        (NIGHTLY, {"image_tag": "1.9.0"}, "deploy", {"image_tag": "1.9.0"}, None),
        (NIGHTLY, {}, "redeploy", None, None),
        (NIGHTLY, {"force_event": "CRON"}, "redeploy", None, {"forceEvent": "CRON"}),
        (
            NIGHTLY,
            {"image_tag": "1.9.0", "force_event": "CRON"},
            "deploy",
            {"image_tag": "1.9.0"},
            {"forceEvent": "CRON"},
        ),
        (MIGRATIONS, {"git_commit_id": SHA}, "deploy", {"git_commit_id": SHA}, None),
        (MIGRATIONS, {"git_commit_id": SHA.upper()}, "deploy", {"git_commit_id": SHA}, None),
        (MIGRATIONS, {"force_event": "START"}, "redeploy", None, {"forceEvent": "START"}),
        (
            lifecycle_with("on_start", "on_delete"),
            {"force_event": "DELETE"},
            "redeploy",
            None,
            {"forceEvent": "DELETE"},
        ),
        (
            CLEANUP,
            {"git_commit_id": SHA, "force_event": "CRON"},
            "deploy",
            {"git_commit_id": SHA},
            {"forceEvent": "CRON"},
        ),
    ],
)
def test_accepted_deploy_arguments(
    job: dict[str, Any], arguments: dict[str, Any], action: str, body: Any, params: Any
) -> None:
    call = rules.check_deploy_arguments(job, **arguments)
    assert (call.action, call.body, call.params) == (action, body, params)


@pytest.mark.parametrize(
    ("job", "arguments", "says"),
    [
        (NIGHTLY, {"git_commit_id": SHA}, "runs a container image: deploy a tag with image_tag"),
        (
            MIGRATIONS,
            {"image_tag": "1.9.0"},
            "built from a git repository: deploy a commit with git_commit_id",
        ),
        (NIGHTLY, {"image_tag": "1.9.0", "git_commit_id": SHA}, "not both"),
        (MIGRATIONS, {"git_commit_id": SHA[:7]}, "full 40-character commit SHA"),
        (MIGRATIONS, {"git_commit_id": "main"}, "full 40-character commit SHA"),
        (NIGHTLY, {"image_tag": ""}, "must be an image tag"),
        (NIGHTLY, {"image_tag": 190}, "must be an image tag"),
        (NIGHTLY, {"force_event": "START"}, "has no START event (it has CRON)"),
        (NIGHTLY, {"force_event": "cron"}, "must be one of START, STOP, DELETE, CRON"),
        (MIGRATIONS, {"force_event": "CRON"}, "has no CRON event (it has START)"),
        (MIGRATIONS, {"force_event": "STOP"}, "has no STOP event"),
        (lifecycle_with(), {"force_event": "START"}, "it defines no event"),
    ],
)
def test_refused_deploy_arguments(job: dict[str, Any], arguments: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        rules.check_deploy_arguments(job, **arguments)
    assert says in refused.value.message
    assert refused.value.message.endswith("Nothing was sent.")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 0),
        (0, 0),
        (900, 900),
        (60, 60),
        (901, None),
        (-1, None),
        (True, None),
        (1.5, None),
        ("60", None),
    ],
)
def test_wait_seconds(value: Any, expected: int | None) -> None:
    if expected is None:
        with pytest.raises(InvalidInputError):
            rules.check_whole_number("wait_seconds", value, 0, rules.MAX_WAIT_SECONDS, 0)
    else:
        assert rules.check_whole_number("wait_seconds", value, 0, rules.MAX_WAIT_SECONDS, 0) == expected


def status(state: str, action_status: str = "ONGOING", request_id: str | None = "r1") -> dict[str, Any]:
    return {
        "state": state,
        "status_details": {"action": "DEPLOY", "status": action_status, "sub_action": "NONE"},
        "deployment_request_id": request_id,
    }


@pytest.mark.parametrize(
    ("seen", "executing", "expected"),
    [
        (status("DEPLOYMENT_QUEUED", "QUEUED"), False, "still-running"),
        (status("DEPLOYING"), False, "still-running"),
        (status("BUILDING"), False, "still-running"),
        (status("DEPLOYED", "SUCCESS"), False, "succeeded"),
        (status("STOPPED", "SUCCESS"), False, "succeeded"),
        (status("DEPLOYMENT_ERROR", "ERROR"), False, "failed"),
        (status("BUILD_ERROR", "ERROR"), False, "failed"),
        (status("STOP_ERROR", "ERROR"), False, "failed"),
        (status("CANCELED", "CANCELED"), False, "failed"),
        (status("DEPLOYED", "ERROR"), False, "failed"),
        (status("EXECUTING", "EXECUTING"), True, "still-running"),
        (status("READY", "SUCCESS"), True, "succeeded"),
        (status("READY", "ERROR"), True, "failed"),
        (status("READY", "SUCCESS"), False, "still-running"),
        (status("DEPLOYED", "SUCCESS", request_id="an-older-one"), False, "still-running"),
        (status("DEPLOYED", "SUCCESS", request_id=None), False, "succeeded"),
    ],
)
def test_outcome(seen: dict[str, Any], executing: bool, expected: str) -> None:
    assert rules.outcome_of(seen, seen_executing=executing, request_id="r1") == expected


def test_a_status_still_naming_the_execution_before_the_write_is_not_its_end() -> None:
    stale = {"state": "DEPLOYMENT_ERROR", "deployment_request_id": None, "execution_id": "e57"}
    assert rules.outcome_of(stale, seen_executing=False, execution_before="e57") == "still-running"
    assert rules.outcome_of(
        {**stale, "execution_id": "e58"}, seen_executing=False, execution_before="e57"
    ) == ("failed")


@pytest.mark.parametrize(
    ("previous", "retry_after", "remaining", "expected"),
    [
        (None, None, 60, 2),
        (2, None, 60, 4),
        (4, None, 60, 8),
        (8, None, 60, 15),
        (15, None, 60, 15),
        (None, 10, 60, 10),
        (8, 30, 60, 30),
        (8, 1, 60, 15),
        (15, None, 3, 3),
        (None, 120, 20, 20),
        (None, None, 0, 0),
    ],
)
def test_next_poll_delay(
    previous: float | None, retry_after: float | None, remaining: float, expected: float
) -> None:
    assert rules.next_poll_delay(previous, retry_after=retry_after, remaining=remaining) == expected


@pytest.mark.parametrize(
    ("wait", "times"),
    [
        (0, []),
        (1, [1]),
        (3, [2, 3]),
        (60, [2, 6, 14, 29, 44, 59, 60]),
        (900, [2, 6, 14, *range(29, 900, 15), 900]),
    ],
)
def test_poll_times(wait: int, times: list[float]) -> None:
    assert rules.poll_times(wait) == times


def entry(
    state: str, *, tag: str = "", commit: str = "", execution_id: str = "e", when: str = ""
) -> dict[str, Any]:
    action_status = {"DEPLOYED": "SUCCESS", "DEPLOYING": "ONGOING"}.get(state, "ERROR")
    details: dict[str, Any] = {"tag": tag, "image_name": "acme/reporter", "job_type": "CRON"}
    if commit:
        details["commit"] = {"git_commit_id": commit}
    return {
        "identifier": {"execution_id": execution_id},
        "status": state,
        "status_details": {"action": "DEPLOY", "status": action_status, "sub_action": "NONE"},
        "details": details,
        "auditing_data": {"created_at": when},
    }


HISTORY = [  # newest first, as Qovery answers
    entry("DEPLOYMENT_ERROR", tag="1.9.0-broken", execution_id="e4"),
    entry("DEPLOYED", tag="1.8.2", execution_id="e3", when="2026-11-26T10:21:00Z"),
    entry("DEPLOYMENT_ERROR", tag="1.9.0-rc1", execution_id="e2"),
    entry("DEPLOYED", tag="1.8.1", execution_id="e1"),
]


@pytest.mark.parametrize(
    ("history", "after", "expected"),
    [
        (HISTORY, None, {"image_tag": "1.8.2", "execution_id": "e3", "deployed_at": "2026-11-26T10:21:00Z"}),
        (HISTORY, "e4", {"image_tag": "1.8.2", "execution_id": "e3", "deployed_at": "2026-11-26T10:21:00Z"}),
        (HISTORY, "e3", {"image_tag": "1.8.1", "execution_id": "e1", "deployed_at": ""}),
        (HISTORY, "e1", None),
        (HISTORY[:1], None, None),
        ([], None, None),
    ],
)
def test_previous_version(
    history: list[dict[str, Any]], after: str | None, expected: dict[str, str] | None
) -> None:
    assert rules.previous_version(history, "image", after_execution_id=after) == expected


def test_previous_commit_and_rollback_of_a_git_job() -> None:
    history = [
        entry("DEPLOYING", commit="c" * 40, execution_id="e2"),
        entry("DEPLOYED", commit=SHA, execution_id="e1"),
    ]
    previous = rules.previous_version(history, "git")
    assert previous is not None
    assert previous["git_commit_id"] == SHA
    assert rules.rollback_arguments("job", previous) == {"job_id": "job", "git_commit_id": SHA}
    assert rules.rollback_arguments("job", None) is None


@pytest.mark.parametrize(
    ("job", "arguments", "previous", "question"),
    [
        (
            NIGHTLY,
            {"image_tag": "1.9.0"},
            {"image_tag": "1.8.2"},
            "Deploy image tag 1.9.0 of job 'nightly-report' (CRON), replacing 1.8.2",
        ),
        (
            NIGHTLY,
            {"image_tag": "1.9.0"},
            None,
            "Deploy image tag 1.9.0 of job 'nightly-report' (CRON), replacing 1.8.2",
        ),
        (
            NIGHTLY,
            {"image_tag": "1.8.2"},
            {"image_tag": "1.8.2"},
            "Deploy image tag 1.8.2 of job 'nightly-report' (CRON)",
        ),
        (
            NIGHTLY,
            {"force_event": "CRON"},
            None,
            "Redeploy job 'nightly-report' (CRON) at image tag 1.8.2, and run it now (force event CRON)",
        ),
        (
            MIGRATIONS,
            {"git_commit_id": SHA},
            {"git_commit_id": "5e1a9c3f7b2d4e6a8c0f1b3d5e7a9c2b4d6f8a0e"},
            "Deploy commit b3d5f7a9c1e3 of job 'db-migrations' (LIFECYCLE), replacing 5e1a9c3f7b2d",
        ),
        (
            MIGRATIONS,
            {"force_event": "START"},
            None,
            "Redeploy job 'db-migrations' (LIFECYCLE) at commit 5e1a9c3f7b2d, running its START event",
        ),
    ],
)
def test_deploy_question(
    job: dict[str, Any], arguments: dict[str, Any], previous: dict[str, str] | None, question: str
) -> None:
    assert rules.deploy_question(job, rules.check_deploy_arguments(job, **arguments), previous) == question


def test_stop_question() -> None:
    assert rules.stop_question(NIGHTLY) == "Stop job 'nightly-report' (CRON)"


@pytest.mark.parametrize(
    ("seen", "since", "sentence"),
    [
        (
            {"state": "DEPLOYMENT_QUEUED", "last_deployment_date": "2026-12-01T10:02:41.000Z"},
            None,
            "Qovery may have accepted the deploy; the status shows DEPLOYMENT_QUEUED since 10:02. Nothing was sent again",
        ),
        ({"state": "DEPLOYED"}, "2026-12-01T09:40:00Z", "the status shows DEPLOYED since 09:40."),
        ({"state": "DEPLOYED"}, None, "the status shows DEPLOYED. Nothing"),
        (None, None, "Qovery may have accepted the deploy; the status could not be read either."),
    ],
)
def test_lost_answer_sentence(seen: dict[str, Any] | None, since: str | None, sentence: str) -> None:
    assert sentence in rules.lost_answer_sentence("deploy", seen, since)


@pytest.mark.parametrize(
    ("seen", "running"),
    [
        (
            {
                "state": "DEPLOYING",
                "status_details": {"action": "DEPLOY"},
                "last_deployment_date": "2026-12-01T10:02:00Z",
            },
            "a DEPLOY (DEPLOYING since 10:02) is running on it",
        ),
        ({"state": "STOPPING", "status_details": {"action": "STOP"}}, "a STOP (STOPPING) is running"),
        ({"state": "DELETING", "status_details": {"action": "UNKNOWN"}}, "DELETING is running"),
        (None, "another operation is running"),
    ],
)
def test_conflict_sentence(seen: dict[str, Any] | None, running: str) -> None:
    sentence = rules.conflict_sentence("deploy", NIGHTLY, seen)
    assert sentence.startswith("Qovery refused the deploy of job 'nightly-report': ")
    assert running in sentence
    assert "Nothing more was sent" in sentence


@pytest.mark.parametrize(
    ("job", "events"),
    [
        (NIGHTLY, ("CRON",)),
        (MIGRATIONS, ("START",)),
        (lifecycle_with("on_start", "on_stop", "on_delete"), ("START", "STOP", "DELETE")),
        (lifecycle_with(), ()),
    ],
)
def test_job_events(job: dict[str, Any], events: tuple[str, ...]) -> None:
    assert rules.job_events(job) == events


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (None, True),
        ("d4a2f9c6-1e8b-4c7d-b3a5-7f9e2c4a6b18-57-1764464412", True),
        ("", False),
        ("../x", False),
        ("a/b", False),
        ("x" * 201, False),
        (57, False),
    ],
)
def test_execution_id(value: Any, accepted: bool) -> None:
    if accepted:
        assert rules.check_execution_id(value) == value
    else:
        with pytest.raises(InvalidInputError):
            rules.check_execution_id(value)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, False), (True, True), (False, False), ("true", None), (1, None)]
)
def test_flag(value: Any, expected: bool | None) -> None:
    if expected is None:
        with pytest.raises(InvalidInputError):
            rules.check_flag("errors_only", value)
    else:
        assert rules.check_flag("errors_only", value) is expected
