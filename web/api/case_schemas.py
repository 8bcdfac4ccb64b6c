"""Schemas of cases, their events and their verification data."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import gettext
from flask_smorest.fields import Upload
from marshmallow import fields

from casework.models.case import STATE_LABELS, Case, CaseState
from casework.models.program import DocumentKind
from casework.models.verification import DtsenSource, DtsenStatus
from casework.services.cases import CaseInput
from casework.services.overdue import Ageing
from casework.services.verification import DtsenInput, ItemInput
from web.api.base import current_actor
from web.api.schemas import PageArgsSchema, enum_values, page_of
from workflows.engine import allowed_triggers

STRING_LIST = {"type": "array", "items": {"type": "string"}}


class WholeObject(fields.Nested):
    """A nested schema that reads the parent object itself (an applicant view of a case)."""

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        return obj


def _applicant_kind(case: Case) -> str:
    return "group" if case.group_id is not None else "person"


def _applicant_nik(case: Case) -> str | None:
    return case.person.nik_masked if case.person is not None else None


class ApplicantSchema(ma.Schema):
    kind = fields.Function(_applicant_kind, metadata={"enum": ["person", "group"]})
    id = fields.Function(lambda case: case.group_id or case.person_id, metadata={"type": "integer"})
    name = fields.String(attribute="applicant_name")
    nik_masked = fields.Function(_applicant_nik, metadata={"type": "string", "nullable": True})


class CaseSchema(ma.Schema):
    id = fields.Integer()
    number = fields.String()
    program = fields.String(attribute="program.code")
    program_id = fields.Integer()
    fiscal_year = fields.Integer()
    state = fields.String(metadata=enum_values(CaseState))
    state_label = fields.Function(
        lambda case: gettext(STATE_LABELS[CaseState(case.state)]), metadata={"type": "string"}
    )
    version = fields.Integer()
    allowed_triggers = fields.Function(
        lambda case: allowed_triggers(case, current_actor()),
        metadata={**STRING_LIST, "description": "Actions the caller may try now."},
    )
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Function(lambda case: case.is_overdue(), metadata={"type": "boolean"})
    state_entered_at = fields.DateTime()
    applicant = WholeObject(ApplicantSchema)
    regency_code = fields.String()
    village_code = fields.String()
    business_type = fields.String(attribute="business_type.code")
    business_type_id = fields.Integer()
    requested_package = fields.String()
    requested_amount = fields.Integer(metadata={"description": "Rupiah."})
    assignee_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class CaseInSchema(ma.Schema):
    program_id = fields.Integer(required=True)
    fiscal_year = fields.Integer(required=True)
    business_type_id = fields.Integer(required=True)
    person_id = fields.Integer(load_default=None, allow_none=True)
    group_id = fields.Integer(load_default=None, allow_none=True)
    requested_package = fields.String(load_default="")
    requested_amount = fields.Integer(load_default=0, metadata={"description": "Rupiah."})

    @ma.post_load
    def _to_input(self, data: dict[str, Any], **_kwargs: Any) -> CaseInput:
        return CaseInput(**data)


INVALID = "Invalid value."  # a msgid of web.api.base.SCHEMA_MESSAGES


class CaseQuerySchema(PageArgsSchema):
    program = fields.String(metadata={"description": "Program code, e.g. WRSE."})
    state = fields.String(metadata=enum_values(CaseState))
    regency = fields.String(metadata={"description": "Kabupaten/kota code, e.g. 64.02."})
    fiscal_year = fields.Integer()
    overdue = fields.Boolean(metadata={"description": "Open and past its deadline."})
    open = fields.Boolean(metadata={"description": "Not closed, rejected or cancelled."})
    ageing = fields.String(
        validate=ma.validate.OneOf([a.value for a in Ageing], error=INVALID),
        metadata={
            **enum_values(Ageing),
            "description": "Due soon, or overdue by 1–5, 6–20 or more than 20 working days.",
        },
    )
    assignee = fields.String(
        validate=ma.validate.Regexp(r"^([0-9]+|none)$", error=INVALID),
        metadata={"description": "User id of the assignee, or `none` for unassigned cases."},
    )
    pokir_line = fields.String(
        validate=ma.validate.Regexp(r"^([0-9]+|none)$", error=INVALID),
        metadata={"description": "Id of the pokir line the case was proposed through, or `none`."},
    )
    q = fields.String(metadata={"description": "Start of the case number."})


class TransitionInSchema(ma.Schema):
    trigger = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)
    expected_version = fields.Integer(load_default=None, allow_none=True)


class CaseEventSchema(ma.Schema):
    id = fields.Integer()
    trigger = fields.String()
    from_state = fields.String()
    to_state = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.Function(
        lambda event: event.actor.full_name if event.actor is not None else None,
        metadata={"type": "string", "nullable": True},
    )
    reason = fields.String(allow_none=True)
    at = fields.DateTime()
    case_version = fields.Integer()


CasePageSchema = page_of(CaseSchema, "CasePage")


# --- Verification -------------------------------------------------------------------------


class DocumentSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    kind = fields.String(metadata=enum_values(DocumentKind))
    original_name = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.DateTime()
    uploaded_by_id = fields.Integer(allow_none=True)


class DocumentUploadSchema(ma.Schema):
    kind = fields.String(required=True, metadata=enum_values(DocumentKind))
    file = Upload(required=True, metadata={"description": "PDF, JPG or PNG."})


class DtsenInSchema(ma.Schema):
    status = fields.String(required=True, metadata=enum_values(DtsenStatus))
    source = fields.String(required=True, metadata=enum_values(DtsenSource))
    checked_on = fields.Date(required=True)
    decile = fields.Integer(load_default=None, allow_none=True)
    notes = fields.String(load_default="")
    evidence_document_id = fields.Integer(load_default=None, allow_none=True)

    @ma.post_load
    def _to_input(self, data: dict[str, Any], **_kwargs: Any) -> DtsenInput:
        return DtsenInput(**data)


class DtsenCheckSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    status = fields.String(metadata=enum_values(DtsenStatus))
    decile = fields.Integer(allow_none=True)
    source = fields.String(metadata=enum_values(DtsenSource))
    checked_on = fields.Date()
    officer_id = fields.Integer(allow_none=True)
    evidence_document_id = fields.Integer(allow_none=True)
    notes = fields.String()
    recorded_at = fields.DateTime()


class ItemInSchema(ma.Schema):
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = fields.Integer(required=True, metadata={"description": "Rupiah."})
    unit = fields.String(load_default="unit")

    @ma.post_load
    def _to_input(self, data: dict[str, Any], **_kwargs: Any) -> ItemInput:
        return ItemInput(**data)


class AssessmentInSchema(ma.Schema):
    feasibility_notes = fields.String(required=True)
    is_feasible = fields.Boolean(required=True)
    assessed_on = fields.Date(required=True)
    items = fields.List(fields.Nested(ItemInSchema), required=True)


class AssessmentItemSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    quantity = fields.Integer()
    unit = fields.String()
    unit_price = fields.Integer()
    subtotal = fields.Integer()


class AssessmentSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    feasibility_notes = fields.String()
    is_feasible = fields.Boolean()
    assessed_on = fields.Date()
    assessor_id = fields.Integer(allow_none=True)
    recorded_at = fields.DateTime()
    items = fields.List(fields.Nested(AssessmentItemSchema))
    total = fields.Integer(metadata={"description": "Rupiah."})
