"""Business days, the modified-following roll, and day counts.

A program names a calendar: an ISO 3166 country code (``DE``, ``US``, ``CN`` ...) whose
public holidays come from the `holidays` package, or ``TARGET`` for the euro area's
settlement calendar (the ECB's TARGET2 closing days). Weekends are never business days.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import holidays

from openscf.domain.errors import InvalidRequest

__all__ = [
    "DAY_COUNT_BASIS",
    "DayCount",
    "check_calendar",
    "check_day_count",
    "is_business_day",
    "modified_following",
    "year_fraction",
]

DayCount = Literal["ACT/360", "ACT/365F"]
DAY_COUNT_BASIS: dict[str, int] = {"ACT/360": 360, "ACT/365F": 365}


def check_day_count(day_count: str) -> DayCount:
    if day_count == "ACT/360":
        return "ACT/360"
    if day_count == "ACT/365F":
        return "ACT/365F"
    raise InvalidRequest(
        "invalid_day_count",
        f"day count must be ACT/360 or ACT/365F, got {day_count!r}",
        "day_count",
    )


@lru_cache(maxsize=64)
def _holidays_for(calendar: str) -> holidays.HolidayBase:
    # Years are filled in lazily by the package as dates are looked up.
    if calendar == "TARGET":
        return holidays.financial_holidays("ECB")
    return holidays.country_holidays(calendar)


def check_calendar(calendar: str) -> str:
    if calendar == "TARGET":
        return calendar
    if calendar not in holidays.list_supported_countries():
        raise InvalidRequest(
            "unknown_calendar",
            f"{calendar!r} is not a supported calendar (use an ISO 3166 country code or TARGET)",
            "calendar",
        )
    return calendar


def is_business_day(day: date, calendar: str) -> bool:
    return day.weekday() < 5 and day not in _holidays_for(calendar)


def modified_following(day: date, calendar: str) -> date:
    """Roll to the next business day, unless that crosses into the next month: then back."""
    rolled = day
    while not is_business_day(rolled, calendar):
        rolled += timedelta(days=1)
    if rolled.month == day.month:
        return rolled
    rolled = day
    while not is_business_day(rolled, calendar):
        rolled -= timedelta(days=1)
    return rolled


def year_fraction(start: date, end: date, day_count: DayCount) -> tuple[int, int]:
    """(actual days, basis) for the period; the caller multiplies exactly."""
    days = (end - start).days
    assert days >= 0, "period end before start"
    return days, DAY_COUNT_BASIS[day_count]
