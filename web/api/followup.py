"""Follow-up of a delivered case: usage reports (LPJ) and monitoring visits (monev)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, current_app, send_file
from flask_babel import gettext
from flask_smorest.fields import Upload
from marshmallow import fields
from sqlalchemy import select

from casework.errors import NotFound
from casework.models.case import Case
from casework.models.followup import (
    BUSINESS_STATUS_LABELS,
    REPORT_STATUS_LABELS,
    BusinessStatus,
    MonitoringVisit,
    ReportStatus,
    UsageReport,
)
from casework.services import followup
from casework.services.access import get_scoped
from casework.storage import DocumentStore
from web.api.base import current_actor, make_blueprint, requires
from web.api.schemas import enum_values
from web.db import db

bp = make_blueprint(
    "followup", "Usage reports (LPJ) and monitoring visits (monev).", personal_data=True
)
BINARY = {"type": "string", "format": "binary"}


class UsageReportSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    received_on = fields.Date()
    income_before = fields.Integer()
    summary = fields.String()
    original_name = fields.String()
    content_type = fields.String()
    status = fields.String(metadata=enum_values(ReportStatus))
    status_label = fields.Function(
        lambda r: gettext(REPORT_STATUS_LABELS[r.status]), metadata={"type": "string"}
    )
    review_note = fields.String(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)


class UsageReportInSchema(ma.Schema):
    received_on = fields.Date(required=True)
    income_before = fields.Integer(
        required=True, metadata={"description": "Monthly income before the aid, in Rupiah."}
    )
    summary = fields.String(load_default="")
    file = Upload(required=True, metadata={"description": "The LPJ: PDF, JPG or PNG."})


class SendBackSchema(ma.Schema):
    reason = fields.String(required=True)


class VisitSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    offset_months = fields.Integer()
    due_on = fields.Date()
    done = fields.Boolean()
    visited_on = fields.Date(allow_none=True)
    officer_id = fields.Integer(allow_none=True)
    business_status = fields.String(allow_none=True, metadata=enum_values(BusinessStatus))
    business_status_label = fields.Function(
        lambda v: gettext(BUSINESS_STATUS_LABELS[v.business_status]) if v.business_status else None,
        metadata={"type": "string", "nullable": True},
    )
    monthly_income = fields.Integer(allow_none=True)
    notes = fields.String()
    has_photo = fields.Function(
        lambda v: v.photo_stored_name is not None, metadata={"type": "boolean"}
    )


class VisitInSchema(ma.Schema):
    visited_on = fields.Date(required=True)
    business_status = fields.String(required=True, metadata=enum_values(BusinessStatus))
    monthly_income = fields.Integer(required=True, metadata={"description": "Rupiah, ≥ 0."})
    notes = fields.String(load_default="")
    photo = Upload(load_default=None, metadata={"description": "JPG, PNG or PDF (optional)."})


class FollowupSchema(ma.Schema):
    case_id = fields.Integer()
    usage_report_due_on = fields.Date()
    delivered_on = fields.Date(allow_none=True)
    usage_reports = fields.List(fields.Nested(UsageReportSchema))
    visits = fields.List(fields.Nested(VisitSchema))


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["UPLOAD_DIR"], current_app.config["MAX_UPLOAD_BYTES"])


def _case(case_id: int) -> Case:
    return get_scoped(db.current(), Case, case_id, current_actor())


def _report(report_id: int) -> UsageReport:
    report = db.current().get(UsageReport, report_id)
    if report is None:
        raise NotFound()
    _case(report.case_id)
    return report


def _visit(visit_id: int) -> MonitoringVisit:
    visit = db.current().get(MonitoringVisit, visit_id)
    if visit is None:
        raise NotFound()
    _case(visit.case_id)
    return visit


def _reports_of(case: Case) -> list[UsageReport]:
    stmt = select(UsageReport).where(UsageReport.case_id == case.id).order_by(UsageReport.id)
    return list(db.current().scalars(stmt))


def _visits_of(case: Case) -> list[MonitoringVisit]:
    stmt = (
        select(MonitoringVisit)
        .where(MonitoringVisit.case_id == case.id)
        .order_by(MonitoringVisit.offset_months)
    )
    return list(db.current().scalars(stmt))


@bp.get("/cases/<int:case_id>/followup")
@bp.response(200, FollowupSchema)
@requires("followup.read")
def get_followup(case_id: int) -> dict[str, Any]:
    """The LPJ due date, the delivery date, the usage reports and the monitoring visits."""
    session, case = db.current(), _case(case_id)
    return {
        "case_id": case.id,
        "usage_report_due_on": followup.usage_report_due_on(session, case),
        "delivered_on": followup.delivered_on(session, case),
        "usage_reports": _reports_of(case),
        "visits": _visits_of(case),
    }


@bp.get("/cases/<int:case_id>/usage-reports")
@bp.response(200, UsageReportSchema(many=True))
@requires("followup.read")
def list_usage_reports(case_id: int) -> list[UsageReport]:
    """The usage reports received for a case, oldest first."""
    return _reports_of(_case(case_id))


@bp.post("/cases/<int:case_id>/usage-reports")
@bp.arguments(UsageReportInSchema, location="form_and_files")
@bp.response(201, UsageReportSchema)
@requires("followup.record")
def receive_usage_report(data: dict[str, Any], case_id: int) -> UsageReport:
    """Record an LPJ received for a case awaiting its report (multipart upload)."""
    upload = data.pop("file")
    return followup.receive_usage_report(
        db.current(),
        _case(case_id),
        followup.UsageReportInput(filename=upload.filename or "", content=upload.read(), **data),
        store=_store(),
        actor=current_actor(),
    )


@bp.post("/usage-reports/<int:report_id>/accept")
@bp.response(200, UsageReportSchema)
@requires("followup.review")
def accept_usage_report(report_id: int) -> UsageReport:
    """Accept a received LPJ; the case may then move on with ``accept_usage_report``."""
    return followup.accept_usage_report(db.current(), _report(report_id), actor=current_actor())


@bp.post("/usage-reports/<int:report_id>/send-back")
@bp.arguments(SendBackSchema)
@bp.response(200, UsageReportSchema)
@requires("followup.review")
def send_back_usage_report(data: dict[str, Any], report_id: int) -> UsageReport:
    """Send a received LPJ back to the recipient with a reason."""
    return followup.send_back_usage_report(
        db.current(), _report(report_id), reason=data["reason"], actor=current_actor()
    )


@bp.get("/usage-reports/<int:report_id>/content")
@bp.response(200, BINARY, content_type="application/octet-stream")
@requires("followup.read")
def download_usage_report(report_id: int) -> Response:
    """The stored LPJ document."""
    report = _report(report_id)
    return send_file(
        _store().path(report.stored_name),
        mimetype=report.content_type,
        as_attachment=True,
        download_name=report.original_name,
    )


@bp.get("/cases/<int:case_id>/monitoring-visits")
@bp.response(200, VisitSchema(many=True))
@requires("followup.read")
def list_visits(case_id: int) -> list[MonitoringVisit]:
    """The planned and recorded monitoring visits of a case, by offset."""
    return _visits_of(_case(case_id))


@bp.post("/monitoring-visits/<int:visit_id>/record")
@bp.arguments(VisitInSchema, location="form_and_files")
@bp.response(200, VisitSchema)
@requires("followup.record")
def record_visit(data: dict[str, Any], visit_id: int) -> MonitoringVisit:
    """Record a planned visit as done: date, business status, monthly income, photo, notes."""
    photo = data.pop("photo")
    return followup.record_visit(
        db.current(),
        _visit(visit_id),
        followup.VisitInput(
            photo_name=photo.filename if photo else "",
            photo=photo.read() if photo else None,
            **data,
        ),
        store=_store(),
        actor=current_actor(),
    )
