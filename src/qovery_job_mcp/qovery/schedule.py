"""Cron schedules as Qovery runs them: a 5-field Kubernetes CronJob expression in an IANA timezone.

Used for the values an edit sets (a schedule Qovery would refuse, or silently never run, is refused
before the PUT) and for a dry run's preview of the next runs. croniter is imported on first use:
the stdio start-up never pays for it.
"""

from __future__ import annotations

import difflib
from datetime import datetime, timezone
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from qovery_job_mcp.qovery.errors import InvalidInputError, quote_input

#: The macros Kubernetes' CronJob controller accepts besides five fields.
MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
EXAMPLE = "e.g. '0 3 * * *' (03:00 every day) or '*/15 * * * 1-5' (every 15 minutes on weekdays)"


def check_cron(expression: Any) -> str:
    """The expression if Kubernetes would run it; otherwise a sentence naming the field that is wrong."""
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidInputError(
            f"schedule.cronjob.scheduled_at must be a 5-field cron expression, {EXAMPLE}; got {quote_input(expression)}."
        )
    text = expression.strip()
    if text.lower() in MACROS:
        return expression
    fields = text.split()
    if len(fields) != 5:
        raise InvalidInputError(
            f"schedule.cronjob.scheduled_at must have exactly 5 fields (minute hour day month weekday; no seconds), "
            f"{EXAMPLE}; got {len(fields)} in {quote_input(expression)}. Nothing was sent."
        )
    from croniter import croniter

    for value, (name, low, high) in zip(fields, FIELDS, strict=True):
        numbers = [int(n) for n in _numbers(value)]
        if any(not low <= n <= high for n in numbers):
            raise InvalidInputError(
                f"schedule.cronjob.scheduled_at: the {name} field {value!r} is out of range ({low}-{high}) in "
                f"{quote_input(expression)}; {EXAMPLE}. Nothing was sent."
            )
    if not croniter.is_valid(text):
        raise InvalidInputError(
            f"schedule.cronjob.scheduled_at is not a valid cron expression: {quote_input(expression)}; {EXAMPLE}. "
            "Nothing was sent."
        )
    return expression


def _numbers(field: str) -> list[str]:
    """The plain numbers in one field (ranges, lists and the part of a step before '/')."""
    numbers = []
    for part in field.split(","):
        base = part.split("/")[0]
        numbers += [piece for piece in base.split("-") if piece.isdigit()]
    return numbers


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: Any) -> str:
    """A real IANA timezone, or a sentence with the closest real name."""
    if isinstance(name, str) and name in _zones():
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    guess = difflib.get_close_matches(str(name), sorted(_zones()), n=1, cutoff=0.6)
    hint = f" Did you mean {guess[0]!r}?" if guess else ""
    raise InvalidInputError(
        f"schedule.cronjob.timezone must be an IANA timezone such as 'Europe/Paris' or 'UTC', got "
        f"{quote_input(name)}.{hint} Nothing was sent."
    )


def next_runs(
    expression: Any, timezone_name: Any = None, count: int = 5, after: datetime | None = None
) -> list[str]:
    """The next `count` runs as ISO 8601 with the job's UTC offset at each run.

    Computed in the job's timezone (UTC when none), so a daily 02:30 job follows the wall clock
    across daylight-saving changes: on the night the clocks spring forward past 02:30 the run is
    shown at the first valid instant after the gap (03:00), and on the night they fall back the
    repeated 01:30 is shown once.
    """
    from croniter import croniter

    check_cron(expression)
    zone = ZoneInfo(check_timezone(timezone_name)) if timezone_name else timezone.utc
    start = (after or datetime.now(timezone.utc)).astimezone(zone)
    runs = croniter(str(expression).strip(), start)
    found: list[datetime] = []
    while len(found) < count:
        run = runs.get_next(datetime)
        # The hour the clocks fall back happens twice; the job runs once in it, not twice.
        if not found or run.replace(tzinfo=None) != found[-1].replace(tzinfo=None):
            found.append(run)
    return [run.isoformat() for run in found]
