"""Working days in Kalimantan Timur: weekends and Indonesian national holidays are off."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from casework.clock import WITA


@lru_cache(maxsize=64)
def _national_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("ID", years=year).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an Indonesian national holiday or collective leave day."""
    return day.weekday() < 5 and day not in _national_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def end_of_day_wita(day: date) -> datetime:
    """The last second of ``day`` in WITA, as an aware datetime (stored as UTC)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=WITA)
