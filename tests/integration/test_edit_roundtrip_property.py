"""Property: an unrelated edit of any schema-valid job round-trips losslessly.

Jobs are generated from the JobRequest schema bundled in the package (extracted from Qovery's
published OpenAPI document) by `from_schema` below, a small schema-to-strategy walk (the released
hypothesis-jsonschema 0.23 cannot generate objects with this hypothesis: "'many' object has no
attribute 'more'"): both job types, both source kinds, plus
fields this server has never heard of at every level a future Qovery could add them. The job as
Qovery would answer a GET is those settings plus the response-only fields. Changing only the
description must send exactly the job's settings with the new description: nothing dropped,
nothing reset, nothing refused because of a value the edit does not touch.
"""

from __future__ import annotations

import copy
from typing import Any

import anyio
import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from qovery_job_mcp.mcp_server.server import build_server
from qovery_job_mcp.qovery.edit import (
    RESPONSE_ONLY_FIELDS,
    job_to_request,
    plan_edit,
    published_job_request_schema,
)
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.simulator import LiveQovery

NEW_DESCRIPTION = "changed by the round-trip property"
JOB_ID = "5a0c9e1b-7d2f-4c3a-9b8e-1f2d3c4b5a69"
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
UNKNOWN_NAMES = st.from_regex(r"\Anext_month_[a-z]{1,6}\Z")


def generation_schema(node: Any, defs: dict[str, Any]) -> Any:
    """The published schema made easy to generate from: refs inlined, nulls and open objects left out.

    Nulls: the response side of Qovery writes absent values as null, which the conversion drops
    on purpose, so generating them would test that rule instead of the round trip. Unknown fields
    are added by `with_unknown_fields`, under names that cannot collide with known ones.
    """
    if isinstance(node, list):
        return [generation_schema(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return generation_schema(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o != {"type": "null"}]
        if len(options) == 1:
            return generation_schema(options[0], defs)
    if len(node.get("allOf", ())) == 1:
        merged = {**{k: v for k, v in node.items() if k != "allOf"}, **node["allOf"][0]}
        return generation_schema(merged, defs)
    simplified = {k: generation_schema(v, defs) for k, v in node.items() if k not in ("$schema", "$comment")}
    if simplified.get("type") == "object" or "properties" in simplified:
        simplified["additionalProperties"] = False
    if simplified.get("type") == "string" and "enum" not in simplified:
        simplified.setdefault("maxLength", 12)
    if simplified.get("type") == "array":
        simplified.setdefault("maxItems", 2)
    return simplified


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid against a simplified schema: types, enums, minimums, lengths, properties, required."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties: dict[str, Any] = dict(schema.get("properties", {}))
        required = set(schema.get("required", ()))
        for name in required - set(properties):
            properties[name] = {
                "type": "string",
                "maxLength": 12,
            }  # required, yet undeclared (git owner, name)
        return st.fixed_dictionaries(
            {name: from_schema(sub) for name, sub in properties.items() if name in required},
            optional={name: from_schema(sub) for name, sub in properties.items() if name not in required},
        )
    if kind == "array":
        low = schema.get("minItems", 0)
        return st.lists(
            from_schema(schema.get("items", {})), min_size=low, max_size=max(low, schema.get("maxItems", 2))
        )
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum", -(2**31)), max_value=schema.get("maximum", 2**31))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, min_value=schema.get("minimum"))
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 12))
    if "anyOf" in schema:
        return st.one_of([from_schema(option) for option in schema["anyOf"]])
    raise AssertionError(f"the generator does not know {schema!r}: teach it")


PUBLISHED = published_job_request_schema()
SETTINGS_SCHEMA = generation_schema(PUBLISHED, PUBLISHED.get("$defs", {}))
SETTINGS_SCHEMA.pop("$defs", None)


@st.composite
def with_unknown_fields(draw: st.DrawFn, settings_value: dict[str, Any]) -> dict[str, Any]:
    """Add fields this server does not know, where Qovery could add them next month."""
    job = copy.deepcopy(settings_value)
    places: list[dict[str, Any]] = [job]
    for path in (
        ("source", "image"),
        ("source", "docker"),
        ("source", "docker", "git_repository"),
        ("schedule", "cronjob"),
        ("schedule", "on_start"),
        ("schedule", "on_stop"),
        ("healthchecks",),
    ):
        node: Any = job
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            places.append(node)
    for place in places:
        for name in draw(st.lists(UNKNOWN_NAMES, max_size=2, unique=True)):
            place[name] = draw(JSON_VALUES)
    return job


