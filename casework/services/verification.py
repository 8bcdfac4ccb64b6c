"""Verification data of a case: documents, DTSEN checks, overrides and the field assessment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from casework import clock
from casework.errors import FieldErrors, NotAllowed, field_error
from casework.i18n import N_
from casework.models.case import Case, CaseState
from casework.models.program import DocumentKind
from casework.models.user import CASEWORK_WRITE_ROLES, Role, User
from casework.models.verification import (
    Assessment,
    AssessmentItem,
    Document,
    DtsenCheck,
    DtsenSource,
    DtsenStatus,
)
from casework.services.access import require_region, require_role
from casework.storage import DocumentStore

# Verification data may change until the case is recommended.
OPEN_FOR_VERIFICATION = frozenset(
    {
        CaseState.DRAFT,
        CaseState.SUBMITTED,
        CaseState.ADMIN_VERIFICATION,
        CaseState.DTSEN_CHECK,
        CaseState.FIELD_ASSESSMENT,
        CaseState.RETURNED,
    }
)


def _require_open(case: Case, actor: User) -> None:
    require_role(actor, CASEWORK_WRITE_ROLES)
    require_region(actor, case.regency_code)
    if case.state not in OPEN_FOR_VERIFICATION:
        raise NotAllowed(N_("Verification data cannot change after the case is recommended."))


def attach_document(
    session: Session,
    case: Case,
    *,
    kind: str,
    filename: str,
    content: bytes,
    store: DocumentStore,
    actor: User,
) -> Document:
    """Store an uploaded document (PDF, JPG or PNG by content, size limited) on the case."""
    _require_open(case, actor)
    errors = FieldErrors()
    if kind not in {k.value for k in DocumentKind}:
        errors.add("kind", N_("Choose the kind of document."))
    errors.raise_if_any()
    stored = store.save(content)
    document = Document(
        case_id=case.id,
        kind=DocumentKind(kind),
        original_name=(filename or "dokumen")[-255:],
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        uploaded_by_id=actor.id,
        uploaded_at=clock.now(),
    )
    session.add(document)
    try:
        session.flush()
    except Exception:
        store.discard(stored.stored_name)
        raise
    return document


@dataclass
class DtsenInput:
    status: str
    source: str
    checked_on: date | None
    decile: int | None = None
    notes: str = ""
    evidence_document_id: int | None = None


def record_dtsen_check(
    session: Session, case: Case, data: DtsenInput, *, actor: User
) -> DtsenCheck:
    """Record a DTSEN check (status, decile 1–10 when registered, source, date, evidence)."""
    _require_open(case, actor)
    errors = FieldErrors()
    if data.status not in {s.value for s in DtsenStatus}:
        errors.add("status", N_("Choose a DTSEN status."))
    if data.source not in {s.value for s in DtsenSource}:
        errors.add("source", N_("Choose where the DTSEN data came from."))
    if data.checked_on is None:
        errors.add("checked_on", N_("This field is required."))
    elif data.checked_on > clock.today_wita():
        errors.add("checked_on", N_("The date cannot be in the future."))
    if data.status == DtsenStatus.REGISTERED.value:
        if data.decile is None or not 1 <= data.decile <= 10:
            errors.add("decile", N_("A registered applicant has a decile from 1 to 10."))
    elif data.decile is not None:
        errors.add("decile", N_("Only a registered applicant has a decile."))
    if data.evidence_document_id is not None:
        evidence = session.get(Document, data.evidence_document_id)
        if evidence is None or evidence.case_id != case.id:
            errors.add("evidence_document_id", N_("The evidence must be a document of this case."))
    errors.raise_if_any()
    assert data.checked_on is not None
    check = DtsenCheck(
        case_id=case.id,
        status=DtsenStatus(data.status),
        decile=data.decile,
        source=DtsenSource(data.source),
        checked_on=data.checked_on,
        officer_id=actor.id,
        evidence_document_id=data.evidence_document_id,
        notes=data.notes.strip(),
        recorded_at=clock.now(),
    )
    session.add(check)
    session.flush()
    return check


def record_dtsen_override(session: Session, case: Case, *, reason: str, actor: User) -> Case:
    """A manager lets a case pass the DTSEN rule, with a recorded reason."""
    require_role(actor, {Role.MANAGER})
    _require_open(case, actor)
    if not reason.strip():
        raise field_error("reason", N_("A reason is required for this action."))
    case.dtsen_override_reason = reason.strip()
    case.dtsen_override_by_id = actor.id
    session.flush()
    return case


@dataclass
class ItemInput:
    name: str
    quantity: int
    unit_price: int
    unit: str = "unit"


def record_assessment(
    session: Session,
    case: Case,
    *,
    feasibility_notes: str,
    is_feasible: bool,
    assessed_on: date | None,
    items: list[ItemInput],
    actor: User,
) -> Assessment:
    """Record the field assessment: feasibility and the package of goods with unit prices."""
    _require_open(case, actor)
    errors = FieldErrors()
    if not feasibility_notes.strip():
        errors.add("feasibility_notes", N_("This field is required."))
    if assessed_on is None:
        errors.add("assessed_on", N_("This field is required."))
    elif assessed_on > clock.today_wita():
        errors.add("assessed_on", N_("The date cannot be in the future."))
    if not items:
        errors.add("items", N_("List at least one item of the package."))
    for i, item in enumerate(items):
        if not item.name.strip():
            errors.add(f"items-{i}-name", N_("This field is required."))
        if item.quantity < 1:
            errors.add(f"items-{i}-quantity", N_("The quantity must be at least 1."))
        if item.unit_price < 0:
            errors.add(f"items-{i}-unit_price", N_("The price cannot be negative."))
    errors.raise_if_any()
    assert assessed_on is not None
    assessment = Assessment(
        case_id=case.id,
        feasibility_notes=feasibility_notes.strip(),
        is_feasible=is_feasible,
        assessed_on=assessed_on,
        assessor_id=actor.id,
        recorded_at=clock.now(),
        items=[
            AssessmentItem(
                name=i.name.strip(),
                quantity=i.quantity,
                unit=i.unit.strip() or "unit",
                unit_price=i.unit_price,
            )
            for i in items
        ],
    )
    session.add(assessment)
    session.flush()
    return assessment
