"""Letter fixtures: the store under the test app's LETTER_DIR and a renderer run that uses
sessions on the test's connection (so it sees, and its writes roll back with, the test)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from casework.letters.store import LetterStore
from casework.services.letters import render_pending_letters

Render = Callable[[], int]


@pytest.fixture()
def letter_store(app: Flask) -> LetterStore:
    return LetterStore(app.config["LETTER_DIR"])


@pytest.fixture()
def render(
    app: Flask, connection: Connection, session: Session, letter_store: LetterStore
) -> Render:
    """Render every pending letter the test has written (after flushing the test's session)."""

    @contextmanager
    def unit_of_work() -> Iterator[Session]:
        own = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield own
            own.commit()
        finally:
            own.close()

    def run() -> int:
        session.flush()
        done = render_pending_letters(
            unit_of_work, letter_store, base_url=app.config["PUBLIC_BASE_URL"]
        )
        session.expire_all()
        return done

    return run


def pdf_text(path: Path) -> str:
    """The text of a PDF as poppler's pdftotext reads it (one space between words)."""
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True)
    return " ".join(out.stdout.split())


def qr_payloads(path: Path, tmp_path: Path) -> list[str]:
    """What zbarimg decodes from page 1 of the PDF rendered to PNG by pdftoppm."""
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(prefix)],
                   check=True)  # fmt: skip
    png = next(tmp_path.glob("page*.png"))
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line]
