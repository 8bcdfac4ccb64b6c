"""Verification data of a case: documents (upload and download), DTSEN checks, assessments."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, send_file
from sqlalchemy import select

from casework.errors import NotFound
from casework.models.case import Case
from casework.models.verification import Assessment, Document, DtsenCheck
from casework.services.access import get_scoped
from casework.services.verification import (
    DtsenInput,
    attach_document,
    record_assessment,
    record_dtsen_check,
)
from casework.storage import DocumentStore
from web.api.base import current_actor, make_blueprint, requires
from web.api.case_schemas import (
    AssessmentInSchema,
    AssessmentSchema,
    DocumentSchema,
    DocumentUploadSchema,
    DtsenCheckSchema,
    DtsenInSchema,
)
from web.db import db

bp = make_blueprint(
    "verification", "Documents, DTSEN checks and field assessments.", personal_data=True
)

BINARY = {"type": "string", "format": "binary"}


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["UPLOAD_DIR"], current_app.config["MAX_UPLOAD_BYTES"])


def _case(case_id: int) -> Case:
    return get_scoped(db.current(), Case, case_id, current_actor())


@bp.get("/cases/<int:case_id>/documents")
@bp.response(200, DocumentSchema(many=True))
@requires("document.read")
def list_documents(case_id: int) -> list[Document]:
    """The documents of a case, oldest first."""
    case = _case(case_id)
    stmt = select(Document).where(Document.case_id == case.id).order_by(Document.id)
    return list(db.current().scalars(stmt))


@bp.post("/cases/<int:case_id>/documents")
@bp.arguments(DocumentUploadSchema, location="form_and_files")
@bp.response(201, DocumentSchema)
@requires("document.write")
def upload_document(data: dict[str, Any], case_id: int) -> Document:
    """Upload a PDF, JPG or PNG (type checked by content, not by name; size limited)."""
    case = _case(case_id)
    upload = data["file"]
    return attach_document(
        db.current(),
        case,
        kind=data["kind"],
        filename=upload.filename or "",
        content=upload.read(),
        store=_store(),
        actor=current_actor(),
    )


@bp.get("/documents/<int:document_id>/content")
@bp.response(200, BINARY, content_type="application/octet-stream")
@requires("document.read")
def download_document(document_id: int) -> Response:
    """The stored file, for callers whose region covers the document's case."""
    document = db.current().get(Document, document_id)
    if document is None:
        raise NotFound()
    _case(document.case_id)
    return send_file(
        _store().path(document.stored_name),
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.original_name,
    )


@bp.get("/cases/<int:case_id>/dtsen-checks")
@bp.response(200, DtsenCheckSchema(many=True))
@requires("verification.read")
def list_dtsen_checks(case_id: int) -> list[DtsenCheck]:
    """The DTSEN checks recorded on a case, oldest first."""
    case = _case(case_id)
    stmt = select(DtsenCheck).where(DtsenCheck.case_id == case.id).order_by(DtsenCheck.id)
    return list(db.current().scalars(stmt))


@bp.post("/cases/<int:case_id>/dtsen-checks")
@bp.arguments(DtsenInSchema)
@bp.response(201, DtsenCheckSchema)
@requires("verification.write")
def create_dtsen_check(data: DtsenInput, case_id: int) -> DtsenCheck:
    """Record a DTSEN check (decile 1–10 only when registered; date not in the future)."""
    return record_dtsen_check(db.current(), _case(case_id), data, actor=current_actor())


@bp.get("/cases/<int:case_id>/assessments")
@bp.response(200, AssessmentSchema(many=True))
@requires("verification.read")
def list_assessments(case_id: int) -> list[Assessment]:
    """The field assessments of a case with their items, oldest first."""
    case = _case(case_id)
    stmt = select(Assessment).where(Assessment.case_id == case.id).order_by(Assessment.id)
    return list(db.current().scalars(stmt))


@bp.post("/cases/<int:case_id>/assessments")
@bp.arguments(AssessmentInSchema)
@bp.response(201, AssessmentSchema)
@requires("verification.write")
def create_assessment(data: dict[str, Any], case_id: int) -> Assessment:
    """Record a field assessment: feasibility and the package of goods with unit prices."""
    return record_assessment(db.current(), _case(case_id), actor=current_actor(), **data)
