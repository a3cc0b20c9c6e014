"""The answer models of the deploy toolset: unknown fields pass through, a malformed answer is a clear error."""

from __future__ import annotations

from typing import Any

import pytest

from qovery_job_mcp.qovery.deployments import DeploymentHistoryPage, EnvironmentLogList
from qovery_job_mcp.qovery.errors import UnexpectedAnswerError
from qovery_job_mcp.qovery.models import parse_answer

ENTRY: dict[str, Any] = {
    "identifier": {"name": "nightly-report", "service_id": "s", "service_type": "JOB", "execution_id": "e1"},
    "status": "DEPLOYED",
    "auditing_data": {
        "created_at": "2026-12-01T10:00:00Z",
        "updated_at": "2026-12-01T10:00:06Z",
        "triggered_by": "x",
    },
    "details": {"image_name": "acme/reporter", "tag": "1.9.0", "job_type": "CRON"},
    "status_details": {"action": "DEPLOY", "status": "SUCCESS", "sub_action": "NONE"},
    "icon_uri": "app://qovery-console/cron-job",
}
LINE: dict[str, Any] = {
    "type": "error",
    "timestamp": "2026-12-01T10:00:05Z",
    "details": {"execution_id": "e1", "transmitter": {"type": "Job", "id": "s", "name": "nightly-report"}},
    "error": {"user_log_message": "it broke"},
    "message": None,
}


def test_unknown_fields_and_values_pass_through() -> None:
    entry = {**ENTRY, "status": "A_STATE_QOVERY_ADDS_LATER", "new_field": {"kept": True}}
    page = parse_answer(
        DeploymentHistoryPage, {"page": 1, "page_size": 20, "results": [entry], "next": None}, "history"
    )
    dumped = page.model_dump()
    assert dumped["next"] is None
    assert dumped["results"][0]["new_field"] == {"kept": True}
    assert dumped["results"][0]["status"] == "A_STATE_QOVERY_ADDS_LATER"
    lines = parse_answer(EnvironmentLogList, [{**LINE, "level_added_later": "WARN"}], "logs")
    assert lines.model_dump()[0]["level_added_later"] == "WARN"


@pytest.mark.parametrize(
    ("model", "payload", "where"),
    [
        (
            DeploymentHistoryPage,
            {"page": 1, "page_size": 20, "results": [{**ENTRY, "identifier": None}]},
            "results.0.identifier",
        ),
        (DeploymentHistoryPage, {"results": []}, "page"),
        (EnvironmentLogList, [{**LINE, "timestamp": None}], "0.timestamp"),
        (EnvironmentLogList, {"lines": []}, "body"),
    ],
)
def test_a_malformed_answer_is_a_clear_error(model: Any, payload: Any, where: str) -> None:
    with pytest.raises(UnexpectedAnswerError) as error:
        parse_answer(model, payload, "answer")
    assert "not in the documented shape" in error.value.message
    assert where in error.value.message
