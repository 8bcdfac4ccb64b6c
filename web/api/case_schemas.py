"""Schemas of cases, their events and their verification data."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import marshmallow as ma
from flask import g
from flask_babel import get_translations, gettext
from flask_smorest.fields import Upload
from marshmallow import fields
from sqlalchemy import Select

from casework import clock
from casework.identity import mask_number
from casework.models.case import STATE_LABELS, Case, CaseState
from casework.models.person import Group, Person
from casework.models.program import BusinessType, DocumentKind, Program
from casework.models.verification import DtsenSource, DtsenStatus
from casework.services.cases import CaseInput
from casework.services.overdue import Ageing
from casework.services.verification import DtsenInput, ItemInput
from web.api.base import current_actor
from web.api.schemas import PageArgsSchema, enum_values
from workflows.engine import allowed_triggers, transitions_for
from workflows.programs import DEFINITIONS

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

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """The fields above, written out by ``case_json`` rather than field by field by
        marshmallow, which cost more than the SQL of a page of cases. ``obj`` is a Case or
        a ``CaseView`` (the list reads those columns only, no ORM objects). The declared
        fields stay the document (OpenAPI) and the reference: tests/api/test_case_json.py
        checks that both give the same JSON."""
        many = self.many if many is None else many
        if self.only or self.exclude:
            return super().dump(obj, many=many)
        # labels in the request's language and the actor's actions, worked out once each
        actor, memo, now = current_actor(), g.setdefault("api_case_memo", {}), clock.now()
        if many:
            return [case_json(_view(case), actor, memo, now) for case in obj]
        return case_json(_view(obj), actor, memo, now)


class CaseView(NamedTuple):
    """What CaseSchema shows of a case: a row of ``case_view_columns()`` (the list), or
    ``view_of`` a Case and its loaded relations (one case)."""

    id: int
    number: str
    program_id: int
    program_code: str | None
    workflow: str | None
    fiscal_year: int
    state: str
    version: int
    due_at: datetime | None
    state_entered_at: datetime | None
    person_id: int | None
    person_name: str | None  # None: no person row (the name is never NULL)
    nik: str | None
    group_id: int | None
    group_name: str | None
    regency_code: str | None
    village_code: str | None
    business_type_id: int | None
    business_type_code: str | None
    requested_package: str | None
    requested_amount: int | None
    assignee_id: int | None
    created_at: datetime | None


def case_view_columns() -> tuple[Any, ...]:
    """The columns of CaseView, in its order, for ``select(...).select_from(Case)`` with
    ``case_view_joins``."""
    return (
        Case.id,
        Case.number,
        Case.program_id,
        Program.code,
        Program.workflow,
        Case.fiscal_year,
        Case.state,
        Case.version,
        Case.due_at,
        Case.state_entered_at,
        Case.person_id,
        Person.full_name,
        Person.nik,
        Case.group_id,
        Group.name,
        Case.regency_code,
        Case.village_code,
        Case.business_type_id,
        BusinessType.code,
        Case.requested_package,
        Case.requested_amount,
        Case.assignee_id,
        Case.created_at,
    )


def case_view_joins(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (from cases) joined to what CaseView reads of the case's relations."""
    return (
        stmt.outerjoin(Program, Program.id == Case.program_id)
        .outerjoin(Person, Person.id == Case.person_id)
        .outerjoin(Group, Group.id == Case.group_id)
        .outerjoin(BusinessType, BusinessType.id == Case.business_type_id)
    )


def view_of(case: Case) -> CaseView:
    program, person, group, business = case.program, case.person, case.group, case.business_type
    return CaseView(
        case.id,
        case.number,
        case.program_id,
        program.code if program is not None else None,
        program.workflow if program is not None else None,
        case.fiscal_year,
        case.state,
        case.version,
        case.due_at,
        case.state_entered_at,
        case.person_id,
        person.full_name if person is not None else None,
        person.nik if person is not None else None,
        case.group_id,
        group.name if group is not None else None,
        case.regency_code,
        case.village_code,
        case.business_type_id,
        business.code if business is not None else None,
        case.requested_package,
        case.requested_amount,
        case.assignee_id,
        case.created_at,
    )


