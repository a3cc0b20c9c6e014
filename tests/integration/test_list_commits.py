"""list-last-job-commits through a real MCP client."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.support.constants import MIGRATIONS, NIGHTLY
from tests.support.helpers import error_text
from tests.support.simulator import LiveQovery


async def test_newest_first_with_limit(client: Client, qovery: LiveQovery) -> None:
    result = await client.call_tool("list-last-job-commits", {"job_id": MIGRATIONS, "limit": 2})
    content = result.structured_content
    expected = qovery.sim.commits[MIGRATIONS]
    assert content["results"] == expected[:2]
    assert content["total"] == len(expected) == 4
    assert content["truncated"] is True


async def test_default_limit_returns_all_when_few(client: Client, qovery: LiveQovery) -> None:
    content = (await client.call_tool("list-last-job-commits", {"job_id": MIGRATIONS})).structured_content
    assert content["truncated"] is False
    assert len(content["results"]) == 4
    assert qovery.sim.requests[-1].query == {}


async def test_query_parameters_are_qoverys(client: Client, qovery: LiveQovery) -> None:
    sha = qovery.sim.commits[MIGRATIONS][1]["git_commit_id"]
    content = (
        await client.call_tool("list-last-job-commits", {"job_id": MIGRATIONS, "start_id": sha})
    ).structured_content
    assert [c["git_commit_id"] for c in content["results"]] == [
        c["git_commit_id"] for c in qovery.sim.commits[MIGRATIONS][2:]
    ]
    assert qovery.sim.requests[-1].query == {"startId": sha}
    await client.call_tool("list-last-job-commits", {"job_id": MIGRATIONS, "git_commit_id": sha})
    assert qovery.sim.requests[-1].query == {"gitCommitId": sha}


async def test_image_job_has_no_commits(client: Client) -> None:
    content = (await client.call_tool("list-last-job-commits", {"job_id": NIGHTLY})).structured_content
    assert content == {"results": [], "total": 0, "truncated": False}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"limit": 0}, "limit must be a whole number from 1 to 100"),
        ({"limit": 101}, "limit must be a whole number from 1 to 100"),
        ({"start_id": "../../etc"}, "start_id must be a git commit SHA"),
        ({"git_commit_id": "main?x=1"}, "git_commit_id must be a git commit SHA"),
    ],
)
async def test_bad_arguments(
    client: Client, qovery: LiveQovery, args: dict[str, object], message: str
) -> None:
    text = error_text(await client.call_tool("list-last-job-commits", {"job_id": MIGRATIONS, **args}))
    assert message in text
    assert qovery.sim.requests == []
