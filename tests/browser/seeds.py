"""What the browser journeys start from, beyond the demo data, made through the services.

The decree journey needs a WRSE case that the verifier has recommended and that is linked
to a pokir line in the APBD with a funded budget line (the admin has no screen to enter a
pokir line: SIPD data comes in through the API). The facts the tests need (case number,
recipient, birth date) are written next to the server's database as ``journeys.json``.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.identity import build_nik
from casework.models.case import CaseState
from casework.models.pokir import PokirLine
from casework.models.program import BusinessType, Program
from casework.models.user import Role, User
from casework.services.budget import BudgetLineInput, create_budget_line
from casework.services.cases import CaseInput, open_case
from casework.services.demo import drive_to
from casework.services.pokir import (
    MemberInput,
    PokirInput,
    advance_pokir,
    create_member,
    create_pokir_line,
    link_case_to_pokir,
)
from casework.services.registry import PersonInput, register_person
from casework.storage import DocumentStore
from workflows.pokir import PATH

FACTS_FILE = "journeys.json"
LIANG = "64.02.08.2007"  # desa Liang, Kec. Kota Bangun, Kutai Kartanegara
RECIPIENT = "Hasanah Wulandari"
RECIPIENT_BIRTH = date(1988, 2, 14)
SIPD_REF = "SIPD-UJI-PERAMBAN-001"


def _users(session: Session) -> dict[str, User]:
    return {u.username: u for u in session.scalars(select(User))}


def _funded_pokir_line(session: Session, program: Program, year: int, manager: User) -> PokirLine:
    """A pokir line of Kutai Kartanegara, through its lifecycle into the APBD."""
    budget = create_budget_line(
        session,
        BudgetLineInput(
            fiscal_year=year,
            program_id=program.id,
            sub_activity_code="1.06.04.2.01.0003",
            account_code="5.4.02.05.01.0001",
            ceiling=900_000_000,
            name="Belanja hibah barang WRSE (uji peramban)",
        ),
        actor=manager,
    )
    member = create_member(
        session, MemberInput("Anggota DPRD Uji", "Fraksi Uji", "Kaltim 3", "IV"), actor=manager
    )
    line = create_pokir_line(
        session,
        PokirInput(
            fiscal_year=year,
            member_id=member.id,
            sipd_ref=SIPD_REF,
            program_id=program.id,
            regency_code="64.02",
            quota=10,
            ceiling=90_000_000,
            reses_date=clock.today_wita() - timedelta(days=60),
            proposal="Bantuan usaha perempuan rawan sosial ekonomi hasil reses.",
            budget_line_id=budget.id,
        ),
        actor=manager,
    )
    for trigger, _state in PATH:
        advance_pokir(session, line, trigger, actor=manager, note="Uji peramban")
    return line


def _recommended_case(session: Session, program: Program, year: int, store: DocumentStore) -> Any:
    users = _users(session)
    nik = build_nik(district_code="64.02.08", birth_date=RECIPIENT_BIRTH, sex="P", serial=8801)
    person = register_person(
        session,
        PersonInput(
            nik=nik,
            kk_number=nik[:6] + "1402" + "19" + "8801",
            full_name=RECIPIENT,
            sex="P",
            birth_date=RECIPIENT_BIRTH,
            marital_status="cerai_mati",
            village_code=LIANG,
            birth_place="Kota Bangun",
            address="Jl. Poros Kota Bangun RT 07",
            is_breadwinner=True,
        ),
        actor=users["pendamping"],
    )
    sewing = session.scalars(select(BusinessType).where(BusinessType.code == "menjahit")).one()
    case = open_case(
        session,
        CaseInput(
            program_id=program.id,
            fiscal_year=year,
            business_type_id=sewing.id,
            person_id=person.id,
            requested_package="Mesin jahit dan obras",
            requested_amount=4_500_000,
        ),
        actor=users["pendamping"],
    )
    actors = {
        Role.CASEWORKER: users["pendamping"],
        Role.VERIFIER: users["verifikator"],
        Role.FINANCE: users["keuangan"],
        Role.MANAGER: users["kabid"],
    }
    return drive_to(session, case, CaseState.RECOMMENDED, actors=actors, store=store)


def seed_journeys(session: Session, store: DocumentStore, instance: Path) -> dict[str, Any]:
    """The recommended, pokir-linked WRSE case of the decree journey; its facts to a file."""
    year = clock.today_wita().year
    program = session.scalars(select(Program).where(Program.code == "WRSE")).one()
    manager = _users(session)["kabid"]
    line = _funded_pokir_line(session, program, year, manager)
    case = _recommended_case(session, program, year, store)
    link_case_to_pokir(session, case, line, manager)
    facts = {
        "decree_case": {
            "number": case.number,
            "recipient": RECIPIENT,
            "birth_date": RECIPIENT_BIRTH.isoformat(),
            "sipd_ref": SIPD_REF,
        }
    }
    (instance / FACTS_FILE).write_text(json.dumps(facts, indent=2))
    return facts
