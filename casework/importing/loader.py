"""Writing the confirmed rows set-based: persons, KUBE groups and members, draft cases.

``open_cases_many`` is the set-based twin of ``casework.services.cases.open_case``: the same
columns (number from the program-year sequence, the workflow's initial state and deadline
from ``workflows.engine.start``), one INSERT per batch instead of one flush per case. Like
``open_case`` it writes no event: a case's first event is its submission.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from casework import clock
from casework.importing.checks import group_rows
from casework.importing.rows import ApplicantRow, ParsedRow
from casework.models.case import Case, CaseNumberSequence
from casework.models.person import Group, GroupMember, GroupRole, Person
from casework.models.program import Program
from casework.models.user import User
from casework.privacy import person_identity_values
from workflows.engine import start

BATCH = 1_000
Progress = Callable[[int, int], None]


@dataclass
class NewCase:
    """What one case asks for (the fields of ``CaseInput`` minus program and year)."""

    business_type_id: int
    village_code: str
    regency_code: str
    requested_package: str = ""
    requested_amount: int = 0
    person_id: int | None = None
    group_id: int | None = None


@dataclass
class ImportResult:
    persons_created: int = 0
    persons_reused: int = 0
    groups_created: int = 0
    case_numbers: list[str] = field(default_factory=list)

    @property
    def cases_created(self) -> int:
        return len(self.case_numbers)


def identity_values(nik: str, kk: str) -> dict[str, Any]:
    """The identity columns of a person row: clear values (encrypted by the column type) and
    their keyed hashes (casework.privacy)."""
    return dict(person_identity_values(nik, kk))


def reserve_case_numbers(session: Session, program_code: str, year: int, count: int) -> list[str]:
    """``count`` consecutive numbers of the program-year sequence, taken in one UPDATE."""
    last = session.execute(
        update(CaseNumberSequence)
        .where(
            CaseNumberSequence.program_code == program_code,
            CaseNumberSequence.fiscal_year == year,
        )
        .values(last_value=CaseNumberSequence.last_value + count)
        .returning(CaseNumberSequence.last_value)
    ).scalar_one_or_none()
    if last is None:
        session.add(
            CaseNumberSequence(program_code=program_code, fiscal_year=year, last_value=count)
        )
        session.flush()
        last = count
    return [f"{program_code}-{year}-{n:06d}" for n in range(last - count + 1, last + 1)]


def open_cases_many(
    session: Session,
    program: Program,
    fiscal_year: int,
    cases: Sequence[NewCase],
    *,
    actor: User,
    progress: Progress | None = None,
) -> list[str]:
    """Open draft cases set-based, with the rows ``open_case`` writes; returns their numbers.

    The caller has checked what ``open_case`` checks (role, region, program rules, one open
    case per applicant, amounts): this writes, it does not validate.
    """
    if not cases:
        return []
    numbers = reserve_case_numbers(session, program.code, fiscal_year, len(cases))
    initial = Case(program=program, program_id=program.id, fiscal_year=fiscal_year)
    start(initial)
    created = clock.now()
    fixed = {
        "program_id": program.id,
        "fiscal_year": fiscal_year,
        "state": initial.state,
        "state_entered_at": initial.state_entered_at,
        "due_at": initial.due_at,
        "version": 1,
        "created_by_id": actor.id,
        "created_at": created,
    }
    rows = [
        fixed
        | {
            "number": number,
            "person_id": new.person_id,
            "group_id": new.group_id,
            "village_code": new.village_code,
            "regency_code": new.regency_code,
            "business_type_id": new.business_type_id,
            "requested_package": new.requested_package.strip(),
            "requested_amount": new.requested_amount,
        }
        for number, new in zip(numbers, cases, strict=True)
    ]
    for begin in range(0, len(rows), BATCH):
        session.execute(insert(Case), rows[begin : begin + BATCH])
        if progress is not None:
            progress(min(begin + BATCH, len(rows)), len(rows))
    return numbers


def _person_row(values: ApplicantRow, actor: User, now: datetime) -> dict[str, Any]:
    person = values.person
    return identity_values(person.nik, person.kk_number) | {
        "full_name": person.full_name.strip(),
        "sex": person.sex,
        "birth_date": person.birth_date,
        "birth_place": person.birth_place.strip(),
        "marital_status": person.marital_status,
        "is_breadwinner": person.is_breadwinner,
        "address": person.address.strip(),
        "village_code": person.village_code,
        "regency_code": values.regency_code,
        "phone": person.phone.strip(),
        "created_at": now,
        "created_by_id": actor.id,
    }


def insert_persons(session: Session, rows: Sequence[ParsedRow], actor: User) -> dict[str, int]:
    """NIK -> person id for every row: reused persons as they are, the others inserted."""
    ids = {r.values.person.nik: r.existing_person_id for r in rows if r.values}
    new = [r.values for r in rows if r.values is not None and r.existing_person_id is None]
    now = clock.now()
    for begin in range(0, len(new), BATCH):
        batch = new[begin : begin + BATCH]
        inserted = session.scalars(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [_person_row(values, actor, now) for values in batch],
        ).all()
        ids.update({v.person.nik: pid for v, pid in zip(batch, inserted, strict=True)})
    return {nik: pid for nik, pid in ids.items() if pid is not None}


def insert_groups(
    session: Session, rows: Sequence[ParsedRow], person_ids: dict[str, int]
) -> list[NewCase]:
    """Each KUBE of the rows with its members; returns the case each group asks for."""
    groups = [[r.values for r in members if r.values] for members in group_rows(rows).values()]
    chairs = [next(v for v in g if v.member_role == GroupRole.CHAIR.value) for g in groups]
    now = clock.now()
    group_ids = session.scalars(
        insert(Group).returning(Group.id, sort_by_parameter_order=True),
        [
            {
                "name": " ".join(chair.group_name.split()),
                "village_code": chair.person.village_code,
                "regency_code": chair.regency_code,
                "business_type_id": chair.business_type_id,
                "created_at": now,
            }
            for chair in chairs
        ],
    ).all()
    members = [
        {"group_id": gid, "person_id": person_ids[v.person.nik], "role": v.member_role}
        for gid, group in zip(group_ids, groups, strict=True)
        for v in group
    ]
    session.execute(insert(GroupMember), members)
    return [_new_case(chair, group_id=gid) for gid, chair in zip(group_ids, chairs, strict=True)]


def _new_case(values: ApplicantRow, **applicant: int) -> NewCase:
    return NewCase(
        business_type_id=values.business_type_id,
        village_code=values.person.village_code,
        regency_code=values.regency_code,
        requested_package=values.requested_package,
        requested_amount=values.requested_amount,
        **applicant,
    )


def write_rows(
    session: Session,
    rows: Sequence[ParsedRow],
    *,
    program: Program,
    fiscal_year: int,
    actor: User,
    is_group: bool,
    progress: Progress | None = None,
) -> ImportResult:
    """Persons (new or reused), KUBE groups and one draft case per applicant; flushes only."""
    person_ids = insert_persons(session, rows, actor)
    if is_group:
        cases = insert_groups(session, rows, person_ids)
    else:
        cases = [
            _new_case(r.values, person_id=person_ids[r.values.person.nik])
            for r in rows
            if r.values is not None
        ]
    numbers = open_cases_many(session, program, fiscal_year, cases, actor=actor, progress=progress)
    reused = sum(1 for r in rows if r.existing_person_id is not None)
    return ImportResult(
        persons_created=len(rows) - reused,
        persons_reused=reused,
        groups_created=len(cases) if is_group else 0,
        case_numbers=numbers,
    )
