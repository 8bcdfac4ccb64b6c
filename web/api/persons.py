"""Persons and KUBE groups: the registry, scoped to the caller's kabupaten/kota."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casework.identity import normalize_number
from casework.models.person import Group, Person
from casework.services.access import get_scoped, scoped
from casework.services.registry import GroupInput, PersonInput, register_group, register_person
from casework.services.registry import update_person as update_person_record
from web.api.base import current_actor, make_blueprint, paginate, requires
from web.api.schemas import (
    GroupInSchema,
    GroupPageSchema,
    GroupQuerySchema,
    GroupSchema,
    PersonInSchema,
    PersonPageSchema,
    PersonQuerySchema,
    PersonSchema,
)
from web.db import db

bp = make_blueprint("registry", "Persons and KUBE groups (NIK and KK masked).", personal_data=True)


@bp.get("/persons")
@bp.arguments(PersonQuerySchema, location="query")
@bp.response(200, PersonPageSchema)
@requires("person.read")
def list_persons(args: dict[str, Any]) -> dict[str, Any]:
    """Persons in the caller's region, by start of name or by exact NIK."""
    stmt = scoped(select(Person), Person, current_actor())
    if args.get("q"):
        stmt = stmt.where(Person.full_name.istartswith(args["q"].strip(), autoescape=True))
    if args.get("nik"):
        stmt = stmt.where(Person.nik_is(normalize_number(args["nik"])))
    stmt = stmt.order_by(Person.full_name, Person.id)
    return paginate(stmt, args["page"], args["per_page"])


@bp.post("/persons")
@bp.arguments(PersonInSchema)
@bp.response(201, PersonSchema)
@requires("person.write")
def create_person(data: PersonInput) -> Person:
    """Register a person (NIK checked against sex and birth date; one person per NIK)."""
    return register_person(db.current(), data, actor=current_actor())


@bp.get("/persons/<int:person_id>")
@bp.response(200, PersonSchema)
@requires("person.read")
def get_person(person_id: int) -> Person:
    """One person of the caller's region."""
    return get_scoped(db.current(), Person, person_id, current_actor())


@bp.put("/persons/<int:person_id>")
@bp.arguments(PersonInSchema)
@bp.response(200, PersonSchema)
@requires("person.write")
def update_person(data: PersonInput, person_id: int) -> Person:
    """Correct a person's data under the same rules as registration."""
    session, actor = db.current(), current_actor()
    person = get_scoped(session, Person, person_id, actor)
    return update_person_record(session, person, data, actor=actor)


@bp.get("/groups")
@bp.arguments(GroupQuerySchema, location="query")
@bp.response(200, GroupPageSchema)
@requires("group.read")
def list_groups(args: dict[str, Any]) -> dict[str, Any]:
    """KUBE groups in the caller's region with their members."""
    stmt = scoped(select(Group), Group, current_actor()).options(selectinload(Group.members))
    if args.get("q"):
        stmt = stmt.where(Group.name.istartswith(args["q"].strip(), autoescape=True))
    stmt = stmt.order_by(Group.name, Group.id)
    return paginate(stmt, args["page"], args["per_page"])


@bp.post("/groups")
@bp.arguments(GroupInSchema)
@bp.response(201, GroupSchema)
@requires("group.write")
def create_group(data: GroupInput) -> Group:
    """Register a KUBE group with its members (5–20, one ketua, sekretaris, bendahara)."""
    return register_group(db.current(), data, actor=current_actor())


@bp.get("/groups/<int:group_id>")
@bp.response(200, GroupSchema)
@requires("group.read")
def get_group(group_id: int) -> Group:
    """One KUBE group of the caller's region with its members."""
    return get_scoped(db.current(), Group, group_id, current_actor())