@st.composite
def jobs(draw: st.DrawFn) -> dict[str, Any]:
    """A job as Qovery would answer GET /job/{id}: valid settings, unknown fields, response-only fields."""
    job_type = draw(st.sampled_from(["CRON", "LIFECYCLE"]))
    source_kind = draw(st.sampled_from(["image", "docker"]))
    generated: dict[str, Any] = draw(from_schema(SETTINGS_SCHEMA))
    source = generated.setdefault("source", {})
    source.pop("docker" if source_kind == "image" else "image", None)
    kind = source.setdefault(source_kind, {})
    # What a job of each kind has in practice (the schema leaves it optional; Qovery does not).
    if source_kind == "image":
        kind.setdefault("image_name", "acme/reporter")
        kind.setdefault("tag", "1.8.2")
    else:
        kind.setdefault(
            "git_repository",
            {
                "url": "https://github.com/acme/jobs.git",
                "owner": "acme",
                "name": "jobs",
                "provider": "GITHUB",
            },
        )
    schedule = generated.setdefault("schedule", {})
    if job_type == "CRON":
        for event in ("on_start", "on_stop", "on_delete", "lifecycle_type"):
            schedule.pop(event, None)
        schedule.setdefault("cronjob", {"scheduled_at": "0 3 * * *"})
    else:
        schedule.pop("cronjob", None)
        if not any(event in schedule for event in ("on_start", "on_stop", "on_delete")):
            schedule["on_start"] = {}
    # What a JobResponse always carries (the request leaves them optional).
    generated.setdefault("cpu", draw(st.integers(1, 4000)))
    generated.setdefault("memory", draw(st.integers(1, 8192)))
    generated.setdefault("gpu", 0)
    generated.setdefault("auto_preview", False)
    generated.setdefault("icon_uri", "app://qovery-console/job")
    job = draw(with_unknown_fields(generated))
    job.update(
        service_type="JOB",
        id=JOB_ID,
        created_at="2026-11-01T10:00:00Z",
        updated_at="2026-11-02T10:00:00Z",
        environment={"id": "e3b1c2d4-5f6a-4b7c-8d9e-0f1a2b3c4d5e"},
        maximum_cpu=4000,
        maximum_memory=8192,
        maximum_gpu=0,
        job_type=job_type,
    )
    return job


def settings_of(job: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in job.items() if k not in RESPONSE_ONLY_FIELDS}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jobs())
def test_an_unrelated_edit_round_trips_losslessly(job: dict[str, Any]) -> None:
    plan = plan_edit(job, {"description": NEW_DESCRIPTION}, replace=False)
    expected = {**settings_of(job), "description": NEW_DESCRIPTION}
    assert plan["request"] == expected
    assert job_to_request(job) == settings_of(job)
    assert [change["path"] for change in plan["changes"]] == (
        [] if job.get("description") == NEW_DESCRIPTION else ["/description"]
    )
    # Valid before, valid after: the published schema accepts what is sent (unknown fields included).
    jsonschema.Draft202012Validator(PUBLISHED).validate(plan["request"])


def test_one_generated_job_through_the_real_tool(qovery: LiveQovery, fake_time: FakeTime) -> None:
    """End to end once: the simulated API holds a generated job; edit-job sends exactly its settings back."""
    examples: list[dict[str, Any]] = []

    @settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(jobs())
    def collect(job: dict[str, Any]) -> None:
        examples.append(job)

    collect()
    config = make_settings(qovery.url)
    for job in examples:
        qovery.sim.reset(jobs={JOB_ID: copy.deepcopy(job)})

        async def edit() -> Any:
            server = build_server(config, client=make_qovery_client(config, fake_time))
            async with Client(server) as client:
                return await client.call_tool(
                    "edit-job", {"job_id": JOB_ID, "body": {"description": NEW_DESCRIPTION}}
                )

        result = anyio.run(edit)
        assert not result.is_error, result.content
        [put] = qovery.sim.requests_to("PUT")
        assert put.body == {**settings_of(job), "description": NEW_DESCRIPTION}
