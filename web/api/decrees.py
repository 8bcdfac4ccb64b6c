"""Decrees (SK): drafts gathering approved cases, issuing all-or-nothing, corrective decrees."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, jsonify
from flask_babel import gettext
from marshmallow import fields
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casework.models.decree import (
    DECREE_CHANGE_LABELS,
    DECREE_KIND_LABELS,
    DECREE_STATUS_LABELS,
    Decree,
    DecreeChangeKind,
    DecreeEntry,
    DecreeKind,
    DecreeStatus,
)
from casework.services import decrees
from casework.services.decrees import DecreeInput, DecreeRefused
from web.api.base import current_actor, make_blueprint, paginate, requires
from web.api.case_schemas import CasePageSchema
from web.api.schemas import PageArgsSchema, enum_values, page_of
from web.db import db
from web.i18n import error_message

bp = make_blueprint(
    "decrees", "Decrees (SK) fixing the recipients of approved cases.", personal_data=True
)

TEXT_LIST = fields.List(fields.String(), load_default=list)


class DecreeEntrySchema(ma.Schema):
    case_id = fields.Integer()
    case_number = fields.String(attribute="case.number")
    applicant = fields.String(attribute="case.applicant_name")
    regency_code = fields.String(attribute="case.regency_code")
    state = fields.String(attribute="case.state")
    amount = fields.Integer(metadata={"description": "Rupiah fixed by the decree."})
    revoked = fields.Boolean()


class DecreeChangeSchema(ma.Schema):
    case_id = fields.Integer()
    case_number = fields.String(attribute="case.number")
    kind = fields.String(metadata=enum_values(DecreeChangeKind))
    kind_label = fields.Function(
        lambda c: gettext(DECREE_CHANGE_LABELS[c.kind]), metadata={"type": "string"}
    )
    old_amount = fields.Integer()
    new_amount = fields.Integer(allow_none=True)
    reason = fields.String()


def _visible_entries(decree: Decree) -> list[DecreeEntry]:
    """The listed cases the caller's region covers (a decree may span kabupaten)."""
    actor = current_actor()
    return [e for e in decree.entries if actor.covers(e.case.regency_code)]


class DecreeSummarySchema(ma.Schema):
    id = fields.Integer()
    program = fields.String(attribute="program.code")
    program_id = fields.Integer()
    fiscal_year = fields.Integer()
    kind = fields.String(metadata=enum_values(DecreeKind))
    kind_label = fields.Function(
        lambda d: gettext(DECREE_KIND_LABELS[d.kind]), metadata={"type": "string"}
    )
    status = fields.String(metadata=enum_values(DecreeStatus))
    status_label = fields.Function(
        lambda d: gettext(DECREE_STATUS_LABELS[DecreeStatus(d.status)]),
        metadata={"type": "string"},
    )
    number = fields.String(allow_none=True)
    decree_date = fields.Date()
    title = fields.String()
    corrects_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    issued_at = fields.DateTime(allow_none=True)


class DecreeSchema(DecreeSummarySchema):
    signatory_name = fields.String()
    signatory_position = fields.String()
    signatory_nip = fields.String()
    considerations = fields.List(fields.String(), metadata={"description": "Menimbang."})
    legal_basis = fields.List(fields.String(), metadata={"description": "Mengingat."})
    total_amount = fields.Integer(metadata={"description": "Rupiah, revoked entries excluded."})
    entries = fields.Function(
        lambda d: DecreeEntrySchema(many=True).dump(_visible_entries(d)),
        metadata={"type": "array", "items": {"type": "object"}},
    )
    changes = fields.List(fields.Nested(DecreeChangeSchema))


DecreePageSchema = page_of(DecreeSummarySchema, "DecreePage")


class DecreeQuerySchema(PageArgsSchema):
    program_id = fields.Integer()
    fiscal_year = fields.Integer()
    status = fields.String(metadata=enum_values(DecreeStatus))


class CorrectiveDecreeInSchema(ma.Schema):
    title = fields.String(load_default="")
    decree_date = fields.Date(load_default=None, allow_none=True)
    signatory_name = fields.String(load_default="")
    signatory_position = fields.String(load_default="")
    signatory_nip = fields.String(load_default="")
    considerations = TEXT_LIST
    legal_basis = fields.List(fields.String(), load_default=list)


class DecreeInSchema(CorrectiveDecreeInSchema):
    program_id = fields.Integer(load_default=None, allow_none=True)
    fiscal_year = fields.Integer(load_default=None, allow_none=True)
    case_ids = fields.List(
        fields.Integer(),
        load_default=list,
        metadata={"description": "Approved cases to list right away (optional)."},
    )


class CaseIdsSchema(ma.Schema):
    case_ids = fields.List(fields.Integer(), required=True)


class ChangeInSchema(ma.Schema):
    case_id = fields.Integer(required=True)
    remove = fields.Boolean(load_default=False)
    new_amount = fields.Integer(
        load_default=None, allow_none=True, metadata={"description": "Rupiah (when not removed)."}
    )
    reason = fields.String(load_default="")


def _decree(decree_id: int, *, with_entries: bool = False) -> Decree:
    stmt = select(Decree).where(Decree.id == decree_id)
    if with_entries:
        stmt = stmt.options(selectinload(Decree.entries).selectinload(DecreeEntry.case))
    decree = db.current().scalars(stmt).first()
    if decree is None:
        return decrees.get_decree(db.current(), decree_id)  # raises NotFound
    return decree


