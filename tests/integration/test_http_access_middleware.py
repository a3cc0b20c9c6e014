"""AccessMiddleware around any ASGI app (the REST adapter will sit behind it on /v1): what it lets through."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from qovery_job_mcp.config import DEFAULT_ALLOWED_HOSTS, DEFAULT_ALLOWED_ORIGINS
from qovery_job_mcp.web.access import AccessMiddleware, AccessPolicy
from qovery_job_mcp.web.credentials import caller_credential


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"path": request.url.path, "authorization": request.headers.get("authorization")})


APP = Starlette(routes=[Route("/v1/jobs/{job_id}", echo), Route("/healthz", echo), Route("/v1x", echo)])


def client(**policy: object) -> httpx.AsyncClient:
    values: dict[str, object] = {
        "protected_prefixes": ("/v1",),
        "allowed_hosts": DEFAULT_ALLOWED_HOSTS,
        "allowed_origins": DEFAULT_ALLOWED_ORIGINS,
        **policy,
    }
    app = AccessMiddleware(APP, AccessPolicy(**values))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080")


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("Token qov_abc", "Token qov_abc"),
        ("token qov_abc", "Token qov_abc"),
        ("  Bearer eyJa.b.c ", "Bearer eyJa.b.c"),
        ("BEARER eyJa.b.c", "Bearer eyJa.b.c"),
        ("Basic dXNlcg==", None),
        ("qov_abc", None),
        ("Token", None),
        ("Token a b", None),
        ("Token a\x00", None),
        (None, None),
    ],
)
def test_caller_credential(sent: str | None, expected: str | None) -> None:
    assert caller_credential(sent) == expected


async def test_per_request_protects_only_its_prefixes() -> None:
    async with client(per_request=True) as http:
        assert (await http.get("/v1/jobs/1")).status_code == 401
        ok = await http.get("/v1/jobs/1", headers={"Authorization": "Token qov_x"})
        assert ok.json() == {"path": "/v1/jobs/1", "authorization": "Token qov_x"}
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/v1x")).status_code == 200  # a prefix is a path segment, not a string prefix


async def test_shared_token() -> None:
    async with client(shared_token="s3cret-value") as http:
        refused = await http.get("/v1/jobs/1", headers={"Authorization": "Bearer s3cret-valu"})
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert (
            await http.get("/v1/jobs/1", headers={"Authorization": "Bearer s3cret-value"})
        ).status_code == 200
        assert (
            await http.get("/v1/jobs/1", headers={"Authorization": "bearer s3cret-value"})
        ).status_code == 200


async def test_host_and_origin_checks_come_first() -> None:
    async with client(per_request=True) as http:
        assert (await http.get("/v1/jobs/1", headers={"Host": "attacker.example"})).status_code == 421
        response = await http.get("/v1/jobs/1", headers={"Origin": "https://attacker.example"})
        assert response.status_code == 403
        assert "QOVERY_MCP_ALLOWED_ORIGINS" in response.json()["detail"]


async def test_duplicate_authorization_is_refused() -> None:
    async with client(per_request=True) as http:
        headers = [("Authorization", "Token qov_a"), ("Authorization", "Token qov_b")]
        assert (await http.get("/v1/jobs/1", headers=headers)).status_code == 401
