"""Usage reports (LPJ) and monitoring visits (monev): the follow-up of a delivered case."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import TypeVar, cast

from sqlalchemy import Table, exists, func, insert, select
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import Conflict, FieldErrors
from casework.i18n import N_
from casework.models.case import Case, CaseEvent, CaseState
from casework.models.followup import (
    DEFAULT_REPORT_DUE_DAY,
    DEFAULT_REPORT_DUE_MONTH,
    DEFAULT_VISIT_OFFSETS,
    BusinessStatus,
    FollowupRule,
    MonitoringVisit,
    ReportStatus,
    UsageReport,
)
from casework.models.user import Role, User
from casework.services.access import require_region, require_role
from casework.storage import DocumentStore, StoredFile

# Who receives an LPJ and records a visit (the pendamping in the field, or the office).
FIELD_ROLES = frozenset({Role.CASEWORKER, Role.VERIFIER, Role.MANAGER})
# Who decides on an LPJ: the same roles that may fire accept_usage_report.
REVIEW_ROLES = frozenset({Role.VERIFIER, Role.MANAGER})
R = TypeVar("R", UsageReport, MonitoringVisit)
_visits = cast(Table, MonitoringVisit.__table__)


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def followup_rule_for(session: Session, program_id: int) -> FollowupRule:
    """The program's follow-up rule, or an unsaved one holding the defaults."""
    rule = session.scalars(
        select(FollowupRule).where(FollowupRule.program_id == program_id)
    ).first()
    return rule or FollowupRule(
        program_id=program_id,
        report_due_month=DEFAULT_REPORT_DUE_MONTH,
        report_due_day=DEFAULT_REPORT_DUE_DAY,
        visit_offsets=DEFAULT_VISIT_OFFSETS,
    )


def usage_report_due_on(session: Session, case: Case) -> date:
    """The LPJ due date: by default 10 January of the year after the case's fiscal year."""
    return report_due_by_rule(followup_rule_for(session, case.program_id), case.fiscal_year)


def report_due_by_rule(rule: FollowupRule, fiscal_year: int) -> date:
    """The LPJ due date the program's rule sets for a case of ``fiscal_year``."""
    return date(fiscal_year + 1, rule.report_due_month, rule.report_due_day)


