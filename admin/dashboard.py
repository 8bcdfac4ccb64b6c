"""The landing page.

Managers and administrators land on the overdue dashboard: cases by kabupaten/kota and
state, the ageing of deadlines, each assignee's workload, and cases per program and fiscal
year, every number a link to the case list filtered to exactly that set. The DPRD liaison
sees the same aggregates without links (the case list is closed to her) and without the
workload table (staff names and their backlog are not the legislature's to see). Everybody
else keeps the simple table of their visible cases by state and program.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_admin import AdminIndexView, expose
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import func, select

from admin.case_columns import state_label
from admin.filters import overdue_clause
from admin.security import RoleGate, require_actor
from casework.models.case import STATE_LABELS, Case
from casework.models.program import Program
from casework.models.user import Role, User
from casework.services.overdue import (
    AGEING_LABELS,
    NO_POKIR_LINE,
    UNASSIGNED,
    Ageing,
    OverdueDashboard,
    overdue_dashboard,
)
from web.db import db

OVERDUE_DASHBOARD_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.DPRD_LIAISON})
CaseLink = Callable[..., str]


@dataclass
class Counts:
    """Counts of visible cases: per (state, program id), per state, per program, overdue."""

    programs: list[tuple[int, str]]
    cells: dict[tuple[str, int], int] = field(default_factory=dict)
    overdue: int = 0

    def by_state(self, state: str) -> int:
        return sum(n for (s, _), n in self.cells.items() if s == state)

    def by_program(self, program_id: int) -> int:
        return sum(n for (_, p), n in self.cells.items() if p == program_id)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    @property
    def states(self) -> list[str]:
        """States that have cases, in workflow order."""
        present = {s for s, _ in self.cells}
        return [s.value for s in STATE_LABELS if s.value in present]


def _scoped(stmt: Any, user: User) -> Any:
    return stmt if user.region_code is None else stmt.where(Case.regency_code == user.region_code)


def count_cases(user: User) -> Counts:
    """One grouped query for the table and one for the overdue count (both use indexes)."""
    programs = [(pid, code) for pid, code in db.session.execute(select(Program.id, Program.code))]
    counts = Counts(programs=sorted(programs, key=lambda p: p[1]))
    grouped = select(Case.state, Case.program_id, func.count()).group_by(
        Case.state, Case.program_id
    )
    for state, program_id, n in db.session.execute(_scoped(grouped, user)):
        counts.cells[(state, program_id)] = n
    late = select(func.count()).select_from(Case).where(overdue_clause())
    counts.overdue = db.session.scalar(_scoped(late, user)) or 0
    return counts


def cell(n: int, url: str) -> Markup:
    """A count, linked to ``url`` when there is one and the count is not zero."""
    return Markup('<a href="{}">{}</a>').format(url, n) if url and n else Markup(n)


def no_link(**_filters: str) -> str:
    return ""


def _chart(title: str, labels: list[str], values: list[int], links: list[str] | None) -> Any:
    """What static/dashboard.js needs to draw one bar chart (read from a data attribute)."""
    return {"title": title, "labels": labels, "values": values, "links": links or []}


def ageing_chart(board: OverdueDashboard, link: CaseLink | None) -> Any:
    buckets = list(Ageing)
    return _chart(
        gettext("Deadlines of open cases"),
        [gettext(AGEING_LABELS[b]) for b in buckets],
        [board.ageing[b] for b in buckets],
        [link(ageing=b.value) for b in buckets] if link else None,
    )


def state_chart(board: OverdueDashboard, link: CaseLink | None) -> Any:
    counts = board.by_regency_state
    return _chart(
        gettext("Cases by state"),
        [state_label(s) for s in counts.states],
        [counts.by_state(s) for s in counts.states],
        [link(state=s) for s in counts.states] if link else None,
    )


class DashboardView(RoleGate, AdminIndexView):
    read_action = "dashboard.read"

    def __init__(self, case_view: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case_view = case_view

    def _case_link(self) -> CaseLink | None:
        links = self.case_view is not None and self.case_view.is_accessible()
        return self.case_view.list_url_builder() if links else None

    @expose("/")
    def index(self) -> Any:
        user = require_actor()
        link = self._case_link()
        if user.role in OVERDUE_DASHBOARD_ROLES:
            return self._overdue_page(user, link)
        return self.render(
            "admin/dashboard.html",
            counts=count_cases(user),
            user=user,
            state_label=state_label,
            cell=cell,
            link=link or no_link,
        )

    def _overdue_page(self, user: User, link: CaseLink | None) -> Any:
        board = overdue_dashboard(db.current(), user)
        return self.render(
            "admin/dashboard.html",
            board=board,
            user=user,
            state_label=state_label,
            cell=cell,
            link=link or no_link,
            show_workload=user.sees_personal_data,
            ageing_labels=AGEING_LABELS,
            due_soon=Ageing.DUE_SOON,
            unassigned=UNASSIGNED,
            no_pokir_line=NO_POKIR_LINE,
            charts=[ageing_chart(board, link), state_chart(board, link)],
        )
