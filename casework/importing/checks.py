"""Checks across rows: duplicates in the file and in the database, and KUBE composition."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.i18n import N_
from casework.importing.rows import ParsedRow
from casework.models.case import Case
from casework.models.person import OFFICER_ROLES, Group, GroupMember, Person
from casework.models.user import User
from casework.privacy import blind_index
from casework.services.cases import ENDED_STATES

CHUNK = 500


def _fail(target: ParsedRow, key: str, message: str, /, **params: object) -> None:
    target.errors.add(key, message, **params)
    target.values = None


def _nik_lookup(niks: Sequence[str]) -> tuple[Any, dict[str, str]]:
    """The column and the values to look ``niks`` up by: the keyed hash, never the clear NIK."""
    return Person.nik_hash, {blind_index("nik", nik): nik for nik in niks}


def existing_persons(session: Session, niks: Iterable[str]) -> dict[str, tuple[int, str]]:
    """NIK -> (person id, regency code) of the NIKs already registered (chunked IN queries)."""
    wanted = sorted(set(niks))
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(wanted), CHUNK):
        column, keys = _nik_lookup(wanted[start : start + CHUNK])
        stmt = select(column, Person.id, Person.regency_code).where(column.in_(list(keys)))
        for key, person_id, regency in session.execute(stmt):
            found[keys[key]] = (person_id, regency)
    return found


def mark_file_duplicates(rows: Iterable[ParsedRow]) -> None:
    """A NIK on a second row of the file: that later row is refused, naming the first."""
    first: dict[str, int] = {}
    for row in rows:
        if row.values is None:
            continue
        nik = row.values.person.nik
        if nik in first:
            _fail(row, "nik", N_("This NIK is also on row %(row)s of the file."), row=first[nik])
        else:
            first[nik] = row.row


def mark_database_duplicates(
    session: Session, rows: Sequence[ParsedRow], *, program_id: int, fiscal_year: int, actor: User
) -> None:
    """Reuse registered persons; refuse one outside the actor's region or already applying."""
    valid = [r for r in rows if r.values is not None]
    known = existing_persons(session, (r.values.person.nik for r in valid if r.values))
    for row in valid:
        assert row.values is not None
        hit = known.get(row.values.person.nik)
        if hit is None:
            continue
        if not actor.covers(hit[1]):
            _fail(row, "nik", N_("This NIK is already registered outside your region."))
        else:
            row.existing_person_id = hit[0]
    ids = {r.existing_person_id: r for r in valid if r.existing_person_id and r.values}
    for person_id, group, number in _open_cases(session, list(ids), program_id, fiscal_year):
        row = ids[person_id]
        if group:
            _fail(
                row,
                "nik",
                N_("This person is already in KUBE %(group)s with case %(number)s this year."),
                group=group,
                number=number,
            )
        else:
            _fail(
                row,
                "nik",
                N_("This applicant already has case %(number)s in this program and year."),
                number=number,
            )


def _open_cases(
    session: Session, person_ids: list[int], program_id: int, fiscal_year: int
) -> list[tuple[int, str, str]]:
    """(person id, KUBE name or "", case number) of open cases of these persons."""
    found: list[tuple[int, str, str]] = []
    scope = (
        Case.program_id == program_id,
        Case.fiscal_year == fiscal_year,
        Case.state.not_in(ENDED_STATES),
    )
    for start in range(0, len(person_ids), CHUNK):
        chunk = person_ids[start : start + CHUNK]
        own = select(Case.person_id, Case.number).where(Case.person_id.in_(chunk), *scope)
        found += [(pid or 0, "", number) for pid, number in session.execute(own)]
        member = (
            select(GroupMember.person_id, Group.name, Case.number)
            .join(Group, Group.id == GroupMember.group_id)
            .join(Case, Case.group_id == Group.id)
            .where(GroupMember.person_id.in_(chunk), *scope)
        )
        found += [(pid, name, number) for pid, name, number in session.execute(member)]
    return found


def group_rows(rows: Iterable[ParsedRow]) -> dict[str, list[ParsedRow]]:
    """The rows of each KUBE, by name (case and spacing ignored), in file order."""
    groups: dict[str, list[ParsedRow]] = defaultdict(list)
    for row in rows:
        if row.group:
            groups[" ".join(row.group.split()).casefold()].append(row)
    return groups


def mark_group_problems(rows: Sequence[ParsedRow], bounds: tuple[int, int]) -> None:
    """A KUBE imports whole or not at all: its composition is checked like register_group."""
    for members in group_rows(rows).values():
        problems = _composition(members, bounds)
        for message, params in problems:
            for row in members:
                _fail(row, "group_name", message, **params)
        broken = [r.row for r in members if r.values is None]
        for row in members:
            if row.values is not None and broken:
                _fail(
                    row,
                    "group_name",
                    N_("Another row of this KUBE has errors (row %(row)s)."),
                    row=broken[0],
                )


def _composition(
    members: list[ParsedRow], bounds: tuple[int, int]
) -> list[tuple[str, dict[str, object]]]:
    low, high = bounds
    problems: list[tuple[str, dict[str, object]]] = []
    if not low <= len(members) <= high:
        problems.append(
            (
                N_("A KUBE has between %(low)s and %(high)s members; %(count)s given."),
                {"low": low, "high": high, "count": len(members)},
            )
        )
    valid = [r.values for r in members if r.values is not None]
    roles = [v.member_role for v in valid]
    for role in OFFICER_ROLES:
        if len(valid) == len(members) and roles.count(role.value) != 1:
            problems.append(
                (
                    N_("The group needs exactly one %(role)s; %(count)s given."),
                    {"role": role.value, "count": roles.count(role.value)},
                )
            )
    villages = {v.person.village_code for v in valid}
    if len(villages) > 1:
        problems.append(
            (
                N_("All members of a KUBE must live in one village; found: %(codes)s."),
                {"codes": ", ".join(sorted(villages))},
            )
        )
    return problems
