"""How case values look on screen: translated state labels, regions, late deadlines."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext
from markupsafe import Markup, escape
from sqlalchemy import select

from casework.models.case import STATE_LABELS, Case, CaseState
from casework.models.region import Region, RegionLevel
from web.db import db
from web.i18n import rupiah, wita_datetime


def state_label(state: str) -> str:
    """The translated label of a state (the raw value for an unknown one)."""
    try:
        return gettext(STATE_LABELS[CaseState(state)])
    except ValueError:
        return state


def regency_names() -> dict[str, str]:
    """Kabupaten/kota names by code, read once per request."""
    names = g.get("_berdaya_regencies")
    if names is None:
        rows = db.session.execute(
            select(Region.code, Region.name).where(Region.level == RegionLevel.REGENCY)
        )
        names = {code: name for code, name in rows}
        g._berdaya_regencies = names
    return names


def regency_name(code: str | None) -> str:
    return regency_names().get(code or "", code or "")


def due_markup(case: Case) -> Markup:
    """The deadline in WITA, highlighted when the case is late."""
    if case.due_at is None:
        return Markup("")
    text = escape(wita_datetime(case.due_at))
    if case.is_overdue() and case.state not in _FINAL:
        late = escape(gettext("overdue"))
        return Markup(f'<span class="text-danger font-weight-bold overdue">{text} ({late})</span>')
    return Markup(text)


_FINAL = {
    CaseState.CLOSED.value,
    CaseState.NON_COMPLIANT.value,
    CaseState.REJECTED.value,
    CaseState.CANCELLED.value,
}


def _number(view: Any, context: Any, model: Case, name: str) -> Markup:
    url = view.get_url(".details_view", id=model.id)
    return Markup(f'<a href="{escape(url)}">{escape(model.number)}</a>')


CASE_FORMATTERS = {
    "number": _number,
    "program": lambda v, c, m, n: m.program.code,
    "applicant": lambda v, c, m, n: m.applicant_name,
    "regency_code": lambda v, c, m, n: regency_name(m.regency_code),
    "state": lambda v, c, m, n: state_label(m.state),
    "due_at": lambda v, c, m, n: due_markup(m),
    "assignee": lambda v, c, m, n: m.assignee.full_name if m.assignee else "",
    "requested_amount": lambda v, c, m, n: rupiah(m.requested_amount),
}
