"""Aggregate reports (no personal data): budget realisation, pokir ledger, outcomes."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import gettext
from marshmallow import fields, validate

from casework.services import reports
from casework.services.reports import Report
from web.api.base import current_actor, make_blueprint, requires
from web.db import db

bp = make_blueprint(
    "reports", "Budget realisation, pokir ledger and outcomes.", personal_data=False
)


class ReportColumnSchema(ma.Schema):
    key = fields.String()
    label = fields.Function(lambda c: gettext(c.label), metadata={"type": "string"})
    kind = fields.String(metadata={"enum": ["text", "count", "rupiah", "percent"]})


class ReportSchema(ma.Schema):
    key = fields.String()
    title = fields.Function(lambda r: gettext(r.title), metadata={"type": "string"})
    columns = fields.List(fields.Nested(ReportColumnSchema))
    rows = fields.List(
        fields.Dict(),
        metadata={"description": "One object per group; the keys are the columns' keys."},
    )


class RealisationArgs(ma.Schema):
    by = fields.String(
        load_default="program", validate=validate.OneOf(list(reports.REALISATION_BY))
    )
    fiscal_year = fields.Integer(required=True)


class LedgerArgs(ma.Schema):
    fiscal_year = fields.Integer(required=True)


class OutcomeArgs(ma.Schema):
    by = fields.String(load_default="program", validate=validate.OneOf(list(reports.OUTCOMES_BY)))
    fiscal_year = fields.Integer(load_default=None, allow_none=True)


@bp.get("/reports/budget-realisation")
@bp.arguments(RealisationArgs, location="query")
@bp.response(200, ReportSchema)
@requires("report.budget")
def budget_realisation(args: dict[str, Any]) -> Report:
    """Ceiling, committed, realised and remaining by program, budget line, pokir line or
    kabupaten (provincial accounts)."""
    return reports.budget_realisation(db.current(), actor=current_actor(), **args)


@bp.get("/reports/pokir-ledger")
@bp.arguments(LedgerArgs, location="query")
@bp.response(200, ReportSchema)
@requires("report.budget")
def pokir_ledger(args: dict[str, Any]) -> Report:
    """Recipients and amounts funded by each DPRD member's pokir, per dapil and kabupaten."""
    return reports.pokir_ledger(db.current(), actor=current_actor(), **args)


@bp.get("/reports/outcomes")
@bp.arguments(OutcomeArgs, location="query")
@bp.response(200, ReportSchema)
@requires("report.read")
def outcomes(args: dict[str, Any]) -> Report:
    """Business survival at 6 and 12 months and the median change of monthly income."""
    return reports.outcomes(db.current(), actor=current_actor(), **args)
