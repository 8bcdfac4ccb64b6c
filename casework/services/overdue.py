"""The managers' overdue dashboard: which cases are stuck where and with whom.

Every figure comes from ONE grouped scan of ``ix_cases_dashboard``, a covering index on
(kabupaten/kota, state, program, fiscal year, assignee, pokir line, due date): the rows are
grouped by those six columns with the cumulative ageing counts per group, and the few
thousand groups are added up in Python (no per-case Python). The ageing boundaries are
computed once per call as instants (e.g. the start of the day that lies 6 working days
back), so the database compares ``due_at`` with constants. The list filters the numbers
link to (casework.services.overdue's clauses) select exactly the same sets.

Ageing of an open case with a deadline, in working days of the work calendar (weekends,
national holidays, collective leave and the admin's extra days off skipped) in WITA:

- due soon: not yet overdue, due by the end of the 2nd working day from today;
- 1–5: overdue by at most 5 working days (a case due on Friday counts here on Saturday);
- 6–20 and more than 20: overdue by that many working days, i.e. its due date lies before
  the 6th (21st) most recent working day up to today.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from casework import clock
from casework.calendar import WorkCalendar, calendar_for
from casework.clock import WITA
from casework.i18n import N_
from casework.models.case import Case, CaseState
from casework.models.pokir import DprdMember, PokirLine
from casework.models.program import Program
from casework.models.region import Region
from casework.models.user import User

# States in which a case can no longer be late.
FINAL_STATES: tuple[str, ...] = (
    CaseState.CLOSED.value,
    CaseState.NON_COMPLIANT.value,
    CaseState.REJECTED.value,
    CaseState.CANCELLED.value,
)
OPEN_STATES: tuple[str, ...] = tuple(s.value for s in CaseState if s.value not in FINAL_STATES)

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])
KeyT = TypeVar("KeyT")

# The assignee filter's value for cases nobody is assigned to.
UNASSIGNED = "none"
# The pokir-line filter's value for cases not proposed through any pokir line.
NO_POKIR_LINE = "none"
DUE_SOON_WORKING_DAYS = 2
# Oldest working-day count of each overdue bucket plus one: 6 starts "6–20", 21 "over 20".
SIX_DAYS, TWENTY_ONE_DAYS = 6, 21


class Ageing(enum.StrEnum):
    DUE_SOON = "due_soon"
    DAYS_1_5 = "1_5"
    DAYS_6_20 = "6_20"
    OVER_20 = "over_20"


AGEING_LABELS = {
    Ageing.DUE_SOON: N_("Due soon"),
    Ageing.DAYS_1_5: N_("1–5 working days overdue"),
    Ageing.DAYS_6_20: N_("6–20 working days overdue"),
    Ageing.OVER_20: N_("More than 20 working days overdue"),
}
OVERDUE_BUCKETS = (Ageing.DAYS_1_5, Ageing.DAYS_6_20, Ageing.OVER_20)


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=WITA)


def recent_working_day(calendar: WorkCalendar, today: date, nth: int) -> date:
    """The ``nth`` most recent working day on or before ``today`` (1: today if it works)."""
    back = nth - 1 if calendar.is_working_day(today) else nth
    return calendar.subtract_working_days(today, back)


@dataclass(frozen=True)
class AgeingBounds:
    """The instants that separate the ageing buckets at ``now`` (aware datetimes)."""

    now: datetime
    soon_until: datetime  # due before this (and not yet overdue): due soon
    six_days: datetime  # due before this: overdue by 6 working days or more
    twenty_one_days: datetime  # due before this: overdue by more than 20 working days

    @classmethod
    def at(cls, now: datetime, calendar: WorkCalendar) -> AgeingBounds:
        today = now.astimezone(WITA).date()
        last_soon = calendar.add_working_days(today, DUE_SOON_WORKING_DAYS)
        return cls(
            now=now,
            soon_until=_start_of_day(last_soon + timedelta(days=1)),
            six_days=_start_of_day(recent_working_day(calendar, today, SIX_DAYS)),
            twenty_one_days=_start_of_day(recent_working_day(calendar, today, TWENTY_ONE_DAYS)),
        )


def ageing_bounds(session: Session, at: datetime | None = None) -> AgeingBounds:
    """The bucket boundaries now (or at ``at``), with the calendar of this unit of work."""
    return AgeingBounds.at(at or clock.now(), calendar_for(session))


def open_clause() -> ColumnElement[bool]:
    """Cases not yet closed, non-compliant, rejected or cancelled."""
    return Case.state.in_(OPEN_STATES)


def overdue_clause(now: datetime | None = None) -> ColumnElement[bool]:
    """Open cases whose deadline has passed."""
    return and_(open_clause(), Case.due_at < (now or clock.now()))


def not_overdue_clause(now: datetime | None = None) -> ColumnElement[bool]:
    """Every case the overdue clause leaves out (closed, without deadline, or not yet due)."""
    return or_(
        Case.state.not_in(OPEN_STATES), Case.due_at.is_(None), Case.due_at >= (now or clock.now())
    )


def ageing_clause(bucket: Ageing, bounds: AgeingBounds) -> ColumnElement[bool]:
    """Open cases in one ageing bucket (the buckets never overlap)."""
    ranges = {
        Ageing.DUE_SOON: (bounds.now, bounds.soon_until),
        Ageing.DAYS_1_5: (bounds.six_days, bounds.now),
        Ageing.DAYS_6_20: (bounds.twenty_one_days, bounds.six_days),
    }
    if bucket is Ageing.OVER_20:
        return and_(open_clause(), Case.due_at < bounds.twenty_one_days)
    low, high = ranges[bucket]
    return and_(open_clause(), Case.due_at >= low, Case.due_at < high)


@dataclass
class RegencyStateCounts:
    """Cases per (kabupaten/kota, state), with the names of the kabupaten/kota."""

    cells: dict[tuple[str, str], int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    @property
    def regencies(self) -> list[str]:
        return sorted({r for r, _ in self.cells}, key=lambda code: self.names.get(code, code))

    @property
    def states(self) -> list[str]:
        """States that have cases, in workflow order."""
        present = {s for _, s in self.cells}
        return [s.value for s in CaseState if s.value in present]

    def by_regency(self, regency: str) -> int:
        return sum(n for (r, _), n in self.cells.items() if r == regency)

    def by_state(self, state: str) -> int:
        return sum(n for (_, s), n in self.cells.items() if s == state)

    @property
    def total(self) -> int:
        return sum(self.cells.values())


@dataclass(frozen=True)
class Workload:
    """Open and overdue cases of one assignee (``assignee_id`` None: nobody yet)."""

    assignee_id: int | None
    name: str
    open: int
    overdue: int


@dataclass(frozen=True)
class ProgramYear:
    """Cases of one program and fiscal year: all, open and overdue."""

    program_id: int
    program_code: str
    fiscal_year: int
    total: int
    open: int
    overdue: int


@dataclass
class OverdueDashboard:
    bounds: AgeingBounds
    by_regency_state: RegencyStateCounts
    ageing: dict[Ageing, int]
    workload: list[Workload]
    program_years: list[ProgramYear]
    pokir_lines: list[PokirLineCounts]

    @property
    def overdue(self) -> int:
        return sum(self.ageing[b] for b in OVERDUE_BUCKETS)


def _visible(stmt: SelectT, actor: User) -> SelectT:
    """``stmt`` limited to the cases of the actor's kabupaten/kota (as access.scoped)."""
    return stmt if actor.region_code is None else stmt.where(Case.regency_code == actor.region_code)


