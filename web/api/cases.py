"""Cases: open, read, list with filters, move through the workflow, read the event log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from casework import clock
from casework.models.case import Case, CaseEvent
from casework.models.program import Program
from casework.search import dialect_of, prefix_match
from casework.services.access import get_scoped, scoped
from casework.services.cases import CaseInput, open_case
from casework.services.overdue import (
    NO_POKIR_LINE,
    UNASSIGNED,
    Ageing,
    ageing_bounds,
    ageing_clause,
    not_overdue_clause,
    open_clause,
    overdue_clause,
)
from web.api.base import current_actor, make_blueprint, paginate, requires
from web.api.case_schemas import (
    CaseEventSchema,
    CaseInSchema,
    CasePageSchema,
    CaseQuerySchema,
    CaseSchema,
    TransitionInSchema,
)
from web.db import db
from workflows.engine import advance

bp = make_blueprint("cases", "Aid cases and their workflow.", personal_data=True)

# The applicant and business type of every row on a page, in one query each (no N+1).
CASE_LOADS = (
    selectinload(Case.person),
    selectinload(Case.group),
    selectinload(Case.business_type),
)


def _filtered(stmt: Select[Any], args: dict[str, Any]) -> Select[Any]:
    if args.get("program"):
        program_ids = select(Program.id).where(Program.code == args["program"].strip().upper())
        stmt = stmt.where(Case.program_id.in_(program_ids))
    for name, column in (
        ("state", Case.state),
        ("regency", Case.regency_code),
        ("fiscal_year", Case.fiscal_year),
    ):
        if args.get(name) is not None:
            stmt = stmt.where(column == args[name])
    if args.get("q"):
        term, dialect = args["q"].strip().upper(), dialect_of(db.current())
        stmt = stmt.where(prefix_match(Case.number, term, dialect)) if term else stmt
    stmt = _pokir_line_filtered(stmt, args.get("pokir_line"))
    return _deadline_filtered(_assignee_filtered(stmt, args.get("assignee")), args)


def _pokir_line_filtered(stmt: Select[Any], line: str | None) -> Select[Any]:
    if line == NO_POKIR_LINE:
        return stmt.where(Case.pokir_line_id.is_(None))
    return stmt if line is None else stmt.where(Case.pokir_line_id == int(line))


def _assignee_filtered(stmt: Select[Any], assignee: str | None) -> Select[Any]:
    if assignee == UNASSIGNED:
        return stmt.where(Case.assignee_id.is_(None))
    return stmt if assignee is None else stmt.where(Case.assignee_id == int(assignee))


def _deadline_filtered(stmt: Select[Any], args: dict[str, Any]) -> Select[Any]:
    """Open, overdue and ageing: the same sets as the admin list and the dashboard."""
    now = clock.now()
    if args.get("open") is not None:
        stmt = stmt.where(open_clause() if args["open"] else ~open_clause())
    if args.get("overdue") is not None:
        stmt = stmt.where(overdue_clause(now) if args["overdue"] else not_overdue_clause(now))
    if args.get("ageing"):
        bounds = ageing_bounds(db.current(), now)
        stmt = stmt.where(ageing_clause(Ageing(args["ageing"]), bounds))
    return stmt


@bp.get("/cases")
@bp.arguments(CaseQuerySchema, location="query")
@bp.response(200, CasePageSchema)
@requires("case.read")
def list_cases(args: dict[str, Any]) -> dict[str, Any]:
    """Cases in the caller's region, newest first, filtered; ``has_next`` instead of a total."""
    stmt = scoped(select(Case), Case, current_actor()).options(*CASE_LOADS)
    stmt = _filtered(stmt, args).order_by(Case.id.desc())
    return paginate(stmt, args["page"], args["per_page"])


@bp.post("/cases")
@bp.arguments(CaseInSchema)
@bp.response(201, CaseSchema)
@requires("case.write")
def create_case(data: CaseInput) -> Case:
    """Open a draft case for a person or a KUBE group (one open case per program and year)."""
    return open_case(db.current(), data, actor=current_actor())


@bp.get("/cases/<int:case_id>")
@bp.response(200, CaseSchema)
@requires("case.read")
def get_case(case_id: int) -> Case:
    """One case of the caller's region, with the actions the caller may try now."""
    return get_scoped(db.current(), Case, case_id, current_actor())


@bp.post("/cases/<int:case_id>/transitions")
@bp.arguments(TransitionInSchema)
@bp.response(200, CaseSchema)
@requires("case.transition")
def fire_transition(data: dict[str, Any], case_id: int) -> Case:
    """Fire a workflow action on the case; returns the case in its new state.

    Refused with 403 (role or region), 409 (action not possible now: lists the allowed ones;
    or ``expected_version`` is stale), 422 (a rule or a missing reason).
    """
    session, actor = db.current(), current_actor()
    case = get_scoped(session, Case, case_id, actor)
    advance(
        session,
        case,
        data["trigger"],
        actor=actor,
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return case  # the engine reloaded this same instance under its row lock


@bp.get("/cases/<int:case_id>/events")
@bp.response(200, CaseEventSchema(many=True))
@requires("case.read")
def list_case_events(case_id: int) -> list[CaseEvent]:
    """The case's append-only event log, oldest first."""
    session = db.current()
    case = get_scoped(session, Case, case_id, current_actor())
    stmt = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    return list(session.scalars(stmt))
