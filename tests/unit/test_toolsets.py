"""--toolsets / QOVERY_MCP_TOOLSETS: a strict comma list, and the tools each choice offers."""

from __future__ import annotations

import pytest

from qovery_job_mcp.catalog import refusals_for
from qovery_job_mcp.config import ConfigError, load_settings

FIVE = ("get-job-id", "edit-job", "delete-job", "list-last-job-commits", "get-job-status")
FOUR = ("deploy-job", "stop-job", "list-job-deployments", "get-job-logs")


@pytest.mark.parametrize(
    ("argv", "env", "offered"),
    [
        (["--demo"], {}, FIVE),
        (["--demo", "--toolsets", "jobs,deploy"], {}, FIVE + FOUR),
        (["--demo"], {"QOVERY_MCP_TOOLSETS": " Deploy , jobs,deploy"}, FIVE + FOUR),
        (["--demo", "--toolsets", "deploy"], {"QOVERY_MCP_TOOLSETS": "jobs"}, FOUR),
        (["--demo", "--toolsets", "deploy", "--read-only"], {}, FOUR[2:]),
    ],
)
def test_toolsets_choose_the_tools(argv: list[str], env: dict[str, str], offered: tuple[str, ...]) -> None:
    assert load_settings(argv, env).offered_tools == offered


@pytest.mark.parametrize("raw", ["deploi", ",", "jobs,deploys", "all"])
def test_an_unknown_or_empty_toolset_stops_the_start_in_one_line(raw: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(["--demo", "--toolsets", raw], {})
    assert str(refused.value).startswith("--toolsets must be a comma list of jobs, deploy;")
    assert "\n" not in str(refused.value)


def test_a_tool_of_a_toolset_that_is_off_is_refused_in_words() -> None:
    refusals = refusals_for(FIVE, read_only=False, toolsets=("jobs",))
    assert "deploy toolset" in refusals["deploy-job"]
    assert "--toolsets jobs,deploy" in refusals["get-job-logs"]
