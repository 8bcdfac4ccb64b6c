"""The benchmark database: a fresh SQLite file built by the app's migrations, and cases.

Cases are inserted set-based (the benchmark measures transitions, not registration), but
they are the rows the services would write: a person per case with a well-formed NIK, a
numbered WRSE case in the applicant's village and regency with a business type, in state
``submitted`` at version 1 with its deadline, and the ``submit`` event that put it there.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Integer, String, func, insert, literal, select
from sqlalchemy.orm import Session

from casework import clock
from casework.identity import build_nik
from casework.models import Case, CaseState, Person, Program, Role, User
from casework.models.base import UTCDateTime
from casework.models.case import CaseEvent, CaseNumberSequence
from casework.models.program import BusinessType
from casework.models.region import Region
from casework.privacy import person_identity_values
from casework.services.demo import ensure_demo_letter_settings
from casework.services.reference import ensure_reference_data
from casework.services.regions import load_regions
from casework.services.users import create_user
from web.db import db
from workflows.engine import due_at_for
from workflows.programs import DEFINITIONS

ROOT = Path(__file__).resolve().parent.parent
PROGRAM_CODE = "WRSE"
VILLAGE = "64.02.08.2007"  # desa Liang, Kec. Kota Bangun, Kutai Kartanegara
PASSWORD = "bench-password-not-secret"


def build_app(directory: Path) -> Flask:
    """The real app on a new SQLite file in ``directory``, migrated, with reference data."""
    from flask_migrate import upgrade

    from web import create_app

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{directory / 'bench.sqlite3'}",
            "SECRET_KEY": "bench",
            "SCHEDULER_ENABLED": False,
            "UPLOAD_DIR": str(directory / "uploads"),
        }
    )
    with app.app_context():
        # Alembic's env.py configures INFO logging; the benchmark prints only its figures.
        logging.disable(logging.INFO)
        try:
            upgrade(directory=str(ROOT / "migrations"))
        finally:
            logging.disable(logging.NOTSET)
        with db.unit_of_work() as session:
            load_regions(session, ROOT / "data" / "regions")
            ensure_reference_data(session)
            # a decree issues letters, which need a letterhead and a signatory
            ensure_demo_letter_settings(session)
        db.session.remove()
    return app


def database_path(app: Flask) -> Path:
    """The SQLite file the app writes to."""
    url: str = app.config["DATABASE_URL"]
    return Path(url.removeprefix("sqlite:///"))


@dataclass(frozen=True)
class Staff:
    """The users the benchmark acts as (ids only: each unit of work loads its own)."""

    caseworker_id: int
    verifier_id: int


def make_staff(session: Session) -> Staff:
    """A province caseworker (who opened the cases) and verifier (who moves them)."""
    caseworker = create_user(
        session,
        username="bench-caseworker",
        full_name="Bench Caseworker",
        role=Role.CASEWORKER.value,
        password=PASSWORD,
    )
    verifier = create_user(
        session,
        username="bench-verifier",
        full_name="Bench Verifier",
        role=Role.VERIFIER.value,
        password=PASSWORD,
    )
    return Staff(caseworker_id=caseworker.id, verifier_id=verifier.id)


class CaseFactory:
    """Inserts batches of submitted cases; numbers and NIKs never repeat within a run."""

    def __init__(self, session: Session, staff: Staff) -> None:
        self.fiscal_year = clock.today_wita().year
        program = session.scalars(select(Program).where(Program.code == PROGRAM_CODE)).one()
        self.program_id = program.id
        self.definition = DEFINITIONS[program.workflow]
        self.business_type_id = session.scalars(
            select(BusinessType.id).where(BusinessType.code == "menjahit")
        ).one()
        village = session.get(Region, VILLAGE)
        assert village is not None and village.regency_code is not None
        self.regency_code = village.regency_code
        self.caseworker_id = staff.caseworker_id
        self._serials = itertools.count(0)
        self._last_number = 0

    def _next_number(self) -> str:
        self._last_number += 1
        return f"{PROGRAM_CODE}-{self.fiscal_year}-{self._last_number:06d}"

    def insert_submitted(self, session: Session, count: int) -> list[int]:
        """Insert ``count`` submitted cases (and their applicants); return their ids.

        Plain executemany (RETURNING would make SQLite insert row by row); the new ids are
        those above the highest before, as the benchmark is the database's only writer.
        """
        now = clock.now()
        person_ids = self._insert_persons(session, count, now)
        due = due_at_for(
            self.definition.state(CaseState.SUBMITTED.value),
            Case(fiscal_year=self.fiscal_year),
            now,
        )
        rows = [
            {
                "number": self._next_number(),
                "program_id": self.program_id,
                "fiscal_year": self.fiscal_year,
                "person_id": person_id,
                "village_code": VILLAGE,
                "regency_code": self.regency_code,
                "business_type_id": self.business_type_id,
                "requested_package": "Mesin jahit dan obras",
                "requested_amount": 4_500_000,
                "state": CaseState.SUBMITTED.value,
                "version": 1,
                "state_entered_at": now,
                "due_at": due,
                "created_at": now,
                "created_by_id": self.caseworker_id,
            }
            for person_id in person_ids
        ]
        ids = _insert_new(session, Case, rows)
        self._insert_submit_events(session, ids, now)
        self._bump_sequence(session)
        return ids

    def _insert_persons(self, session: Session, count: int, now: datetime) -> list[int]:
        district = ".".join(VILLAGE.split(".")[:3])
        rows = []
        for _ in range(count):
            n = next(self._serials)
            birth = date(1975, 1, 1) + timedelta(days=n // 9999)
            nik = build_nik(district_code=district, birth_date=birth, sex="P", serial=n % 9999 + 1)
            rows.append(
                {
                    **person_identity_values(
                        nik, nik[:6] + "0101" + f"{n % 100:02d}" + f"{n % 9999 + 1:04d}"
                    ),
                    "full_name": f"Warga {n}",
                    "sex": "P",
                    "birth_place": "Kota Bangun",
                    "birth_date": birth,
                    "marital_status": "cerai_mati",
                    "is_breadwinner": True,
                    "address": "Jl. Poros RT 03",
                    "village_code": VILLAGE,
                    "regency_code": self.regency_code,
                    "phone": "",
                    "created_at": now,
                    "created_by_id": self.caseworker_id,
                }
            )
        return _insert_new(session, Person, rows)

    def _insert_submit_events(self, session: Session, ids: list[int], now: datetime) -> None:
        session.execute(
            insert(CaseEvent).from_select(
                ["case_id", "trigger", "from_state", "to_state", "actor_id", "at", "case_version"],
                select(
                    Case.id,
                    literal("submit", String),
                    literal(CaseState.DRAFT.value, String),
                    literal(CaseState.SUBMITTED.value, String),
                    literal(self.caseworker_id, Integer),
                    literal(now, UTCDateTime()),
                    Case.version,
                ).where(Case.id.between(min(ids), max(ids))),
            )
        )

    def _bump_sequence(self, session: Session) -> None:
        """Keep the program's number sequence at the last number used, as open_case does."""
        sequence = session.scalar(
            select(CaseNumberSequence).where(
                CaseNumberSequence.program_code == PROGRAM_CODE,
                CaseNumberSequence.fiscal_year == self.fiscal_year,
            )
        )
        if sequence is None:
            sequence = CaseNumberSequence(program_code=PROGRAM_CODE, fiscal_year=self.fiscal_year)
            session.add(sequence)
        sequence.last_value = self._last_number
        session.flush()


def _insert_new(
    session: Session, model: type[Case | Person], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` with one executemany; return the new ids in insertion order."""
    before = session.scalar(select(func.max(model.id))) or 0
    session.execute(insert(model), rows)
    ids = list(session.scalars(select(model.id).where(model.id > before).order_by(model.id)))
    if len(ids) != len(rows):
        raise RuntimeError(f"expected {len(rows)} new {model.__tablename__}, found {len(ids)}")
    return ids


def load_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    assert user is not None
    return user
