"""Schemas shared by the API: errors, pages, reference data, persons and groups.

The same schemas validate requests and generate /api/v1/openapi.json. NIK and KK leave the
API masked only: the output schemas have no field for the clear values.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from casework.i18n import N_
from casework.models.person import GroupRole, MaritalStatus, Sex
from casework.models.region import RegionLevel
from casework.services.registry import GroupInput, MemberInput, PersonInput

AT_LEAST_ONE = N_("Must be at least 1.")


def enum_values(enum: Any) -> dict[str, Any]:
    """OpenAPI metadata listing an enum's values (the domain checks them, in words)."""
    return {"enum": [member.value for member in enum]}


class ErrorBodySchema(ma.Schema):
    code = fields.String(required=True, metadata={"description": "Stable code for clients."})
    message = fields.String(required=True, metadata={"description": "Translated message."})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages per field (validation errors)."},
    )
    allowed_triggers = fields.List(fields.String(), metadata={"description": "On 409."})
    rule = fields.String(metadata={"description": "The workflow rule that refused (422)."})
    existing_id = fields.Integer(metadata={"description": "The existing record (duplicate)."})


class ErrorSchema(ma.Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class PageArgsSchema(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, error=AT_LEAST_ONE))
    per_page = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, error=AT_LEAST_ONE),
        metadata={"description": "Rows per page, capped by API_PAGE_SIZE_MAX."},
    )


def page_of(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The paged list envelope of ``item``: items, page, per_page, has_next (no total)."""
    return ma.Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "has_next": fields.Boolean(required=True),
        },
        name=name,
    )


# --- Reference data ---------------------------------------------------------------------


class ProgramYearSchema(ma.Schema):
    fiscal_year = fields.Integer()
    unit_value = fields.Integer(metadata={"description": "Rupiah per recipient."})
    min_age = fields.Integer(allow_none=True)
    max_age = fields.Integer(allow_none=True)
    required_sex = fields.String(allow_none=True)
    max_decile = fields.Integer()
    group_min_members = fields.Integer(allow_none=True)
    group_max_members = fields.Integer(allow_none=True)
    required_documents = fields.Function(
        lambda rules: [[k.value for k in opts] for opts in rules.required_document_options],
        metadata={
            "type": "array",
            "items": {"type": "array", "items": {"type": "string"}},
            "description": "Each entry is satisfied by one of its document kinds.",
        },
    )


class ProgramSchema(ma.Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    description = fields.String()
    workflow = fields.String()
    applicant_kind = fields.String()
    active = fields.Boolean()
    years = fields.List(fields.Nested(ProgramYearSchema))


class BusinessTypeSchema(ma.Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    active = fields.Boolean()


class RegionSchema(ma.Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String(metadata=enum_values(RegionLevel))
    parent_code = fields.String(allow_none=True)


class RegionQuerySchema(PageArgsSchema):
    parent = fields.String(metadata={"description": "Children of this region code."})
    level = fields.String(metadata=enum_values(RegionLevel))


# --- Persons and groups -----------------------------------------------------------------


class PersonInSchema(ma.Schema):
    nik = fields.String(required=True)
    kk_number = fields.String(required=True)
    full_name = fields.String(required=True)
    sex = fields.String(required=True, metadata=enum_values(Sex))
    birth_date = fields.Date(required=True)
    marital_status = fields.String(required=True, metadata=enum_values(MaritalStatus))
    village_code = fields.String(required=True, metadata={"description": "Domicile (KTP/KK)."})
    birth_place = fields.String(load_default="")
    address = fields.String(load_default="")
    phone = fields.String(load_default="")
    is_breadwinner = fields.Boolean(load_default=False)

    @ma.post_load
    def _to_input(self, data: dict[str, Any], **_kwargs: Any) -> PersonInput:
        return PersonInput(**data)


class PersonSchema(ma.Schema):
    id = fields.Integer()
    nik_masked = fields.String()
    kk_masked = fields.String()
    full_name = fields.String()
    sex = fields.String(metadata=enum_values(Sex))
    birth_place = fields.String()
    birth_date = fields.Date()
    marital_status = fields.String(metadata=enum_values(MaritalStatus))
    is_breadwinner = fields.Boolean()
    address = fields.String()
    village_code = fields.String()
    regency_code = fields.String()
    phone = fields.String()
    created_at = fields.DateTime()


class PersonQuerySchema(PageArgsSchema):
    q = fields.String(metadata={"description": "Start of the name (any case)."})
    nik = fields.String(metadata={"description": "The exact NIK."})


class MemberInSchema(ma.Schema):
    person_id = fields.Integer(required=True)
    role = fields.String(required=True, metadata=enum_values(GroupRole))

    @ma.post_load
    def _to_input(self, data: dict[str, Any], **_kwargs: Any) -> MemberInput:
        return MemberInput(**data)


class GroupInSchema(ma.Schema):
    name = fields.String(required=True)
    village_code = fields.String(required=True)
    business_type_id = fields.Integer(load_default=None, allow_none=True)
    members = fields.List(fields.Nested(MemberInSchema), required=True)

    @ma.post_load
    def _to_input(self, data: dict[str, Any], **_kwargs: Any) -> GroupInput:
        return GroupInput(**data)


class GroupMemberSchema(ma.Schema):
    person_id = fields.Integer()
    role = fields.String(metadata=enum_values(GroupRole))
    full_name = fields.String(attribute="person.full_name")
    nik_masked = fields.String(attribute="person.nik_masked")


class GroupSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    village_code = fields.String()
    regency_code = fields.String()
    business_type_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    members = fields.List(fields.Nested(GroupMemberSchema))


class GroupQuerySchema(PageArgsSchema):
    q = fields.String(metadata={"description": "Start of the group name (any case)."})


PersonPageSchema = page_of(PersonSchema, "PersonPage")
GroupPageSchema = page_of(GroupSchema, "GroupPage")
RegionPageSchema = page_of(RegionSchema, "RegionPage")
