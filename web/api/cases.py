"""Cases: open, read, list with filters, move through the workflow, read the event log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from casework import clock
from casework.errors import NotFound
from casework.models.case import Case, CaseEvent
from casework.models.person import Group, Person
from casework.models.program import BusinessType, Program
from casework.search import dialect_of, prefix_match
from casework.services.access import scoped
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
from web.api.base import current_actor, make_blueprint, page_size, preloads, requires
from web.api.case_schemas import (
    CaseEventSchema,
    CaseInSchema,
    CasePageSchema,
    CaseQuerySchema,
    CaseSchema,
    CaseView,
    TransitionInSchema,
    case_view_columns,
    case_view_joins,
)
from web.db import db
from workflows.engine import advance

bp = make_blueprint("cases", "Aid cases and their workflow.", personal_data=True)

# What CaseSchema shows besides the case's own columns: the program's code (and workflow,
# for the allowed triggers), the applicant (a person or a KUBE group: name, masked NIK) and
# the business type's code, joined into the case's one SELECT (many-to-one: a page of 20
# stays 20 rows) and only those columns: at 1M cases the cost of each statement in the ORM
# and the driver (per column, too) and each round trip were most of a read
# (docs/scaling.md, "The API under load").
CASE_VIEW_LOADS = (
    joinedload(Case.program).load_only(Program.code, Program.workflow),
    joinedload(Case.person).load_only(Person.full_name, Person.nik),
    joinedload(Case.group).load_only(Group.name),
    joinedload(Case.business_type).load_only(BusinessType.code),
)
# A transition's guards and effects may read any column of the applicant and the program.
CASE_LOADS = (
    joinedload(Case.person),
    joinedload(Case.group),
    joinedload(Case.business_type),
)


def _case_in_scope(case_id: int) -> Case:
    """The case the URL names if the caller's region covers it; NotFound otherwise (as
    get_scoped). Read once per request by the gate (``preloads``), found here in the
    session."""
    case = db.current().get(Case, case_id)
    if case is None or not current_actor().covers(case.regency_code):
        raise NotFound()
    return case


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
    ids = _filtered(scoped(select(Case.id), Case, current_actor()), args)
    return _page_of_cases(ids, args["page"], args["per_page"])


# Built once: constructing a statement of 23 columns and 4 joins costs more than running it.
_CASE_VIEWS = (
    case_view_joins(select(*case_view_columns()).select_from(Case))
    .where(Case.id.in_(bindparam("ids", expanding=True)))
    .order_by(Case.id.desc())
)


def _page_of_cases(ids: Select[Any], page: int, per_page: int) -> dict[str, Any]:
    """One page of the cases whose ids ``ids`` selects, newest first, in two statements.

    The page is cut from the ids alone (one row more, to know ``has_next``; no COUNT),
    then those cases are read by primary key with their applicants and business types
    joined, so the joins never run for the rows OFFSET skips: the columns CaseSchema shows
    (CaseView), no ORM objects, which cost more than the rest of the request. On
    PostgreSQL both statements keep a cached plan; one statement (the ids as an ``IN``
    subquery) was planned again on every request and cost the database ten times the CPU.
    """
    per_page = page_size(per_page)
    session = db.current()
    window = ids.order_by(Case.id.desc()).limit(per_page + 1).offset((page - 1) * per_page)
    found = list(session.scalars(window))
    rows: list[CaseView] = []
    if found:
        rows = [CaseView._make(row) for row in session.execute(_CASE_VIEWS, {"ids": found})]
    return {
        "items": rows[:per_page],
        "page": page,
        "per_page": per_page,
        "has_next": len(found) > per_page,
    }


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
@preloads(Case, "case_id", *CASE_VIEW_LOADS)
def get_case(case_id: int) -> Case:
    """One case of the caller's region, with the actions the caller may try now."""
    return _case_in_scope(case_id)


@bp.post("/cases/<int:case_id>/transitions")
@bp.arguments(TransitionInSchema)
@bp.response(200, CaseSchema)
@requires("case.transition")
@preloads(Case, "case_id", *CASE_LOADS)
def fire_transition(data: dict[str, Any], case_id: int) -> Case:
    """Fire a workflow action on the case; returns the case in its new state.

    Refused with 403 (role or region), 409 (action not possible now: lists the allowed ones;
    or ``expected_version`` is stale), 422 (a rule or a missing reason).
    """
    case = _case_in_scope(case_id)
    advance(
        db.current(),
        case,
        data["trigger"],
        actor=current_actor(),
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return case  # the engine reloaded this same instance under its row lock


@bp.get("/cases/<int:case_id>/events")
@bp.response(200, CaseEventSchema(many=True))
@requires("case.read")
@preloads(Case, "case_id")
def list_case_events(case_id: int) -> list[CaseEvent]:
    """The case's append-only event log, oldest first."""
    session = db.current()
    case = _case_in_scope(case_id)
    stmt = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    return list(session.scalars(stmt))
