"""The working calendar of Kalimantan Timur, as one object the engine and the sweep share.

Weekends, Indonesian national holidays and collective leave (``holidays``' "government"
category holds the cuti bersama days) and the admin's extra days off are not working days.
A ``WorkCalendar`` is loaded once per unit of work (``calendar_for``) and cached in
``session.info`` so ``advance`` runs no extra query per transition; writes to the calendar
tables drop the cache of that session.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import holidays
from sqlalchemy import event, null, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import CompoundSelect

from casework.clock import WITA
from casework.models.calendar import DayOff, SlaOverride

_CACHE_KEY = "berdaya.calendar"


@lru_cache(maxsize=64)
def national_days_off(year: int) -> frozenset[date]:
    """National holidays and collective leave days (cuti bersama) of ``year``."""
    found = holidays.country_holidays("ID", years=year, categories=("public", "government"))
    return frozenset(found.keys())


@dataclass(frozen=True)
class WorkCalendar:
    """Working days plus the SLA overrides per (program id, state)."""

    extra_days_off: frozenset[date] = frozenset()
    sla_overrides: dict[tuple[int, str], int] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        return (
            day.weekday() < 5
            and day not in national_days_off(day.year)
            and day not in self.extra_days_off
        )

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
        return self._walk(start, days, 1)

    def subtract_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days before ``start`` (``start`` itself not counted)."""
        return self._walk(start, days, -1)

    def _walk(self, start: date, days: int, step: int) -> date:
        if days < 0:
            raise ValueError("days must not be negative")
        current, remaining = start, days
        while remaining:
            current += timedelta(days=step)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        days, current = 0, start
        while current < end:
            current += timedelta(days=1)
            days += self.is_working_day(current)
        return days

    def sla_days(self, program_id: int, state: str, default: int | None) -> int | None:
        """The program's override for ``state``, else the definition's ``default``."""
        return self.sla_overrides.get((program_id, state), default)


def end_of_day_wita(day: date) -> datetime:
    """The last second of ``day`` in WITA, as an aware datetime (stored as UTC)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=WITA)


# The extra days off and the SLA overrides in one statement (one round trip per unit of
# work that moves a case): a day off is a row with a day and no program.
_CALENDAR: CompoundSelect[Any] = union_all(
    select(DayOff.day, null(), null(), null()),
    select(null(), SlaOverride.program_id, SlaOverride.state, SlaOverride.working_days),
)


def load_calendar(session: Session) -> WorkCalendar:
    """Read the extra days off and SLA overrides."""
    days: set[date] = set()
    overrides: dict[tuple[int, str], int] = {}
    for day, program_id, state, working_days in session.execute(_CALENDAR):
        if program_id is None:
            days.add(day)
        else:
            overrides[(program_id, state)] = working_days
    return WorkCalendar(frozenset(days), overrides)


def calendar_for(session: Session) -> WorkCalendar:
    """The calendar of this unit of work, loaded on first use and kept in ``session.info``."""
    cached = session.info.get(_CACHE_KEY)
    if cached is None:
        cached = session.info[_CACHE_KEY] = load_calendar(session)
    return cached


def forget_calendar(session: Session) -> None:
    """Drop the cached calendar (the next ``calendar_for`` reloads it)."""
    session.info.pop(_CACHE_KEY, None)


def _touches_calendar(objects: Iterable[object]) -> bool:
    return any(isinstance(o, DayOff | SlaOverride) for o in objects)


@event.listens_for(Session, "before_flush")
def _drop_cache_on_calendar_change(session: Session, _ctx: object, _instances: object) -> None:
    if _touches_calendar([*session.new, *session.dirty, *session.deleted]):
        forget_calendar(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_cache_on_rollback(session: Session, _previous: object) -> None:
    forget_calendar(session)
