"""List filters of the case screen; each has a stable ``key`` so links can name it."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from admin.security import actor
from casework import clock
from casework.models.case import STATE_LABELS, Case
from casework.models.pokir import DprdMember, PokirLine
from casework.models.program import Program
from casework.models.region import Region, RegionLevel
from casework.models.user import User
from casework.services.overdue import (
    AGEING_LABELS,
    FINAL_STATES,
    NO_POKIR_LINE,
    UNASSIGNED,
    Ageing,
    ageing_bounds,
    ageing_clause,
    not_overdue_clause,
    open_clause,
    overdue_clause,
)
from web.db import db

# Re-exported: the overdue rule lives with the dashboard's queries in the domain.
__all__ = ["FINAL_STATES", "case_filters", "overdue_clause"]


def state_options() -> list[tuple[str, str]]:
    return [(state.value, gettext(label)) for state, label in STATE_LABELS.items()]


def program_options() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Program.id, Program.code).order_by(Program.code))
    return [(str(pid), code) for pid, code in rows]


def regency_options() -> list[tuple[str, str]]:
    user = actor()
    stmt = select(Region.code, Region.name).where(Region.level == RegionLevel.REGENCY)
    if user is not None and user.region_code is not None:
        stmt = stmt.where(Region.code == user.region_code)
    return [(code, name) for code, name in db.session.execute(stmt.order_by(Region.name))]


def assignee_options() -> list[tuple[str, str]]:
    stmt = select(User.id, User.full_name).where(User.active.is_(True))
    user = actor()
    if user is not None and user.region_code is not None:
        stmt = stmt.where((User.region_code == user.region_code) | User.region_code.is_(None))
    rows = db.session.execute(stmt.order_by(User.full_name))
    return [(UNASSIGNED, gettext("Unassigned"))] + [(str(uid), name) for uid, name in rows]


def pokir_line_options() -> list[tuple[str, str]]:
    """Pokir lines of the user's kabupaten/kota (all for province staff), newest year first."""
    stmt = select(PokirLine.id, PokirLine.sipd_ref, DprdMember.name, PokirLine.fiscal_year).join(
        DprdMember, DprdMember.id == PokirLine.member_id
    )
    user = actor()
    if user is not None and user.region_code is not None:
        stmt = stmt.where(PokirLine.regency_code == user.region_code)
    rows = db.session.execute(
        stmt.order_by(PokirLine.fiscal_year.desc(), DprdMember.name, PokirLine.sipd_ref)
    )
    return [(NO_POKIR_LINE, gettext("No pokir line"))] + [
        (str(lid), f"{ref} — {name} ({year})") for lid, ref, name, year in rows
    ]


def ageing_options() -> list[tuple[str, str]]:
    return [(bucket.value, gettext(label)) for bucket, label in AGEING_LABELS.items()]


def year_options() -> list[tuple[str, str]]:
    this_year = clock.today_wita().year
    return [(str(y), str(y)) for y in range(this_year + 1, this_year - 5, -1)]


class KeyedEqual(FilterEqual):
    """An equality filter with a stable key and options computed per request.

    Flask-Admin reads filter options once when the view is built (no database, no
    language then); the case view refreshes them per request instead.
    """

    def __init__(self, column: Any, name: Any, key: str, options: Any, cast: type = str) -> None:
        super().__init__(column, name, options=options)
        self.key = key
        self._cast = cast

    def get_options(self, view: Any) -> Any:
        return super().get_options(view) if has_request_context() else None

    def clean(self, value: Any) -> Any:
        return self._cast(value)


class YesNoFilter(BaseSQLAFilter):
    """A yes/no filter on a clause of the domain (``clause()``: the "yes" set)."""

    key = ""

    def __init__(self, name: Any) -> None:
        super().__init__(
            Case.due_at, name, options=lambda: [("1", gettext("Yes")), ("0", gettext("No"))]
        )

    def clause(self) -> Any:
        raise NotImplementedError

    def opposite(self) -> Any:
        return ~self.clause()

    def get_options(self, view: Any) -> Any:
        return super().get_options(view) if has_request_context() else None

    def clean(self, value: Any) -> str:
        if value not in ("0", "1"):
            raise ValueError(value)
        return str(value)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(self.clause() if value == "1" else self.opposite())

    def operation(self) -> Any:
        return _l("is")


class OverdueFilter(YesNoFilter):
    """Overdue: yes (deadline passed, still open) or no."""

    key = "overdue"

    def __init__(self) -> None:
        super().__init__(_l("Overdue"))

    def clause(self) -> Any:
        return overdue_clause()

    def opposite(self) -> Any:
        return not_overdue_clause()


class OpenFilter(YesNoFilter):
    """Open: not closed, non-compliant, rejected or cancelled."""

    key = "open"

    def __init__(self) -> None:
        super().__init__(_l("Open"))

    def clause(self) -> Any:
        return open_clause()


class AgeingFilter(BaseSQLAFilter):
    """Ageing of the deadline: due soon, or overdue by 1–5, 6–20, more than 20 working days."""

    key = "ageing"

    def __init__(self) -> None:
        super().__init__(Case.due_at, _l("Deadline"), options=ageing_options)

    def get_options(self, view: Any) -> Any:
        return super().get_options(view) if has_request_context() else None

    def clean(self, value: Any) -> Ageing:
        return Ageing(value)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(ageing_clause(Ageing(value), ageing_bounds(db.current())))

    def operation(self) -> Any:
        return _l("is")


class AssigneeFilter(KeyedEqual):
    """The assignee by user id, or ``none``: cases nobody is assigned to."""

    def __init__(self) -> None:
        super().__init__(Case.assignee_id, _l("Assignee"), "assignee", assignee_options)

    def clean(self, value: Any) -> str:
        if value != UNASSIGNED and not str(value).isdigit():
            raise ValueError(value)
        return str(value)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        if value == UNASSIGNED:
            return query.filter(Case.assignee_id.is_(None))
        return query.filter(Case.assignee_id == int(value))


class PokirLineFilter(KeyedEqual):
    """The pokir line a case was proposed through, or ``none``: cases outside any."""

    def __init__(self) -> None:
        super().__init__(Case.pokir_line_id, _l("Pokir line"), "pokir_line", pokir_line_options)

    def clean(self, value: Any) -> str:
        if value != NO_POKIR_LINE and not str(value).isdigit():
            raise ValueError(value)
        return str(value)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        if value == NO_POKIR_LINE:
            return query.filter(Case.pokir_line_id.is_(None))
        return query.filter(Case.pokir_line_id == int(value))


def case_filters() -> list[BaseSQLAFilter]:
    """The filters of the case list, in the order they are offered."""
    return [
        KeyedEqual(Case.program_id, _l("Program"), "program", program_options, int),
        KeyedEqual(Case.state, _l("State"), "state", state_options),
        KeyedEqual(Case.regency_code, _l("Kabupaten/kota"), "regency", regency_options),
        OverdueFilter(),
        AssigneeFilter(),
        KeyedEqual(Case.fiscal_year, _l("Fiscal year"), "year", year_options, int),
        AgeingFilter(),
        OpenFilter(),
        PokirLineFilter(),
    ]
