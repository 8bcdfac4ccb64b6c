"""The process tests/security/test_kill.py kills: the real app on its own database.

    python tests/security/kill_child.py DATABASE_URL WORKDIR setup bulk|decree COUNT
    python tests/security/kill_child.py DATABASE_URL WORKDIR run bulk|decree [--pause MARKER]

``setup`` migrates the database, loads the reference data and seeds COUNT submitted cases
(set-based, as the benchmarks do); for ``decree`` it puts them in ``approved`` and lists them
in a draft decree. ``run`` does the one big write in one unit of work: ``advance_many`` of
every case (bulk) or ``issue_decree`` (decree). With ``--pause``, right before COMMIT (every
row written and flushed) it creates MARKER and sleeps: the parent kills it there.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import event, select, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks.dataset import CaseFactory, load_user, make_staff  # noqa: E402
from casework import clock  # noqa: E402
from casework.models import Case, CaseState, Role  # noqa: E402
from casework.models.decree import Decree  # noqa: E402
from casework.services.decrees import (  # noqa: E402
    DecreeInput,
    add_cases,
    create_decree,
    issue_decree,
)
from casework.services.demo import ensure_demo_letter_settings  # noqa: E402
from casework.services.reference import ensure_reference_data  # noqa: E402
from casework.services.regions import load_regions  # noqa: E402
from casework.services.users import create_user  # noqa: E402
from config import TestConfig  # noqa: E402
from web.db import db  # noqa: E402
from workflows.engine import advance_many  # noqa: E402

BULK_TRIGGER = "start_verification"
MANAGER = "kill-manager"


def build_app(url: str, workdir: Path) -> Flask:
    from web import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "kill-test",
            "DATABASE_URL": url,
            "SCHEDULER_ENABLED": False,
            "UPLOAD_DIR": str(workdir / "uploads"),
            "LETTER_DIR": str(workdir / "letters"),
            "DATA_KEYS": TestConfig.DATA_KEYS,
            "HMAC_KEY": TestConfig.HMAC_KEY,
        }
    )


def setup(scenario: str, count: int) -> None:
    from flask_migrate import upgrade

    upgrade(directory=str(ROOT / "migrations"), revision="heads")
    with db.unit_of_work() as session:
        load_regions(session, ROOT / "data" / "regions")
        ensure_reference_data(session)
        ensure_demo_letter_settings(session)
        staff = make_staff(session)
        create_user(
            session,
            username=MANAGER,
            full_name="Kill Manager",
            role=Role.MANAGER.value,
            password="kill-password-not-secret",
        )
        factory = CaseFactory(session, staff)
        ids = factory.insert_submitted(session, count)
        if scenario == "decree":
            _draft_decree(session, factory, ids)


def _draft_decree(session: Session, factory: CaseFactory, ids: list[int]) -> None:
    session.execute(
        update(Case)
        .where(Case.id.in_(ids))
        .values(state=CaseState.APPROVED.value, version=Case.version + 1)
        .execution_options(synchronize_session=False)
    )
    manager = _user(session, MANAGER)
    decree = create_decree(
        session,
        DecreeInput(
            program_id=factory.program_id,
            fiscal_year=factory.fiscal_year,
            title="Penetapan penerima bantuan WRSE",
            decree_date=clock.today_wita(),
            signatory_name="Kepala Dinas",
            signatory_position="Kepala Dinas Sosial Provinsi Kalimantan Timur",
            signatory_nip="197001011990031001",
            considerations=["bahwa untuk pemberdayaan ekonomi"],
            legal_basis=["Undang-Undang Nomor 11 Tahun 2009"],
        ),
        actor=manager,
    )
    add_cases(session, decree, ids, actor=manager)


def _user(session: Session, username: str) -> Any:
    from casework.models import User

    user_id = session.scalars(select(User.id).where(User.username == username)).one()
    return load_user(session, user_id)


def pause_before_commit(marker: Path) -> None:
    """Right before COMMIT: say so, then wait to be killed."""

    def pause(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint inside the unit of work, not its COMMIT
        marker.write_text("in the transaction, before commit\n")
        time.sleep(120)

    event.listen(Session, "before_commit", pause)


def run(scenario: str) -> None:
    with db.unit_of_work() as session:
        if scenario == "bulk":
            ids = list(session.scalars(select(Case.id).order_by(Case.id)))
            verifier = _user(session, "bench-verifier")
            result = advance_many(session, ids, BULK_TRIGGER, actor=verifier)
            assert not result.refused, result.refused
        else:
            decree = session.scalars(select(Decree)).one()
            issue_decree(session, decree, actor=_user(session, MANAGER))
        session.flush()


def main(argv: list[str]) -> None:
    url, workdir, command, scenario, *rest = argv
    app = build_app(url, Path(workdir))
    with app.app_context():
        if command == "setup":
            setup(scenario, int(rest[0]))
        else:
            if rest[:1] == ["--pause"]:
                pause_before_commit(Path(rest[1]))
            run(scenario)
        db.session.remove()
    print(f"{command} {scenario} done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
    # The work is committed. Skip the interpreter's finalization: the thread-local letter
    # renderer's WeasyPrint/Pango objects crash it (SIGSEGV in g_object_unref at exit).
    sys.stderr.flush()
    os._exit(0)
