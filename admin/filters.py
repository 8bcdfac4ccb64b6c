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
from casework.models.case import STATE_LABELS, Case, CaseState
from casework.models.program import Program
from casework.models.region import Region, RegionLevel
from casework.models.user import User
from web.db import db

# States in which a case can no longer be late.
FINAL_STATES = (
    CaseState.CLOSED.value,
    CaseState.NON_COMPLIANT.value,
    CaseState.REJECTED.value,
    CaseState.CANCELLED.value,
)


def overdue_clause() -> Any:
    """Cases whose deadline has passed and that are still open."""
    return Case.due_at.is_not(None) & (Case.due_at < clock.now()) & Case.state.not_in(FINAL_STATES)


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
    return [(str(uid), name) for uid, name in db.session.execute(stmt.order_by(User.full_name))]


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


class OverdueFilter(BaseSQLAFilter):
    """Overdue: yes (deadline passed, still open) or no."""

    key = "overdue"

    def __init__(self) -> None:
        super().__init__(
            Case.due_at,
            _l("Overdue"),
            options=lambda: [("1", gettext("Yes")), ("0", gettext("No"))],
        )

    def get_options(self, view: Any) -> Any:
        return super().get_options(view) if has_request_context() else None

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        clause = overdue_clause()
        return query.filter(clause if value == "1" else ~clause)

    def operation(self) -> Any:
        return _l("is")


def case_filters() -> list[BaseSQLAFilter]:
    """The filters of the case list, in the order they are offered."""
    return [
        KeyedEqual(Case.program_id, _l("Program"), "program", program_options, int),
        KeyedEqual(Case.state, _l("State"), "state", state_options),
        KeyedEqual(Case.regency_code, _l("Kabupaten/kota"), "regency", regency_options),
        OverdueFilter(),
        KeyedEqual(Case.assignee_id, _l("Assignee"), "assignee", assignee_options, int),
        KeyedEqual(Case.fiscal_year, _l("Fiscal year"), "year", year_options, int),
    ]
