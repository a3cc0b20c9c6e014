"""Property-based run of the REST adapter from its own OpenAPI document (schemathesis).

The app is served on a loopback port, backed by the simulated Qovery API on another one. Every
check schemathesis has runs (no 5xx, statuses, content types and bodies as declared, invalid input
refused, 405 for undeclared methods) except `positive_data_acceptance`: a schema-valid JobRequest
can still be refused with 400 for reasons a schema cannot state (a cron schedule on a LIFECYCLE
job, a source with both kinds), which is exactly the validation-before-PUT the adapter promises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.testclient import TestClient

from qovery_job_mcp.operations import JobOperations
from qovery_job_mcp.web.rest.app import build_rest_app
from tests.support.clients import FakeTime, make_qovery_client, make_settings
from tests.support.loopback import serve_on_loopback
from tests.support.simulator import simulated_qovery

MAX_EXAMPLES = 12


@contextmanager
def _serve(**overrides: Any) -> Iterator[str]:
    with simulated_qovery(jwts=()) as qovery:
        config = make_settings(qovery.url, **overrides)
        app = build_rest_app(config, JobOperations(make_qovery_client(config, FakeTime())))
        with serve_on_loopback(app, lifespan="on") as url:
            yield url


@pytest.fixture(scope="module")
def rest_url() -> Iterator[str]:
    with _serve() as url:
        yield url


@pytest.fixture(scope="module")
def read_only_url() -> Iterator[str]:
    with _serve(read_only=True) as url:
        yield url


def _served_document(**overrides: Any) -> dict[str, Any]:
    """The document the app serves at /openapi.json (read in process: parametrize needs it at import)."""
    config = make_settings("http://127.0.0.1:9", **overrides)
    app = build_rest_app(config, JobOperations(make_qovery_client(config, FakeTime())))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document


# schemathesis.pytest.from_fixture would load it from the live server, but it breaks on pytest 9
# (it rewrites `request.node._nodeid`, which pytest 9 removed); a test checks the live one is the same.
DOCUMENT = _served_document()
READ_ONLY_DOCUMENT = _served_document(read_only=True)
schema = schemathesis.openapi.from_dict(DOCUMENT)
read_only_schema = schemathesis.openapi.from_dict(READ_ONLY_DOCUMENT)
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


@schema.parametrize()
@BOUNDED
def test_rest_surface_honours_its_openapi_document(case: schemathesis.Case[Any], rest_url: str) -> None:
    case.call_and_validate(base_url=rest_url, excluded_checks=[positive_data_acceptance], timeout=10)


@read_only_schema.parametrize()
@BOUNDED
def test_read_only_surface_honours_its_openapi_document(
    case: schemathesis.Case[Any], read_only_url: str
) -> None:
    """Its document has no write operation: the coverage phase sends PUT/PATCH/DELETE and expects 405 + Allow."""
    case.call_and_validate(base_url=read_only_url, excluded_checks=[positive_data_acceptance], timeout=10)


def test_the_fuzzed_documents_are_the_served_ones(rest_url: str, read_only_url: str) -> None:
    assert httpx.get(f"{rest_url}/openapi.json", timeout=10).json() == DOCUMENT
    assert httpx.get(f"{read_only_url}/openapi.json", timeout=10).json() == READ_ONLY_DOCUMENT
    assert "put" not in READ_ONLY_DOCUMENT["paths"]["/v1/job/{jobid}"]
