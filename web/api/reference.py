"""Reference data: programs with their rules per year, business types, regions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casework.errors import NotFound
from casework.models.program import BusinessType, Program
from casework.models.region import Region
from web.api.base import make_blueprint, paginate, requires
from web.api.schemas import (
    BusinessTypeSchema,
    ProgramSchema,
    RegionPageSchema,
    RegionQuerySchema,
    RegionSchema,
)
from web.db import db

bp = make_blueprint(
    "reference", "Programs, business types and regions (every role).", personal_data=False
)


@bp.get("/programs")
@bp.response(200, ProgramSchema(many=True))
@requires("reference.read")
def list_programs() -> list[Program]:
    """Programs with their rules per fiscal year."""
    stmt = select(Program).options(selectinload(Program.years)).order_by(Program.code)
    return list(db.current().scalars(stmt))


@bp.get("/programs/<int:program_id>")
@bp.response(200, ProgramSchema)
@requires("reference.read")
def get_program(program_id: int) -> Program:
    """One program with its rules per fiscal year."""
    program = db.current().get(Program, program_id)
    if program is None:
        raise NotFound()
    return program


@bp.get("/business-types")
@bp.response(200, BusinessTypeSchema(many=True))
@requires("reference.read")
def list_business_types() -> list[BusinessType]:
    """Kinds of business (jenis usaha) a case may ask aid for."""
    return list(db.current().scalars(select(BusinessType).order_by(BusinessType.name)))


@bp.get("/regions")
@bp.arguments(RegionQuerySchema, location="query")
@bp.response(200, RegionPageSchema)
@requires("reference.read")
def list_regions(args: dict[str, Any]) -> dict[str, Any]:
    """Regions of Kalimantan Timur, by parent code and level."""
    stmt = select(Region).order_by(Region.code)
    if args.get("parent"):
        stmt = stmt.where(Region.parent_code == args["parent"])
    if args.get("level"):
        stmt = stmt.where(Region.level == args["level"])
    return paginate(stmt, args["page"], args["per_page"])


@bp.get("/regions/<code>")
@bp.response(200, RegionSchema)
@requires("reference.read")
def get_region(code: str) -> Region:
    """One region by its Kemendagri code (e.g. 64.02.08.2007)."""
    region = db.current().get(Region, code)
    if region is None:
        raise NotFound()
    return region
