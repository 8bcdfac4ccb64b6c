"""Security fixtures: one world shared by a whole module (the matrix makes thousands of
requests against the same records), rolled back when the module ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from admin.imports import _job_path, _save_job
from casework import clock
from casework.channels import Message
from casework.channels.inbox import InboxChannel
from casework.letters.store import LetterStore
from casework.models import CaseState, Role, User
from casework.models.case import Case
from casework.models.decree import Decree
from casework.models.disbursement import BeneficiaryAccount, Handover, Procurement
from casework.models.followup import MonitoringVisit, UsageReport
from casework.models.letter import Letter
from casework.models.notification import InboxMessage
from casework.models.pokir import PokirLine
from casework.models.user import ApiToken
from casework.models.verification import Document
from casework.services.deadlines import add_day_off, set_sla_override
from casework.services.decrees import DecreeInput, add_cases, create_decree, issue_decree
from casework.services.disbursement import BatchInput, create_payment_batch, set_account
from casework.services.letters import render_pending_letters
from casework.services.privacy import reveal_person_number
from casework.services.users import issue_token
from casework.storage import DocumentStore
from tests import factories
from web.db import db

OWN, OTHER = "64.02", "64.72"  # Kutai Kartanegara (the actors' region), Kota Samarinda
VILLAGES = {OWN: factories.KOTA_BANGUN_LIANG, OTHER: factories.SAMARINDA_VILLAGE}


@dataclass
class World:
    """Records of each kind per region, and one region-bound user (with a token) per role."""

    users: dict[Role, User] = field(default_factory=dict)
    tokens: dict[Role, str] = field(default_factory=dict)
    # Per role: the id of a second API token of the user's own (to revoke), and the token
    # of an import job the user started (a job is its owner's only).
    own: dict[Role, dict[str, Any]] = field(default_factory=dict)
    ids: dict[str, dict[str, int]] = field(default_factory=dict)  # region -> kind -> id
    shared: dict[str, int] = field(default_factory=dict)  # kind -> id (not region-bound)


def _first_id(session: Session, stmt: Any) -> int:
    found = session.scalars(stmt.limit(1)).first()
    assert found is not None, str(stmt)
    return int(found)


def _case_records(session: Session, case: Case) -> dict[str, int]:
    def of_case(model: Any) -> int:
        return _first_id(session, select(model.id).where(model.case_id == case.id))

    return {
        "case": case.id,
        "person": case.person_id if case.person_id else 0,
        "document": of_case(Document),
        "handover": of_case(Handover),
        "account": of_case(BeneficiaryAccount),
        "letter": of_case(Letter),
        "usage_report": _first_id(
            session, select(UsageReport.id).where(UsageReport.case_id == case.id)
        ),
        "monitoring_visit": _first_id(
            session, select(MonitoringVisit.id).where(MonitoringVisit.case_id == case.id)
        ),
    }


def _draft_decree(session: Session, manager: User, *, fresh: bool = False) -> int:
    existing = session.scalars(select(Decree.id).where(Decree.issued_at.is_(None))).first()
    if existing is not None and not fresh:
        return int(existing)
    decree = create_decree(
        session,
        DecreeInput(
            program_id=factories.program(session, "WRSE").id,
            fiscal_year=factories.current_year(),
            title="Penetapan penerima bantuan WRSE",
            decree_date=clock.today_wita(),
            signatory_name="Kepala Dinas",
            signatory_position="Kepala Dinas Sosial",
            signatory_nip="197001011990031001",
            considerations=["bahwa bantuan perlu ditetapkan"],
            legal_basis=["Undang-Undang Nomor 11 Tahun 2009"],
        ),
        actor=manager,
    )
    return decree.id


def _account(session: Session, case: Case, finance: User) -> None:
    set_account(
        session,
        case,
        bank_code="BANKALTIM",
        account_number=f"0011223{case.id:06d}",
        holder_name=case.applicant_name,
        actor=finance,
    )


def _payment_batch(session: Session, store: DocumentStore, province: dict[str, User]) -> int:
    """A batch paying one decreed cash case of the actors' region (SP2D under an issued SK)."""
    case = factories.make_case(session, province["caseworker"], "WRSE", village=VILLAGES[OWN])
    factories.drive_to(
        session, case, CaseState.APPROVED, actors=factories.actors(province), store=store
    )
    decree = session.get_one(Decree, _draft_decree(session, province["manager"], fresh=True))
    add_cases(session, decree, [case.id], actor=province["manager"])
    issue_decree(session, decree, actor=province["manager"])
    _account(session, case, province["finance"])
    batch = create_payment_batch(
        session,
        BatchInput("SP2D-MATRIX/2026", clock.today_wita(), "BANKALTIM", [case.id]),
        actor=province["finance"],
    )
    return batch.id