def _user_names(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(User.id, User.full_name).where(User.id.in_(ids))
    return {uid: name for uid, name in session.execute(stmt)}


@dataclass(frozen=True)
class PokirLineCounts:
    """All, open and overdue cases proposed through one pokir line (None: no pokir line)."""

    pokir_line_id: int | None
    sipd_ref: str
    member_name: str
    program_code: str
    fiscal_year: int | None
    total: int
    open: int
    overdue: int


@dataclass(frozen=True)
class _Group:
    """One row of the dashboard's single grouped scan."""

    regency: str
    state: str
    program_id: int
    fiscal_year: int
    assignee_id: int | None
    pokir_line_id: int | None
    count: int
    before_21: int  # due before the 21st most recent working day: more than 20 overdue
    before_6: int  # due before the 6th: overdue by 6 or more
    before_now: int  # overdue
    before_soon: int  # overdue or due soon

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


def _before(instant: datetime) -> Any:
    return func.coalesce(func.sum(case((Case.due_at < instant, 1), else_=0)), 0)


def _scan(session: Session, actor: User, bounds: AgeingBounds) -> list[_Group]:
    """Every figure's input in one pass over ``ix_cases_dashboard`` (a covering index).

    Grouped by the six columns the dashboard breaks down by, with the cumulative ageing
    counts per group; the groups (hundreds to a few thousand) are added up in Python.
    """
    keys = (
        Case.regency_code,
        Case.state,
        Case.program_id,
        Case.fiscal_year,
        Case.assignee_id,
        Case.pokir_line_id,
    )
    stmt = select(
        *keys,
        func.count(),
        _before(bounds.twenty_one_days),
        _before(bounds.six_days),
        _before(bounds.now),
        _before(bounds.soon_until),
    ).group_by(*keys)
    return [_Group(*row) for row in session.execute(_visible(stmt, actor))]


def _regency_states(session: Session, groups: list[_Group]) -> RegencyStateCounts:
    counts = RegencyStateCounts()
    for g in groups:
        key = (g.regency, g.state)
        counts.cells[key] = counts.cells.get(key, 0) + g.count
    codes = sorted({r for r, _ in counts.cells})
    if codes:
        names = select(Region.code, Region.name).where(Region.code.in_(codes))
        counts.names = {code: name for code, name in session.execute(names)}
    return counts


def _ageing(groups: list[_Group]) -> dict[Ageing, int]:
    """Open cases per ageing bucket; those due later than 'soon' are not counted."""
    found = dict.fromkeys(Ageing, 0)
    for g in groups:
        if g.is_open:
            found[Ageing.OVER_20] += g.before_21
            found[Ageing.DAYS_6_20] += g.before_6 - g.before_21
            found[Ageing.DAYS_1_5] += g.before_now - g.before_6
            found[Ageing.DUE_SOON] += g.before_soon - g.before_now
    return found


def _workload(session: Session, groups: list[_Group]) -> list[Workload]:
    """Open and overdue cases per assignee, busiest first; the unassigned row last."""
    sums: dict[int | None, list[int]] = {}
    for g in groups:
        if g.is_open:
            total = sums.setdefault(g.assignee_id, [0, 0])
            total[0] += g.count
            total[1] += g.before_now
    names = _user_names(session, [uid for uid in sums if uid is not None])
    assigned = sorted(
        (Workload(uid, names.get(uid, ""), *t) for uid, t in sums.items() if uid is not None),
        key=lambda w: (-w.overdue, -w.open),
    )
    if None in sums:
        assigned.append(Workload(None, "", *sums[None]))
    return assigned


def _tally(groups: list[_Group], key: Callable[[_Group], KeyT]) -> dict[KeyT, list[int]]:
    """All, open and overdue cases per ``key`` of the groups."""
    sums: dict[KeyT, list[int]] = {}
    for g in groups:
        total = sums.setdefault(key(g), [0, 0, 0])
        total[0] += g.count
        if g.is_open:
            total[1] += g.count
            total[2] += g.before_now
    return sums


def _program_codes(session: Session) -> dict[int, str]:
    return {pid: code for pid, code in session.execute(select(Program.id, Program.code))}


def _program_years(groups: list[_Group], codes: dict[int, str]) -> list[ProgramYear]:
    """All, open and overdue cases per program and fiscal year, newest year first."""
    sums = _tally(groups, lambda g: (g.program_id, g.fiscal_year))
    found = [ProgramYear(pid, codes.get(pid, ""), y, *t) for (pid, y), t in sums.items()]
    return sorted(found, key=lambda p: (-p.fiscal_year, p.program_code))


def _pokir_lines(
    session: Session, groups: list[_Group], codes: dict[int, str]
) -> list[PokirLineCounts]:
    """All, open and overdue cases per pokir line (member, SIPD reference), most overdue first;
    the cases outside any pokir line last."""
    sums = _tally(groups, lambda g: g.pokir_line_id)
    ids = [lid for lid in sums if lid is not None]
    lines: dict[int, tuple[str, str, int, int]] = {}
    if ids:
        stmt = (
            select(
                PokirLine.id,
                PokirLine.sipd_ref,
                DprdMember.name,
                PokirLine.program_id,
                PokirLine.fiscal_year,
            )
            .join(DprdMember, DprdMember.id == PokirLine.member_id)
            .where(PokirLine.id.in_(ids))
        )
        lines = {lid: (ref, name, pid, year) for lid, ref, name, pid, year in session.execute(stmt)}
    found = [
        PokirLineCounts(lid, ref, name, codes.get(pid, ""), year, *sums[lid])
        for lid, (ref, name, pid, year) in lines.items()
    ]
    found.sort(key=lambda p: (-p.overdue, -p.open, p.member_name, p.sipd_ref))
    if None in sums:
        found.append(PokirLineCounts(None, "", "", "", None, *sums[None]))
    return found


def overdue_dashboard(
    session: Session, actor: User, at: datetime | None = None
) -> OverdueDashboard:
    """Every figure of the dashboard for the cases the actor's region covers.

    Read-only, one grouped scan; the boundaries are computed once, so all figures agree
    on "now".
    """
    bounds = ageing_bounds(session, at)
    groups = _scan(session, actor, bounds)
    codes = _program_codes(session)
    return OverdueDashboard(
        bounds=bounds,
        by_regency_state=_regency_states(session, groups),
        ageing=_ageing(groups),
        workload=_workload(session, groups),
        program_years=_program_years(groups, codes),
        pokir_lines=_pokir_lines(session, groups, codes),
    )
