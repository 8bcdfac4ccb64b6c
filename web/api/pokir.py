"""Pokir register and budget: DPRD members, pokir lines and their lifecycle, budget lines,
linking a case to a pokir line, and the year-end report.

Every staff role reads; administrators and managers write (finance also budget lines).
No personal data leaves these endpoints (the DPRD liaison may read them all).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, post_load
from sqlalchemy import select

from casework.errors import field_error
from casework.i18n import N_
from casework.models.budget import BudgetLine, BudgetVersion
from casework.models.case import Case
from casework.models.pokir import DprdMember, PokirEvent, PokirLine, PokirState
from casework.services.access import get_scoped
from casework.services.budget import (
    BudgetLineInput,
    budget_usage,
    create_budget_line,
    pokir_usage,
    year_end,
)
from casework.services.pokir import (
    MemberInput,
    PokirInput,
    advance_pokir,
    create_member,
    create_pokir_line,
    get_pokir_line,
    link_case_to_pokir,
)
from web.api.base import current_actor, make_blueprint, requires
from web.api.schemas import enum_values
from web.db import db
from workflows.records import allowed_record_triggers

bp = make_blueprint(
    "pokir", "DPRD pokir lines, APBD budget lines and commitments.", personal_data=False
)


class MemberSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True)
    fraksi = fields.String(required=True)
    dapil = fields.String(required=True)
    komisi = fields.String(load_default="")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> MemberInput:
        return MemberInput(**data)


class BudgetLineSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    fiscal_year = fields.Integer(required=True)
    program_id = fields.Integer(required=True)
    version = fields.String(load_default="murni", metadata=enum_values(BudgetVersion))
    sub_activity_code = fields.String(required=True)
    account_code = fields.String(required=True)
    name = fields.String(load_default="")
    ceiling = fields.Integer(required=True)
    committed = fields.Method("_committed", dump_only=True)
    realised = fields.Method("_realised", dump_only=True)

    def _committed(self, line: BudgetLine) -> int:
        return budget_usage(db.current(), line.id).committed

    def _realised(self, line: BudgetLine) -> int:
        return budget_usage(db.current(), line.id).realised

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> BudgetLineInput:
        return BudgetLineInput(**data)


class PokirInSchema(ma.Schema):
    fiscal_year = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    sipd_ref = fields.String(required=True)
    program_id = fields.Integer(required=True)
    regency_code = fields.String(required=True)
    district_code = fields.String(load_default=None, allow_none=True)
    village_code = fields.String(load_default=None, allow_none=True)
    quota = fields.Integer(required=True)
    ceiling = fields.Integer(required=True)
    reses_date = fields.Date(required=True)
    proposal = fields.String(load_default="")
    budget_line_id = fields.Integer(load_default=None, allow_none=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> PokirInput:
        return PokirInput(**data)


class PokirSchema(ma.Schema):
    id = fields.Integer()
    fiscal_year = fields.Integer()
    member = fields.Nested(MemberSchema)
    sipd_ref = fields.String()
    program_id = fields.Integer()
    regency_code = fields.String()
    district_code = fields.String(allow_none=True)
    village_code = fields.String(allow_none=True)
    quota = fields.Integer()
    ceiling = fields.Integer()
    reses_date = fields.Date()
    proposal = fields.String()
    budget_line_id = fields.Integer(allow_none=True)
    state = fields.String(metadata=enum_values(PokirState))
    version = fields.Integer()
    recipients_committed = fields.Method("_recipients")
    amount_committed = fields.Method("_committed")
    amount_realised = fields.Method("_realised")
    allowed_triggers = fields.Method("_allowed")

    def _recipients(self, line: PokirLine) -> int:
        return pokir_usage(db.current(), line.id).recipients

    def _committed(self, line: PokirLine) -> int:
        return pokir_usage(db.current(), line.id).committed

    def _realised(self, line: PokirLine) -> int:
        return pokir_usage(db.current(), line.id).realised

    def _allowed(self, line: PokirLine) -> list[str]:
        return allowed_record_triggers(line, current_actor())


class PokirQuerySchema(ma.Schema):
    fiscal_year = fields.Integer(load_default=None)
    state = fields.String(load_default=None, metadata=enum_values(PokirState))


class PokirTransitionSchema(ma.Schema):
    trigger = fields.String(required=True)
    note = fields.String(load_default=None, allow_none=True)
    expected_version = fields.Integer(load_default=None, allow_none=True)


class PokirEventSchema(ma.Schema):
    id = fields.Integer()
    trigger = fields.String()
    from_state = fields.String()
    to_state = fields.String()
    actor_id = fields.Integer(allow_none=True)
    note = fields.String(attribute="reason", allow_none=True)
    at = fields.DateTime()


class CasePokirLinkSchema(ma.Schema):
    pokir_line_id = fields.Integer(required=True)


class LinkedCaseSchema(ma.Schema):
    id = fields.Integer()
    number = fields.String()
    state = fields.String()
    pokir_line_id = fields.Integer(allow_none=True)
    version = fields.Integer()


class LapseRowSchema(ma.Schema):
    kind = fields.String()
    label = fields.String()
    ceiling = fields.Integer()
    committed = fields.Integer()
    realised = fields.Integer()
    lapsing = fields.Integer()


class OpenCommitmentSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    pokir_line_id = fields.Integer()
    budget_line_id = fields.Integer()
    amount = fields.Integer()
    committed_at = fields.DateTime()


class YearEndSchema(ma.Schema):
    fiscal_year = fields.Integer()
    open_commitments = fields.List(fields.Nested(OpenCommitmentSchema))
    lines = fields.List(fields.Nested(LapseRowSchema))
    total_lapsing = fields.Integer()


@bp.get("/dprd-members")
@bp.response(200, MemberSchema(many=True))
@requires("dprd_member.read")
def list_members() -> list[DprdMember]:
    """DPRD members, by name."""
    return list(db.current().scalars(select(DprdMember).order_by(DprdMember.name)))


@bp.post("/dprd-members")
@bp.arguments(MemberSchema)
@bp.response(201, MemberSchema)
@requires("dprd_member.write")
def add_member(data: MemberInput) -> DprdMember:
    """Add a DPRD member (administrators and managers)."""
    return create_member(db.current(), data, actor=current_actor())


@bp.get("/budget-lines")
@bp.arguments(PokirQuerySchema(only=("fiscal_year",)), location="query")
@bp.response(200, BudgetLineSchema(many=True))
@requires("budget.read")
def list_budget_lines(args: dict[str, Any]) -> list[BudgetLine]:
    """Budget lines with what is committed and realised on them."""
    stmt = select(BudgetLine).order_by(BudgetLine.fiscal_year, BudgetLine.id)
    if args.get("fiscal_year"):
        stmt = stmt.where(BudgetLine.fiscal_year == args["fiscal_year"])
    return list(db.current().scalars(stmt))


@bp.post("/budget-lines")
@bp.arguments(BudgetLineSchema)
@bp.response(201, BudgetLineSchema)
@requires("budget.write")
def add_budget_line(data: BudgetLineInput) -> BudgetLine:
    """Add an APBD budget line (administrators, managers, finance)."""
    return create_budget_line(db.current(), data, actor=current_actor())


@bp.get("/pokir-lines")
@bp.arguments(PokirQuerySchema, location="query")
@bp.response(200, PokirSchema(many=True))
@requires("pokir.read")
def list_pokir_lines(args: dict[str, Any]) -> list[PokirLine]:
    """Pokir lines, optionally of one fiscal year and state."""
    stmt = select(PokirLine).order_by(PokirLine.fiscal_year, PokirLine.id)
    if args.get("fiscal_year"):
        stmt = stmt.where(PokirLine.fiscal_year == args["fiscal_year"])
    if args.get("state"):
        stmt = stmt.where(PokirLine.state == args["state"])
    return list(db.current().scalars(stmt))


@bp.post("/pokir-lines")
@bp.arguments(PokirInSchema)
@bp.response(201, PokirSchema)
@requires("pokir.write")
def add_pokir_line(data: PokirInput) -> PokirLine:
    """Enter a pokir line (state ``input``); every field is checked, all errors at once."""
    return create_pokir_line(db.current(), data, actor=current_actor())


@bp.get("/pokir-lines/<int:line_id>")
@bp.response(200, PokirSchema)
@requires("pokir.read")
def get_line(line_id: int) -> PokirLine:
    """One pokir line with its usage and the actions the caller may take."""
    return get_pokir_line(db.current(), line_id)


@bp.post("/pokir-lines/<int:line_id>/transitions")
@bp.arguments(PokirTransitionSchema)
@bp.response(200, PokirSchema)
@requires("pokir.write")
def fire_pokir_transition(data: dict[str, Any], line_id: int) -> PokirLine:
    """One lifecycle step (403 role, 409 not possible now, 422 note or budget line missing)."""
    session = db.current()
    line = get_pokir_line(session, line_id)
    advance_pokir(
        session,
        line,
        data["trigger"],
        actor=current_actor(),
        note=data["note"],
        expected_version=data["expected_version"],
    )
    return line


@bp.get("/pokir-lines/<int:line_id>/events")
@bp.response(200, PokirEventSchema(many=True))
@requires("pokir.read")
def list_pokir_events(line_id: int) -> list[PokirEvent]:
    """The line's steps: who, when, from where to where, with what note."""
    line = get_pokir_line(db.current(), line_id)
    stmt = select(PokirEvent).where(PokirEvent.pokir_line_id == line.id).order_by(PokirEvent.id)
    return list(db.current().scalars(stmt))


@bp.put("/cases/<int:case_id>/pokir-line")
@bp.arguments(CasePokirLinkSchema)
@bp.response(200, LinkedCaseSchema)
@requires("pokir.link")
def link_case(data: dict[str, Any], case_id: int) -> Case:
    """Link a case to a pokir line in the APBD (until the case is approved)."""
    session = db.current()
    actor = current_actor()
    case = get_scoped(session, Case, case_id, actor)
    line = session.get(PokirLine, data["pokir_line_id"])
    if line is None:
        raise field_error("pokir_line_id", N_("Choose a pokir line."))
    return link_case_to_pokir(session, case, line, actor)


@bp.get("/budget/year-end/<int:year>")
@bp.response(200, YearEndSchema)
@requires("yearend.read")
def get_year_end(year: int) -> Any:
    """Open commitments and the uncommitted remainder of every ceiling that lapses."""
    return year_end(db.current(), year)