def _own_records(session: Session, world: World, upload_dir: Path) -> None:
    """Per role: a second API token to revoke, and a finished import job of the user's."""
    folder = upload_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    inbox = InboxChannel(session)
    for role, user in world.users.items():
        issue_token(session, user, label="to revoke")
        token_id = session.scalars(
            select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.label == "to revoke")
        ).one()
        job = f"matrix{user.id}"
        _save_job(
            _job_path(folder, job),
            {"owner_id": user.id, "program": "WRSE", "year": clock.today_wita().year,
             "rows": [], "state": "done", "percent": 100, "filename": "pemohon.xlsx"},
        )  # fmt: skip
        inbox.send(Message("Tugas baru", "Kasus menunggu verifikasi.", user_id=user.id))
        message_id = session.scalars(
            select(InboxMessage.id).where(InboxMessage.user_id == user.id)
        ).one()
        world.own[role] = {"token_id": token_id, "token": job, "inbox_message": message_id}


def _reference_records(session: Session, world: World, province: dict[str, User]) -> None:
    """A holiday, an SLA override and a logged reveal of an applicant's NIK."""
    add_day_off(session, date(clock.today_wita().year, 12, 25), "Hari Raya Natal")
    set_sla_override(session, factories.program(session, "WRSE").id, "admin_verification", 7)
    reveal_person_number(
        session,
        world.ids[OWN]["person"],
        "nik",
        actor=province["caseworker"],
        reason="Pencocokan dengan DTSEN",
    )


def build_world(session: Session, store: DocumentStore, upload_dir: Path) -> World:
    province = {role.value: factories.make_user(session, role) for role in Role}
    world = World()
    for region, village in VILLAGES.items():
        case = factories.make_case(session, province["caseworker"], "WRSE", village=village)
        factories.drive_to(
            session,
            case,
            CaseState.MONITORING,
            actors=factories.actors(province),
            store=store,
        )
        _account(session, case, province["finance"])
        world.ids[region] = _case_records(session, case)
        group = factories.make_group(session, province["caseworker"], village=village)
        world.ids[region]["group"] = group.id
    for role in Role:
        user = factories.make_user(session, role, region=OWN)
        world.users[role] = user
        world.tokens[role] = issue_token(session, user, label="matrix")
    _own_records(session, world, upload_dir)
    _reference_records(session, world, province)
    world.shared = {
        "decree": _draft_decree(session, province["manager"]),
        "procurement": _first_id(session, select(Procurement.id)),
        "pokir_line": _first_id(session, select(PokirLine.id)),
        "payment_batch": _payment_batch(session, store, province),
    }
    session.flush()
    return world


def _render_letters(conn: Connection, app: Flask, letter_ids: list[int]) -> None:
    """Render the world's letters to PDF (their downloads need the file)."""

    @contextmanager
    def unit_of_work() -> Iterator[Session]:
        own = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield own
            own.commit()
        finally:
            own.close()

    store = LetterStore(app.config["LETTER_DIR"])
    done = render_pending_letters(
        unit_of_work, store, base_url=app.config["PUBLIC_BASE_URL"], ids=letter_ids
    )
    assert done == len(letter_ids)


@pytest.fixture(scope="module")
def world(app: Flask, engine: Any) -> Iterator[World]:
    """The module's world on one connection whose transaction is rolled back at the end."""
    conn = engine.connect()
    outer = conn.begin()
    db.session.remove()
    db.session_factory.configure(bind=conn, join_transaction_mode="create_savepoint")
    session = Session(bind=conn, join_transaction_mode="create_savepoint", autoflush=False)
    store = DocumentStore(app.config["UPLOAD_DIR"], app.config["MAX_UPLOAD_BYTES"])
    try:
        built = build_world(session, store, Path(app.config["UPLOAD_DIR"]))
        session.commit()
        _render_letters(conn, app, [built.ids[region]["letter"] for region in VILLAGES])
        yield built
    finally:
        session.close()
        db.session.remove()
        db.session_factory.configure(bind=engine, join_transaction_mode="conservative_savepoint")
        outer.rollback()
        conn.close()
