"""Factories that go through the real services (never around them)."""

from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.identity import build_nik
from casework.models import Case, CaseState, Group, Person, Program, Region, Role, User
from casework.models.program import BusinessType
from casework.services.cases import CaseInput, open_case
from casework.services.demo import drive_to
from casework.services.registry import (
    GroupInput,
    MemberInput,
    PersonInput,
    register_group,
    register_person,
)
from casework.services.users import create_user
from casework.storage import DocumentStore

PASSWORD = "correct-horse-battery"
KOTA_BANGUN_LIANG = "64.02.08.2007"  # desa Liang, Kec. Kota Bangun, Kutai Kartanegara
SAMARINDA_VILLAGE = "64.72.01.1001"

_counter = itertools.count(1)


def make_user(session: Session, role: Role, *, region: str | None = None) -> User:
    n = next(_counter)
    return create_user(
        session,
        username=f"{role.value}{n}",
        full_name=f"{role.value.title()} {n}",
        role=role.value,
        password=PASSWORD,
        region_code=region,
    )


def person_input(
    *,
    sex: str = "P",
    birth_date: date = date(1985, 6, 15),
    village: str = KOTA_BANGUN_LIANG,
    name: str | None = None,
    serial: int | None = None,
) -> PersonInput:
    n = serial or next(_counter)
    district = ".".join(village.split(".")[:3])
    nik = build_nik(district_code=district, birth_date=birth_date, sex=sex, serial=n % 9999 + 1)
    return PersonInput(
        nik=nik,
        kk_number=nik[:6] + "0101" + f"{n % 100:02d}" + f"{n % 9999 + 1:04d}",
        full_name=name or f"Warga {n}",
        sex=sex,
        birth_date=birth_date,
        marital_status="cerai_mati" if sex == "P" else "kawin",
        village_code=village,
        address="Jl. Poros RT 03",
        is_breadwinner=True,
    )


def make_person(session: Session, actor: User, **kwargs: object) -> Person:
    return register_person(session, person_input(**kwargs), actor=actor)  # type: ignore[arg-type]


def make_group(
    session: Session, actor: User, *, size: int = 5, village: str = KOTA_BANGUN_LIANG
) -> Group:
    members = [make_person(session, actor, sex="L", village=village) for _ in range(size)]
    roles = ["ketua", "sekretaris", "bendahara"] + ["anggota"] * (size - 3)
    return register_group(
        session,
        GroupInput(
            name=f"KUBE Maju {next(_counter)}",
            village_code=village,
            business_type_id=business_type(session).id,
            members=[MemberInput(m.id, r) for m, r in zip(members, roles, strict=True)],
        ),
        actor=actor,
    )


def program(session: Session, code: str) -> Program:
    return session.scalars(select(Program).where(Program.code == code)).one()


def business_type(session: Session, code: str = "menjahit") -> BusinessType:
    return session.scalars(select(BusinessType).where(BusinessType.code == code)).one()


def current_year() -> int:
    return clock.today_wita().year


def make_case(
    session: Session,
    actor: User,
    program_code: str = "WRSE",
    *,
    applicant: Person | Group | None = None,
    village: str = KOTA_BANGUN_LIANG,
    fiscal_year: int | None = None,
) -> Case:
    """A draft case; the applicant is made to fit the program unless given."""
    prog = program(session, program_code)
    if applicant is None:
        if program_code == "KUBE":
            applicant = make_group(session, actor, village=village)
        else:
            applicant = make_person(session, actor, sex="P", village=village)
    is_group = isinstance(applicant, Group)
    return open_case(
        session,
        CaseInput(
            program_id=prog.id,
            fiscal_year=fiscal_year or current_year(),
            business_type_id=business_type(session).id,
            person_id=None if is_group else applicant.id,
            group_id=applicant.id if is_group else None,
            requested_package="Mesin jahit dan obras",
            requested_amount=4_500_000,
        ),
        actor=actor,
    )


def actors(users: dict[str, User]) -> dict[Role, User]:
    return {
        Role.CASEWORKER: users["caseworker"],
        Role.VERIFIER: users["verifier"],
        Role.FINANCE: users["finance"],
        Role.MANAGER: users["manager"],
    }


def case_in_state(
    session: Session,
    users: dict[str, User],
    store: DocumentStore,
    state: CaseState | str,
    program_code: str = "WRSE",
) -> Case:
    """A case taken through the engine to ``state`` along the usual path."""
    case = make_case(session, users["caseworker"], program_code)
    return drive_to(session, case, CaseState(state), actors=actors(users), store=store)


def village(session: Session, code: str = KOTA_BANGUN_LIANG) -> Region:
    region = session.get(Region, code)
    assert region is not None
    return region
