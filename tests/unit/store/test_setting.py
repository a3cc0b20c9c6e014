"""The `--state-store` value is read strictly, and a Redis URL is never shown with its password."""

from __future__ import annotations

import pytest

from qovery_job_mcp.config.store_setting import parse_state_store, safe_url


@pytest.mark.parametrize("raw", ["memory", "MEMORY", " memory ", ""])
def test_memory_is_the_in_process_store(raw: str) -> None:
    setting = parse_state_store(raw)
    assert setting.kind == "memory"
    assert setting.url is None
    assert setting.target == "memory"


@pytest.mark.parametrize(
    ("raw", "target"),
    [
        ("redis://redis:6379/0", "redis://redis:6379/0"),
        ("redis://localhost", "redis://localhost"),
        (
            "rediss://default:hunter2-secret@cache.example.com:6380/2",
            "rediss://default:***@cache.example.com:6380/2",
        ),
        ("redis://:hunter2-secret@10.0.0.5:6379", "redis://:***@10.0.0.5:6379"),
        ("redis://[::1]:6379/0", "redis://[::1]:6379/0"),
    ],
)
def test_a_redis_url_is_accepted_and_shown_without_its_password(raw: str, target: str) -> None:
    setting = parse_state_store(raw)
    assert setting.kind == "redis"
    assert setting.url == raw
    assert setting.target == target
    assert "hunter2" not in repr(setting)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("http://redis:6379", "must be 'memory' or a redis:// or rediss:// URL"),
        ("redis", "must be 'memory' or a redis:// or rediss:// URL"),
        ("memcached://x", "must be 'memory' or a redis:// or rediss:// URL"),
        ("unix:///run/redis.sock", "must be 'memory' or a redis:// or rediss:// URL"),
        ("redis://:6379/0", "it names no host"),
        ("redis://redis:notaport/0", "its port is not a number"),
        ("redis://redis:99999/0", "its port is not a number"),
        ("redis://redis:0/0", "its port is not a number"),
        ("redis://redis:6379/cache", "the path must be a database number"),
    ],
)
def test_anything_else_is_one_line_that_names_the_setting(raw: str, why: str) -> None:
    with pytest.raises(ValueError, match="QOVERY_MCP_STATE_STORE") as refused:
        parse_state_store(raw)
    assert why in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_refusal_never_quotes_a_password() -> None:
    with pytest.raises(ValueError, match="must be") as refused:
        parse_state_store("https://admin:hunter2-secret@redis:6379", name="--state-store")
    assert "hunter2" not in str(refused.value)
    assert "'https://admin:***@redis:6379'" in str(refused.value)
    assert str(refused.value).startswith("--state-store must be")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://hunter2-secret@redis:6379", "redis://***@redis:6379"),
        ("redis://redis:6379/0?password=hunter2-secret", "redis://redis:6379/0"),
        ("redis://u:p@ss:hunter2@redis:6379", "redis://u:***@redis:6379"),
        ("redis://@redis:6379", "redis://@redis:6379"),
        ("redis://redis:6379/0#frag", "redis://redis:6379/0"),
    ],
)
def test_safe_url_hides_every_place_a_password_can_be(url: str, shown: str) -> None:
    assert safe_url(url) == shown
