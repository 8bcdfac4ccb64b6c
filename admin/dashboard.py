"""The landing page: the user's visible cases counted by state and program, and the late ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_admin import AdminIndexView, expose
from sqlalchemy import func, select

from admin.case_columns import state_label
from admin.filters import overdue_clause
from admin.security import ALL_ROLES, RoleGate, require_actor
from casework.models.case import STATE_LABELS, Case
from casework.models.program import Program
from casework.models.user import User
from web.db import db


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


class DashboardView(RoleGate, AdminIndexView):
    view_roles = ALL_ROLES

    def __init__(self, case_view: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case_view = case_view

    @expose("/")
    def index(self) -> Any:
        user = require_actor()
        links = self.case_view is not None and self.case_view.is_accessible()
        return self.render(
            "admin/dashboard.html",
            counts=count_cases(user),
            user=user,
            state_label=state_label,
            case_link=self.case_view.list_url if links else None,
        )