def delivered_on(session: Session, case: Case) -> date | None:
    """The day (WITA) the case was delivered: its last move into ``delivered``."""
    stmt = (
        select(CaseEvent.at)
        .where(CaseEvent.case_id == case.id, CaseEvent.to_state == CaseState.DELIVERED.value)
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
    at = session.scalar(stmt)
    return at.astimezone(clock.WITA).date() if at is not None else None


def _require(case: Case, actor: User, roles: frozenset[Role], states: set[CaseState]) -> None:
    require_role(actor, roles)
    require_region(actor, case.regency_code)
    if case.state not in states:
        raise Conflict(N_("This cannot be done while the case is in this state."))


@dataclass
class UsageReportInput:
    received_on: date | None
    income_before: int | None
    filename: str
    content: bytes
    summary: str = ""


def _check_report(session: Session, case: Case, data: UsageReportInput) -> None:
    errors = FieldErrors()
    if data.received_on is None:
        errors.add("received_on", N_("This field is required."))
    elif data.received_on > clock.today_wita():
        errors.add("received_on", N_("The date cannot be in the future."))
    else:
        delivered = delivered_on(session, case)
        if delivered is not None and data.received_on < delivered:
            errors.add("received_on", N_("The date cannot be before the delivery."))
    if data.income_before is None:
        errors.add("income_before", N_("This field is required."))
    elif data.income_before < 0:
        errors.add("income_before", N_("The amount cannot be negative."))
    pending = select(UsageReport.id).where(
        UsageReport.case_id == case.id, UsageReport.status != ReportStatus.SENT_BACK
    )
    if session.scalar(select(exists(pending))):
        errors.add("file", N_("A usage report of this case is already received or accepted."))
    errors.raise_if_any()


def receive_usage_report(
    session: Session, case: Case, data: UsageReportInput, *, store: DocumentStore, actor: User
) -> UsageReport:
    """Record an LPJ received for a case awaiting its report.

    Rules: field roles in the actor's region; the date not in the future nor before the
    delivery; income before the aid ≥ 0; one report under review or accepted at a time;
    the document is a PDF, JPG or PNG (checked by content).
    """
    _require(case, actor, FIELD_ROLES, {CaseState.AWAITING_REPORT})
    _check_report(session, case, data)
    stored = store.save(data.content, field="file")
    assert data.received_on is not None and data.income_before is not None
    report = UsageReport(
        case_id=case.id,
        received_on=data.received_on,
        income_before=data.income_before,
        summary=data.summary.strip(),
        original_name=(data.filename or "lpj")[-255:],
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        status=ReportStatus.SUBMITTED,
        received_by_id=actor.id,
        recorded_at=clock.now(),
    )
    return _flush_or_discard(session, report, store, stored)


def _flush_or_discard(session: Session, row: R, store: DocumentStore, stored: StoredFile) -> R:
    session.add(row)
    try:
        session.flush()
    except Exception:
        store.discard(stored.stored_name)
        raise
    return row


def _review(report: UsageReport, actor: User) -> None:
    _require(report.case, actor, REVIEW_ROLES, {CaseState.AWAITING_REPORT})
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict(N_("This usage report has already been reviewed."))


def accept_usage_report(session: Session, report: UsageReport, *, actor: User) -> UsageReport:
    """Accept a received LPJ (verifier or manager); the case may then enter monitoring."""
    _review(report, actor)
    report.status = ReportStatus.ACCEPTED
    report.reviewed_by_id, report.reviewed_at = actor.id, clock.now()
    session.flush()
    return report


def send_back_usage_report(
    session: Session, report: UsageReport, *, reason: str, actor: User
) -> UsageReport:
    """Send a received LPJ back to the recipient with a reason; a new one may be received."""
    _review(report, actor)
    reason = (reason or "").strip()
    if not reason:
        errors = FieldErrors()
        errors.add("reason", N_("A reason is required for this action."))
        errors.raise_if_any()
    report.status = ReportStatus.SENT_BACK
    report.review_note = reason
    report.reviewed_by_id, report.reviewed_at = actor.id, clock.now()
    session.flush()
    return report


def has_accepted_report(session: Session, case_id: int) -> bool:
    """Whether the case has an accepted LPJ."""
    stmt = select(UsageReport.id).where(
        UsageReport.case_id == case_id, UsageReport.status == ReportStatus.ACCEPTED
    )
    return bool(session.scalar(select(exists(stmt))))


def plan_monitoring_visits(session: Session, case: Case) -> int:
    """Plan one visit per program offset after delivery (missing ones only); return how many.

    Runs as a workflow effect while the engine holds the case's pending state change, so
    it reads without autoflush and inserts with one Core statement (no ORM flush of the case).
    """
    with session.no_autoflush:
        start = delivered_on(session, case) or clock.today_wita()
        offsets = followup_rule_for(session, case.program_id).offsets
        planned = set(
            session.scalars(
                select(MonitoringVisit.offset_months).where(MonitoringVisit.case_id == case.id)
            )
        )
    rows = [
        {
            "case_id": case.id,
            "offset_months": months,
            "due_on": add_months(start, months),
            "notes": "",
        }
        for months in offsets
        if months not in planned
    ]
    if rows:
        session.connection().execute(insert(_visits), rows)
    return len(rows)


def open_visit_count(session: Session, case_id: int) -> tuple[int, int]:
    """(planned visits, of which not yet done) for the case."""
    row = session.execute(
        select(
            func.count(MonitoringVisit.id),
            func.count(MonitoringVisit.id).filter(MonitoringVisit.visited_on.is_(None)),
        ).where(MonitoringVisit.case_id == case_id)
    ).one()
    return int(row[0]), int(row[1])


def open_visits(session: Session, case_id: int) -> list[MonitoringVisit]:
    """The planned visits of the case not yet done, earliest first."""
    stmt = (
        select(MonitoringVisit)
        .where(MonitoringVisit.case_id == case_id, MonitoringVisit.visited_on.is_(None))
        .order_by(MonitoringVisit.offset_months)
    )
    return list(session.scalars(stmt))


@dataclass
class VisitInput:
    visited_on: date | None
    business_status: str | None
    monthly_income: int | None
    notes: str = ""
    photo_name: str = ""
    photo: bytes | None = None


def _check_visit(session: Session, visit: MonitoringVisit, data: VisitInput) -> None:
    errors = FieldErrors()
    if visit.done:
        errors.add("visited_on", N_("This visit has already been recorded."))
    if data.visited_on is None:
        errors.add("visited_on", N_("This field is required."))
    elif data.visited_on > clock.today_wita():
        errors.add("visited_on", N_("The date cannot be in the future."))
    else:
        delivered = delivered_on(session, visit.case)
        if delivered is not None and data.visited_on < delivered:
            errors.add("visited_on", N_("The date cannot be before the delivery."))
    if data.business_status not in {s.value for s in BusinessStatus}:
        errors.add("business_status", N_("Choose the state of the business."))
    if data.monthly_income is None:
        errors.add("monthly_income", N_("This field is required."))
    elif data.monthly_income < 0:
        errors.add("monthly_income", N_("The amount cannot be negative."))
    errors.raise_if_any()


def record_visit(
    session: Session,
    visit: MonitoringVisit,
    data: VisitInput,
    *,
    store: DocumentStore,
    actor: User,
) -> MonitoringVisit:
    """Record a planned monitoring visit as done: date, officer, business status, income.

    Rules: field roles in the actor's region, the case in monitoring; each visit once; the
    date not in the future nor before the delivery; income in Rupiah ≥ 0; an optional
    photo (JPG, PNG or PDF, checked by content).
    """
    _require(visit.case, actor, FIELD_ROLES, {CaseState.MONITORING})
    _check_visit(session, visit, data)
    assert data.business_status is not None
    visit.visited_on = data.visited_on
    visit.business_status = BusinessStatus(data.business_status)
    visit.monthly_income = data.monthly_income
    visit.notes = data.notes.strip()
    visit.officer_id = actor.id
    visit.recorded_at = clock.now()
    if not data.photo:
        session.flush()
        return visit
    stored = store.save(data.photo, field="photo")
    visit.photo_name = (data.photo_name or "foto")[-255:]
    visit.photo_stored_name, visit.photo_content_type = stored.stored_name, stored.content_type
    return _flush_or_discard(session, visit, store, stored)