def _input(data: dict[str, Any]) -> DecreeInput:
    return DecreeInput(
        program_id=data.get("program_id"),
        fiscal_year=data.get("fiscal_year"),
        title=data["title"],
        decree_date=data["decree_date"],
        signatory_name=data["signatory_name"],
        signatory_position=data["signatory_position"],
        signatory_nip=data["signatory_nip"],
        considerations=data["considerations"],
        legal_basis=data["legal_basis"],
    )


@bp.get("/decrees")
@bp.arguments(DecreeQuerySchema, location="query")
@bp.response(200, DecreePageSchema)
@requires("decree.read")
def list_decrees(args: dict[str, Any]) -> dict[str, Any]:
    """Decrees, newest first, filtered by program, fiscal year and status."""
    stmt = select(Decree).options(selectinload(Decree.program))
    for name in ("program_id", "fiscal_year", "status"):
        if args.get(name) is not None:
            stmt = stmt.where(getattr(Decree, name) == args[name])
    return paginate(stmt.order_by(Decree.id.desc()), args["page"], args["per_page"])


@bp.post("/decrees")
@bp.arguments(DecreeInSchema)
@bp.response(201, DecreeSchema)
@requires("decree.write")
def create_decree(data: dict[str, Any]) -> Decree:
    """Draft a decree (managers) for a program and year, listing approved cases if given.

    Its kind (SK Gubernur or SK Kepala Dinas) is the one configured for the program.
    """
    session, actor = db.current(), current_actor()
    decree = decrees.create_decree(session, _input(data), actor=actor)
    if data["case_ids"]:
        decrees.add_cases(session, decree, data["case_ids"], actor=actor)
    return decree


@bp.get("/decrees/<int:decree_id>")
@bp.response(200, DecreeSchema)
@requires("decree.read")
def get_decree(decree_id: int) -> Decree:
    """One decree with the listed cases of the caller's region and its changes."""
    return _decree(decree_id, with_entries=True)


@bp.get("/decrees/<int:decree_id>/candidates")
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, CasePageSchema)
@requires("decree.read")
def list_candidates(args: dict[str, Any], decree_id: int) -> dict[str, Any]:
    """Approved cases of the decree's program and year that it could still list."""
    stmt = decrees.candidate_cases(_decree(decree_id), current_actor())
    return paginate(stmt, args["page"], args["per_page"])


@bp.post("/decrees/<int:decree_id>/cases")
@bp.arguments(CaseIdsSchema)
@bp.response(200, DecreeSchema)
@requires("decree.write")
def add_cases(data: dict[str, Any], decree_id: int) -> Decree:
    """List approved cases in a draft decree; one bad case refuses all (field errors)."""
    decree = _decree(decree_id)
    decrees.add_cases(db.current(), decree, data["case_ids"], actor=current_actor())
    return decree


@bp.delete("/decrees/<int:decree_id>/cases/<int:case_id>")
@bp.response(200, DecreeSchema)
@requires("decree.write")
def remove_case(decree_id: int, case_id: int) -> Decree:
    """Take a case off a draft decree."""
    decree = _decree(decree_id)
    decrees.remove_cases(db.current(), decree, [case_id], actor=current_actor())
    return decree


def _refused_response(refused: DecreeRefused) -> Response:
    """409 with the reason of every case that could not move, as ``case-<id>`` fields."""
    body = {
        "code": refused.code,
        "message": error_message(refused),
        "fields": {f"case-{i}": [error_message(e)] for i, e in refused.refused.items()},
    }
    response = jsonify({"error": body})
    response.status_code = refused.status
    return response


@bp.post("/decrees/<int:decree_id>/issue")
@bp.response(200, DecreeSchema)
@bp.alt_response(409, description="Some listed cases could not be decreed; nothing changed.")
@requires("decree.write")
def issue_decree(decree_id: int) -> Decree | Response:
    """Number the decree and move every listed case to decreed, all or nothing.

    A corrective decree applies its changes instead (revoked recipients are cancelled).
    """
    decree = _decree(decree_id)
    try:
        return decrees.issue_decree(db.current(), decree, actor=current_actor())
    except DecreeRefused as refused:  # the unit of work rolls back on the 409
        return _refused_response(refused)


@bp.post("/decrees/<int:decree_id>/corrections")
@bp.arguments(CorrectiveDecreeInSchema)
@bp.response(201, DecreeSchema)
@requires("decree.write")
def create_corrective_decree(data: dict[str, Any], decree_id: int) -> Decree:
    """Draft a corrective decree (SK perubahan) of an issued decree."""
    original = _decree(decree_id)
    data = {**data, "program_id": original.program_id, "fiscal_year": original.fiscal_year}
    return decrees.create_corrective_decree(
        db.current(), original, _input(data), actor=current_actor()
    )


@bp.post("/decrees/<int:decree_id>/changes")
@bp.arguments(ChangeInSchema)
@bp.response(201, DecreeSchema)
@requires("decree.write")
def add_change(data: dict[str, Any], decree_id: int) -> Decree:
    """List a change in a draft corrective decree: remove a recipient or correct an amount."""
    decree = _decree(decree_id)
    decrees.add_correction(db.current(), decree, actor=current_actor(), **data)
    return decree
