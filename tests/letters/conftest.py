"""Letter fixtures and helpers: the store under the test app's LETTER_DIR, units of work and
a renderer run on the test's connection (so they see, and their writes roll back with, the
test), a rejected case's letter, a decree's input, and reading a PDF back with
poppler (pdftotext) and zbar."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from casework import clock
from casework.letters.store import LetterStore
from casework.models import Case, CaseState, User
from casework.models.letter import Letter
from casework.services.decrees import DecreeInput
from casework.services.letters import letters_of_case, render_pending_letters
from casework.storage import DocumentStore
from tests import factories
from workflows.engine import advance

Render = Callable[[], int]
UnitOfWork = Callable[[], AbstractContextManager[Session]]


@pytest.fixture()
def letter_store(app: Flask) -> LetterStore:
    return LetterStore(app.config["LETTER_DIR"])


@pytest.fixture()
def unit_of_work(connection: Connection) -> UnitOfWork:
    """Sessions on the test's connection (their writes roll back with the test)."""

    @contextmanager
    def open_one() -> Iterator[Session]:
        own = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield own
            own.commit()
        finally:
            own.close()

    return open_one


@pytest.fixture()
def render(
    app: Flask, session: Session, unit_of_work: UnitOfWork, letter_store: LetterStore
) -> Render:
    """Render every pending letter the test has written (after flushing the test's session)."""

    def run() -> int:
        session.flush()
        done = render_pending_letters(
            unit_of_work, letter_store, base_url=app.config["PUBLIC_BASE_URL"]
        )
        session.expire_all()
        return done

    return run


def only_letter(session: Session, case: Case, kind: str) -> Letter:
    """The one letter of ``kind`` the case has."""
    letters = [x for x in letters_of_case(session, case.id) if x.kind == kind]
    assert len(letters) == 1, letters
    return letters[0]


@pytest.fixture()
def rejected_letter(session: Session, users: dict[str, User], store: DocumentStore) -> Letter:
    """The rejection letter (pending) of a submitted case the manager rejected."""
    case = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    advance(session, case, "reject", actor=users["manager"], reason="Tidak memenuhi syarat.")
    return only_letter(session, case, "rejection_notice")


def decree_input(program_id: int, fiscal_year: int, **changes: Any) -> DecreeInput:
    """A complete decree of today for the program and year (``changes`` replace fields)."""
    fields: dict[str, Any] = {
        "program_id": program_id,
        "fiscal_year": fiscal_year,
        "title": "Penetapan Penerima Bantuan Wanita Rawan Sosial Ekonomi",
        "decree_date": clock.today_wita(),
        "signatory_name": "Andi Muhammad Ishak",
        "signatory_position": "Kepala Dinas Sosial Provinsi Kalimantan Timur",
        "signatory_nip": "197001011990031001",
        "considerations": ["bahwa untuk pemberdayaan ekonomi perempuan rawan sosial ekonomi"],
        "legal_basis": ["Undang-Undang Nomor 11 Tahun 2009 tentang Kesejahteraan Sosial"],
    }
    return DecreeInput(**(fields | changes))


def pdf_of(store: LetterStore, letter: Letter) -> Path:
    """Where the rendered letter's PDF is."""
    assert letter.file_path is not None, f"letter {letter.number} is not rendered"
    return store.path(letter.file_path)


def pdf_text(path: Path) -> str:
    """The text of a PDF as poppler's pdftotext reads it (one space between words)."""
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True)
    return " ".join(out.stdout.split())


def letter_text(store: LetterStore, letter: Letter) -> str:
    """The text of a rendered letter's PDF."""
    return pdf_text(pdf_of(store, letter))


def qr_payloads(path: Path, tmp_path: Path) -> list[str]:
    """What zbarimg decodes from page 1 of the PDF rendered to PNG by pdftoppm."""
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(prefix)],
                   check=True)  # fmt: skip
    png = next(tmp_path.glob("page*.png"))
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line]
