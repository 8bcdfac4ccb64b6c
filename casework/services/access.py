"""Who may see and do what: role checks and region scoping for queries and records."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from casework.errors import NotAllowed, NotFound
from casework.i18n import N_
from casework.models.case import Case
from casework.models.person import Group, Person
from casework.models.user import Role, User

T = TypeVar("T", Case, Person, Group)


def require_role(actor: User, roles: Collection[Role]) -> None:
    """Raise NotAllowed unless the actor is active and has one of ``roles``."""
    if not actor.active:
        raise NotAllowed(N_("Your account is not active."))
    if actor.role not in roles:
        raise NotAllowed()


def require_region(actor: User, regency_code: str | None) -> None:
    """Raise NotAllowed unless the actor's region covers ``regency_code``."""
    if not actor.covers(regency_code):
        raise NotAllowed(N_("This lies outside your region."))


def scoped(stmt: Select[Any], model: type[T], actor: User) -> Select[Any]:
    """Limit a query on cases, persons or groups to the actor's kabupaten/kota."""
    if actor.region_code is None:
        return stmt
    return stmt.where(model.regency_code == actor.region_code)


def get_scoped(session: Session, model: type[T], record_id: int, actor: User) -> T:
    """The record with ``record_id`` if the actor's region covers it; NotFound otherwise.

    A record outside the region is reported as not found, so its existence is not revealed.
    """
    record = session.scalars(scoped(select(model).where(model.id == record_id), model, actor))
    found = record.first()
    if found is None:
        raise NotFound()
    return found


def may_export_identity(user: User) -> bool:
    """Whether ``user``'s Excel exports carry full NIK, No. KK and account numbers.

    Only the verifier: checking applicants against DTSEN (SIKS-NG at the Dinsos kab/kota)
    needs lists of full NIKs, and the export stays within the verifier's region. Everybody
    else (managers, caseworkers, finance, auditors, admins) gets masked numbers, as the
    screens show them (DOMAIN.md 8, UU 27/2022: need-to-know).
    """
    return user.active and user.role == Role.VERIFIER
