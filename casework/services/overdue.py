"""The managers' overdue dashboard: which cases are stuck where and with whom.

Every figure is one GROUP BY over ``cases`` (no per-case Python). The ageing boundaries are
computed once per call as instants (e.g. the start of the day that lies 6 working days
back), so the database compares ``due_at`` with constants and can use
``ix_cases_state_due_at`` (open states are listed with IN, one index range per state).

Ageing of an open case with a deadline, in working days of the work calendar (weekends,
national holidays, collective leave and the admin's extra days off skipped) in WITA:

- due soon: not yet overdue, due by the end of the 2nd working day from today;
- 1–5: overdue by at most 5 working days (a case due on Friday counts here on Saturday);
- 6–20 and more than 20: overdue by that many working days, i.e. its due date lies before
  the 6th (21st) most recent working day up to today.
"""

from __future__ import annotations

import enum
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

# The assignee filter's value for cases nobody is assigned to.
UNASSIGNED = "none"
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


def _bucket_expression(bounds: AgeingBounds) -> Any:
    return case(
        (Case.due_at >= bounds.now, Ageing.DUE_SOON.value),
        (Case.due_at >= bounds.six_days, Ageing.DAYS_1_5.value),
        (Case.due_at >= bounds.twenty_one_days, Ageing.DAYS_6_20.value),
        else_=Ageing.OVER_20.value,
    )


def _overdue_count(bounds: AgeingBounds) -> Any:
    return func.coalesce(func.sum(case((Case.due_at < bounds.now, 1), else_=0)), 0)


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

    @property
    def overdue(self) -> int:
        return sum(self.ageing[b] for b in OVERDUE_BUCKETS)


def _visible(stmt: SelectT, actor: User) -> SelectT:
    """``stmt`` limited to the cases of the actor's kabupaten/kota (as access.scoped)."""
    return stmt if actor.region_code is None else stmt.where(Case.regency_code == actor.region_code)


def count_by_regency_state(session: Session, actor: User) -> RegencyStateCounts:
    """All visible cases per kabupaten/kota and state (covered by ix_cases_regency_state)."""
    stmt = select(Case.regency_code, Case.state, func.count()).group_by(
        Case.regency_code, Case.state
    )
    counts = RegencyStateCounts()
    for regency, state, n in session.execute(_visible(stmt, actor)):
        counts.cells[(regency, state)] = n
    codes = sorted({r for r, _ in counts.cells})
    if codes:
        names = select(Region.code, Region.name).where(Region.code.in_(codes))
        counts.names = {code: name for code, name in session.execute(names)}
    return counts


def count_by_ageing(session: Session, actor: User, bounds: AgeingBounds) -> dict[Ageing, int]:
    """Open cases per ageing bucket; those due later than 'soon' are not counted."""
    bucket = _bucket_expression(bounds).label("bucket")
    stmt = (
        select(bucket, func.count())
        .where(open_clause(), Case.due_at < bounds.soon_until)
        .group_by(bucket)
    )
    found = {Ageing(b): n for b, n in session.execute(_visible(stmt, actor))}
    return {b: found.get(b, 0) for b in Ageing}


def _user_names(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(User.id, User.full_name).where(User.id.in_(ids))
    return {uid: name for uid, name in session.execute(stmt)}


def count_workload(session: Session, actor: User, bounds: AgeingBounds) -> list[Workload]:
    """Open and overdue cases per assignee, busiest first; the unassigned row last."""
    stmt = (
        select(Case.assignee_id, func.count(), _overdue_count(bounds))
        .where(open_clause())
        .group_by(Case.assignee_id)
    )
    rows = list(session.execute(_visible(stmt, actor)))
    ids = [uid for uid, _, _ in rows if uid is not None]
    names = _user_names(session, ids)
    loads = [
        Workload(uid, names.get(uid, "") if uid is not None else "", n, late)
        for uid, n, late in rows
    ]
    assigned = sorted(
        (w for w in loads if w.assignee_id is not None), key=lambda w: (-w.overdue, -w.open)
    )
    return assigned + [w for w in loads if w.assignee_id is None]


def count_by_program_year(session: Session, actor: User, bounds: AgeingBounds) -> list[ProgramYear]:
    """All, open and overdue cases per program and fiscal year, newest year first.

    Grouped by state too, so the database reads ix_cases_program_year_state_due in order
    and compares nothing per row but the deadline; the few groups are added up here.
    """
    late = func.coalesce(func.sum(case((Case.due_at < bounds.now, 1), else_=0)), 0)
    stmt = select(Case.program_id, Case.fiscal_year, Case.state, func.count(), late).group_by(
        Case.program_id, Case.fiscal_year, Case.state
    )
    sums: dict[tuple[int, int], list[int]] = {}
    for pid, year, state, n, n_late in session.execute(_visible(stmt, actor)):
        total = sums.setdefault((pid, year), [0, 0, 0])
        is_open = state in OPEN_STATES
        total[0] += n
        total[1] += n if is_open else 0
        total[2] += n_late if is_open else 0
    codes = {pid: code for pid, code in session.execute(select(Program.id, Program.code))}
    found = [ProgramYear(pid, codes.get(pid, ""), y, *t) for (pid, y), t in sums.items()]
    return sorted(found, key=lambda p: (-p.fiscal_year, p.program_code))


def overdue_dashboard(
    session: Session, actor: User, at: datetime | None = None
) -> OverdueDashboard:
    """Every figure of the dashboard for the cases the actor's region covers.

    Read-only; the boundaries are computed once, so all figures agree on "now".
    """
    bounds = ageing_bounds(session, at)
    return OverdueDashboard(
        bounds=bounds,
        by_regency_state=count_by_regency_state(session, actor),
        ageing=count_by_ageing(session, actor, bounds),
        workload=count_workload(session, actor, bounds),
        program_years=count_by_program_year(session, actor, bounds),
    )
