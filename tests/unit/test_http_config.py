"""Start-up rules for HTTP deployment: who may start how, and refused starts in one line with exit 2."""

from __future__ import annotations

import pytest

from qovery_job_mcp.config import (
    DEFAULT_ALLOWED_HOSTS,
    DEFAULT_ALLOWED_ORIGINS,
    ConfigError,
    is_loopback_host,
    load_settings,
)
from tests.support.constants import API_KEY

KEY = {"QOVERY_API_KEY": API_KEY}


def test_stdio_still_needs_a_key() -> None:
    with pytest.raises(ConfigError, match="QOVERY_API_KEY is not set"):
        load_settings([], env={})


@pytest.mark.parametrize("transport", ["http", "rest"])
def test_http_without_a_key_means_per_request_credentials(transport: str) -> None:
    settings = load_settings(["--transport", transport], env={})
    assert settings.api_key is None
    assert settings.credentials_mode == "per-request"


def test_server_key_mode() -> None:
    settings = load_settings(["--transport", "http"], env=KEY)
    assert settings.credentials_mode == "server"
    assert settings.auth_token is None


def test_per_request_and_auth_token_do_not_mix() -> None:
    with pytest.raises(ConfigError, match="QOVERY_MCP_AUTH_TOKEN is set but QOVERY_API_KEY is not"):
        load_settings(["--transport", "http"], env={"QOVERY_MCP_AUTH_TOKEN": "s3cret"})
    with pytest.raises(ConfigError, match="nothing to guard"):
        load_settings(["--transport", "http", "--auth-token", "s3cret"], env={})


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "mcp.internal"])
def test_non_loopback_with_server_key_and_no_token_is_refused(host: str) -> None:
    with pytest.raises(ConfigError, match="anyone who can reach it would use your Qovery key"):
        load_settings(["--transport", "http", "--host", host], env=KEY)


def test_non_loopback_is_allowed_with_a_token_or_explicit_opt_out_or_per_request() -> None:
    args = ["--transport", "http", "--host", "0.0.0.0"]
    assert load_settings(args, env={**KEY, "QOVERY_MCP_AUTH_TOKEN": "t0ken"}).auth_token == "t0ken"
    assert load_settings([*args, "--allow-unauthenticated"], env=KEY).allow_unauthenticated
    assert load_settings(args, env={"QOVERY_MCP_ALLOW_UNAUTHENTICATED": "1", **KEY}).allow_unauthenticated
    assert load_settings(args, env={}).credentials_mode == "per-request"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)
    load_settings(["--transport", "http", "--host", host], env=KEY)


def test_allowed_hosts_and_origins_extend_the_loopback_defaults() -> None:
    settings = load_settings(
        ["--transport", "http", "--allowed-hosts", "mcp.example.com, mcp.example.com:*"],
        env={**KEY, "QOVERY_MCP_ALLOWED_ORIGINS": "https://app.example.com"},
    )
    assert settings.allowed_hosts == (*DEFAULT_ALLOWED_HOSTS, "mcp.example.com", "mcp.example.com:*")
    assert settings.allowed_origins == (*DEFAULT_ALLOWED_ORIGINS, "https://app.example.com")
    assert "localhost:*" in settings.allowed_hosts
    assert "https://[::1]:*" in settings.allowed_origins


@pytest.mark.parametrize("value", ["http://x.com", "x.com:port", "x.com:99999999", "a b"])
def test_bad_allowed_host_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match=r"--allowed-hosts: .* is not valid: use name"):
        load_settings(["--transport", "http", "--allowed-hosts", value], env=KEY)


@pytest.mark.parametrize("value", ["app.example.com", "ftp://x.com", "https://x.com/path"])
def test_bad_allowed_origin_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match=r"--allowed-origins: .* is not valid: use scheme"):
        load_settings(["--transport", "http", "--allowed-origins", value], env=KEY)


def test_scaling_flags_from_env_and_flags() -> None:
    env = {
        **KEY,
        "QOVERY_MCP_STATELESS": "1",
        "QOVERY_MCP_JSON_RESPONSE": "true",
        "QOVERY_MCP_READ_ONLY": "1",
    }
    settings = load_settings(["--transport", "http"], env=env)
    assert (settings.stateless, settings.json_response, settings.read_only) == (True, True, True)
    settings = load_settings(["--transport", "http", "--stateless", "--json-response"], env=KEY)
    assert (settings.stateless, settings.json_response, settings.read_only) == (True, True, False)


def test_auth_token_never_in_repr() -> None:
    settings = load_settings(["--transport", "http"], env={**KEY, "QOVERY_MCP_AUTH_TOKEN": "hunter2-token"})
    assert "hunter2-token" not in repr(settings)
    assert API_KEY not in repr(settings)