def _view(case: Case | CaseView | Any) -> CaseView:
    if isinstance(case, CaseView):
        return case
    return view_of(case) if isinstance(case, Case) else CaseView._make(case)


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# (catalogue, state) -> the state's label: Flask-Babel's gettext looks the catalogue up on
# every call, which costs as much as writing out a whole case. The catalogue object stands
# for the request's language (and for a catalogue loaded anew).
_STATE_LABELS: dict[tuple[Any, str], str] = {}
_CATALOGUE = object()  # the memo's key of the request's catalogue


def state_label(state: str, memo: dict[Any, Any]) -> str:
    """The state's label in the request's language (the catalogue looked up once a request)."""
    catalogue = memo.get(_CATALOGUE)
    if catalogue is None:
        catalogue = memo[_CATALOGUE] = get_translations()
    key = (catalogue, state)
    label = _STATE_LABELS.get(key)
    if label is None:
        label = _STATE_LABELS[key] = catalogue.gettext(STATE_LABELS[CaseState(state)])
    return label


def case_json(case: CaseView, actor: Any, memo: dict[Any, Any], now: datetime) -> dict[str, Any]:
    """What CaseSchema declares, for ``case`` seen by ``actor`` at ``now``.

    ``memo`` keeps, for the request, the translated state labels and the actions per
    (workflow, state, whether the actor's region covers the case): a page has few distinct
    ones. The values are the columns' own (int, str or None), which marshmallow's Integer
    and String fields would only pass through ``int()`` and ``str()``.
    """
    label = memo.get(case.state)
    if label is None:
        label = memo[case.state] = state_label(case.state, memo)
    # the region counts only as covered or not (transitions_for)
    where = (case.workflow, case.state, actor.covers(case.regency_code))
    actions = memo.get(where)
    if actions is None:
        found = transitions_for(
            DEFINITIONS[str(case.workflow)], case.state, case.regency_code, actor
        )
        actions = memo[where] = tuple(dict.fromkeys(t.trigger for t in found))
    if case.person_name is not None:
        name: str | None = case.person_name
    else:
        name = case.group_name if case.group_name is not None else ""
    data: dict[str, Any] = {
        "id": case.id,
        "number": case.number,
        "program_id": case.program_id,
        "fiscal_year": case.fiscal_year,
        "state": case.state,
        "state_label": label,
        "version": case.version,
        "allowed_triggers": list(actions),
        "due_at": _moment(case.due_at),
        "overdue": case.due_at is not None and case.due_at < now,
        "state_entered_at": _moment(case.state_entered_at),
        "applicant": {
            "kind": "group" if case.group_id is not None else "person",
            "id": case.group_id or case.person_id,
            "name": name,
            "nik_masked": mask_number(case.nik) if case.person_name is not None else None,
        },
        "regency_code": case.regency_code,
        "village_code": case.village_code,
        "business_type_id": case.business_type_id,
        "requested_package": case.requested_package,
        "requested_amount": case.requested_amount,
        "assignee_id": case.assignee_id,
        "created_at": _moment(case.created_at),
    }
    # A dotted attribute whose relation is empty is left out, as marshmallow does.
    if case.program_code is not None:
        data["program"] = case.program_code
    if case.business_type_code is not None:
        data["business_type"] = case.business_type_code
    return data


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


class CasePageSchema(ma.Schema):
    """A page of cases (``page_of`` CaseSchema), its items written in one pass."""

    items = fields.List(fields.Nested(CaseSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    has_next = fields.Boolean(required=True)

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        if many or self.many or self.only or self.exclude:
            return super().dump(obj, many=many)
        return {
            "items": _CASES.dump(obj["items"]),
            "page": int(obj["page"]),
            "per_page": int(obj["per_page"]),
            "has_next": bool(obj["has_next"]),
        }


_CASES = CaseSchema(many=True)


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
