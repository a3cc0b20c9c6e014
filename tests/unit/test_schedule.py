"""Cron rules and the next-runs preview, with fixed cases across daylight-saving changes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from qovery_job_mcp.qovery.errors import InvalidInputError
from qovery_job_mcp.qovery.schedule import check_cron, check_timezone, next_runs


def test_paris_spring_forward_runs_after_the_gap() -> None:
    # 2027-03-28: clocks go from 02:00 to 03:00 in Europe/Paris; 02:30 does not exist that night.
    runs = next_runs("30 2 * * *", "Europe/Paris", 3, datetime(2027, 3, 26, 12, tzinfo=timezone.utc))
    assert runs == ["2027-03-27T02:30:00+01:00", "2027-03-28T03:00:00+02:00", "2027-03-29T02:30:00+02:00"]


def test_paris_fall_back_keeps_the_wall_clock() -> None:
    runs = next_runs("0 3 * * *", "Europe/Paris", 3, datetime(2027, 10, 30, 12, tzinfo=timezone.utc))
    assert runs == ["2027-10-31T03:00:00+01:00", "2027-11-01T03:00:00+01:00", "2027-11-02T03:00:00+01:00"]


def test_montreal_fall_back_runs_the_repeated_hour_once() -> None:
    # 2027-11-07: 01:30 happens twice in America/Montreal; the job runs once.
    runs = next_runs("30 1 * * *", "America/Montreal", 3, datetime(2027, 11, 5, 12, tzinfo=timezone.utc))
    assert runs == ["2027-11-06T01:30:00-04:00", "2027-11-07T01:30:00-04:00", "2027-11-08T01:30:00-05:00"]


def test_montreal_spring_forward() -> None:
    runs = next_runs("0 12 * * *", "America/Montreal", 2, datetime(2027, 3, 13, 0, tzinfo=timezone.utc))
    assert runs == ["2027-03-13T12:00:00-05:00", "2027-03-14T12:00:00-04:00"]


def test_no_timezone_is_utc() -> None:
    assert next_runs("0 0 * * *", None, 1, datetime(2027, 1, 1, 12, tzinfo=timezone.utc)) == [
        "2027-01-02T00:00:00+00:00"
    ]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("99 99 * * *", "minute field '99' is out of range"),
        ("0 24 * * *", "hour field '24' is out of range"),
        ("0 3 * * * *", "exactly 5 fields"),
        ("every day", "exactly 5 fields"),
        (42, "5-field cron expression"),
    ],
)
def test_bad_expressions_are_named(expression: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        check_cron(expression)


def test_macros_and_good_expressions_pass() -> None:
    for expression in ("@daily", "*/15 * * * 1-5", "0 3 1,15 * *"):
        assert check_cron(expression) == expression


def test_timezones() -> None:
    assert check_timezone("Europe/Paris") == "Europe/Paris"
    with pytest.raises(InvalidInputError, match="IANA timezone"):
        check_timezone("Mars/Olympus")
    with pytest.raises(InvalidInputError, match="Did you mean 'Europe/Paris'"):
        check_timezone("Europe/Pari")
