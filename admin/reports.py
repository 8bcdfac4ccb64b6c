"""Report pages: budget realisation, pokir ledger and outcomes, each with an .xlsx export.

The DPRD liaison may read them: they hold aggregates only, never personal data.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from admin.security import RoleGate, require_actor
from casework import clock
from casework.errors import DomainError
from casework.exports import report_xlsx
from casework.services import reports
from casework.services.reports import Report
from web.db import db
from web.i18n import error_message

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = {
    "outcomes": (_l("Outcomes"), reports.OUTCOMES_BY),
    "budget_realisation": (_l("Budget realisation"), reports.REALISATION_BY),
    "pokir_ledger": (_l("Pokir ledger"), {}),
}


def _year() -> int:
    raw = request.args.get("fiscal_year", "")
    return int(raw) if raw.isdigit() else clock.today_wita().year


def build_report(kind: str, by: str, year: int) -> Report:
    """The report ``kind`` for the logged-in user (domain errors propagate)."""
    session, actor = db.current(), require_actor()
    if kind == "budget_realisation":
        return reports.budget_realisation(session, by=by, fiscal_year=year, actor=actor)
    if kind == "pokir_ledger":
        return reports.pokir_ledger(session, fiscal_year=year, actor=actor)
    return reports.outcomes(session, by=by, fiscal_year=year, actor=actor)


class ReportView(RoleGate, BaseView):
    read_action = "report.read"

    def _params(self) -> tuple[str, str, int]:
        kind = request.args.get("report", "outcomes")
        kind = kind if kind in KINDS else "outcomes"
        dimensions = KINDS[kind][1]
        by = request.args.get("by", "program")
        return kind, (by if by in dimensions or not dimensions else "program"), _year()

    @expose("/")
    def index(self) -> Any:
        kind, by, year = self._params()
        report, error = None, None
        try:
            report = build_report(kind, by, year)
        except DomainError as refused:
            error = error_message(refused)
        return self.render(
            "admin/reports.html",
            kinds=KINDS,
            kind=kind,
            by=by,
            year=year,
            report=report,
            error=error,
        )

    @expose("/export.xlsx")
    def export(self) -> Any:
        kind, by, year = self._params()
        try:
            report = build_report(kind, by, year)
        except DomainError as refused:
            return Response(error_message(refused), status=refused.status, mimetype="text/plain")
        subtitle = f"{gettext('Fiscal year')} {year}"
        content = report_xlsx(report, translate=gettext, subtitle=subtitle)
        return Response(
            content,
            mimetype=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{kind}-{by}-{year}.xlsx"'},
        )
