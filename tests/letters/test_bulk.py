"""Bulk letters of a decree: the SK with its lampiran and one letter per recipient, rendered
in batches across processes, read back with poppler, resumed after a SIGKILL half-way."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.orm import Session

from benchmarks.dataset import CaseFactory, make_staff
from casework import clock
from casework.identity import mask_number
from casework.letters.bulk import letter_progress, render_letters
from casework.letters.kinds import KINDS
from casework.letters.render import default_renderer
from casework.letters.store import LetterStore, StoredLetter
from casework.models import Case, CaseState, User
from casework.models.decree import Decree
from casework.models.letter import Letter, LetterStatus
from casework.services.decrees import add_cases, create_decree, issue_decree
from casework.services.letters import _mark_rendered, is_identical
from config import TestConfig
from tests.admin.helpers import csrf_token, login
from tests.letters.conftest import (
    UnitOfWork,
    decree_input,
    letter_text,
    pdf_of,
    pdf_text,
    qr_payloads,
)
from tests.security.test_kill import CHILD_TIMEOUT, ROOT, Target, own_database

RECIPIENTS = 60


def decree_of(session: Session, manager: User, count: int) -> Decree:
    """An issued decree of ``count`` approved WRSE cases (inserted set-based)."""
    factory = CaseFactory(session, make_staff(session))
    ids = factory.insert_submitted(session, count)
    session.execute(
        update(Case)
        .where(Case.id.in_(ids))
        .values(state=CaseState.APPROVED.value, version=Case.version + 1)
        .execution_options(synchronize_session=False)
    )
    data = decree_input(factory.program_id, factory.fiscal_year)
    decree = create_decree(session, data, actor=manager)
    add_cases(session, decree, ids, actor=manager)
    issue_decree(session, decree, actor=manager)
    session.flush()
    return decree


def _letters(session: Session, decree: Decree) -> list[Letter]:
    session.expire_all()
    stmt = select(Letter).where(Letter.decree_id == decree.id).order_by(Letter.id)
    return list(session.scalars(stmt))


def _pages(path: Path) -> list[str]:
    """The text of each page, as pypdf reads it."""
    return [page.extract_text() for page in PdfReader(path).pages]


def test_issuing_a_decree_writes_one_sk_and_one_letter_per_recipient_rendered_in_batches(
    app: Flask,
    session: Session,
    users: dict[str, User],
    unit_of_work: UnitOfWork,
    letter_store: LetterStore,
) -> None:
    decree = decree_of(session, users["manager"], RECIPIENTS)
    letters = _letters(session, decree)
    kinds = [x.kind for x in letters]
    assert kinds.count("decree") == 1 and kinds.count("approval_notice") == RECIPIENTS
    assert {x.status for x in letters} == {LetterStatus.PENDING.value}
    sk = next(x for x in letters if x.kind == "decree")
    assert sk.number == decree.number and sk.case_id is None
    notices = sorted(x.seq for x in letters if x.kind == "approval_notice")
    assert notices == list(range(notices[0], notices[0] + RECIPIENTS))

    seen: list[int] = []
    done = render_letters(
        unit_of_work,
        letter_store.root,
        base_url=app.config["PUBLIC_BASE_URL"],
        decree_id=decree.id,
        workers=2,
        batch=25,
        on_progress=seen.append,
    )
    assert done == RECIPIENTS + 1 and sum(seen) == RECIPIENTS + 1
    letters = _letters(session, decree)
    assert {x.status for x in letters} == {LetterStatus.RENDERED.value}
    assert letter_progress(session, decree.id).as_dict() == {
        "total": RECIPIENTS + 1, "rendered": RECIPIENTS + 1, "pending": 0, "voided": 0,
        "percent": 100, "done": True,
    }  # fmt: skip
    for letter in letters:
        content = pdf_of(letter_store, letter).read_bytes()
        assert hashlib.sha256(content).hexdigest() == letter.sha256
    assert render_letters(unit_of_work, letter_store.root, base_url="x", decree_id=decree.id) == 0


def test_the_sk_lampiran_lists_every_recipient_with_masked_nik_a_repeated_header_and_page_numbers(
    app: Flask,
    session: Session,
    users: dict[str, User],
    unit_of_work: UnitOfWork,
    letter_store: LetterStore,
) -> None:
    decree = decree_of(session, users["manager"], RECIPIENTS)
    render_letters(unit_of_work, letter_store.root, base_url="https://b.example", workers=1)
    sk = next(x for x in _letters(session, decree) if x.kind == "decree")
    path = pdf_of(letter_store, sk)
    text = pdf_text(path)
    assert "KEPUTUSAN KEPALA DINAS SOSIAL PROVINSI KALIMANTAN TIMUR" in text
    assert f"NOMOR {decree.number}" in text and "Menimbang" in text and "KESATU" in text
    assert f"Jumlah ({RECIPIENTS} penerima)" in text
    pages = _pages(path)
    lampiran = [p for p in pages if "Jenis usaha" in p]
    assert len(lampiran) >= 2, "the lampiran runs over more than one page"
    assert all("Nilai bantuan" in p and "NIK" in p for p in lampiran), "the header repeats"
    rows = re.findall(r"(?m)^(\d+) [^\n]*?(\d{4}\*{4,}\d{4})", "\n".join(lampiran))
    assert [int(n) for n, _ in rows] == list(range(1, RECIPIENTS + 1)), "one row per case"
    assert len(decree.entries) == RECIPIENTS
    assert text.count(f"Jumlah ({RECIPIENTS} penerima)") == 1, "the total is printed once"
    assert pages[1].rstrip().endswith("- 2 -") and "- 1 -" not in pages[0]
    niks = [e.case.person.nik for e in decree.entries if e.case.person is not None]
    assert len(niks) == RECIPIENTS
    assert not any(nik in text for nik in niks), "no NIK appears in full"
    assert {masked for _, masked in rows} == {mask_number(nik) for nik in niks}


def test_every_split_letter_is_byte_identical_to_what_the_verify_page_checks(
    app: Flask,
    tmp_path: Path,
    client: FlaskClient,
    session: Session,
    users: dict[str, User],
    unit_of_work: UnitOfWork,
    letter_store: LetterStore,
) -> None:
    decree = decree_of(session, users["manager"], 12)
    render_letters(unit_of_work, letter_store.root, base_url="https://b.example", workers=2,
                   batch=5)  # fmt: skip
    letters = _letters(session, decree)
    assert len(letters) == 13
    for letter in letters:
        content = pdf_of(letter_store, letter).read_bytes()
        assert is_identical(letter, content) and not is_identical(letter, content + b"\n")
        if letter.kind == "approval_notice":
            text = letter_text(letter_store, letter)
            assert letter.number in text and letter.recipient_name in text
            assert decree.number is not None and decree.number in text
            assert len(_pages(pdf_of(letter_store, letter))) == 1
    split = next(x for x in letters if x.kind == "approval_notice")
    assert qr_payloads(pdf_of(letter_store, split), tmp_path) == [
        f"https://b.example/verify/{split.verify_code}"
    ], "each split letter carries its own QR code"
    for letter in letters[:2] + letters[-2:]:  # the public page, for a few (rate-limited)
        page = client.get(f"/verify/{letter.verify_code}").get_data(as_text=True)
        content = pdf_of(letter_store, letter).read_bytes()
        answer = client.post(
            f"/verify/{letter.verify_code}",
            data={"csrf_token": csrf_token(page), "file": (BytesIO(content), "surat.pdf")},
            content_type="multipart/form-data",
        )
        assert answer.status_code == 200
        html = answer.get_data(as_text=True)
        assert 'data-match="yes"' in html
        assert letter.sha256 is not None and letter.sha256 in html


def test_marking_a_batch_rendered_records_each_file_once_in_one_statement(
    session: Session, users: dict[str, User]
) -> None:
    """The parent marks a worker's whole batch at once: each letter gets its file, hash and
    template version; a letter that has a file already (a run that crashed after marking)
    keeps it; a letter voided meanwhile gets its file and stays voided."""
    decree = decree_of(session, users["manager"], 3)
    fresh, recorded, voided = [x for x in _letters(session, decree) if x.case_id is not None]
    recorded.file_path, recorded.sha256 = "kept.pdf", "0" * 64
    voided.status = LetterStatus.VOIDED.value
    session.flush()
    renderer = default_renderer()
    stored = {
        x.id: StoredLetter(f"2026/{x.id}.pdf", f"{x.id:064d}", 1000 + x.id)
        for x in (fresh, recorded, voided)
    }
    statements: list[str] = []
    with _statements(session, statements):
        _mark_rendered(session, renderer, [(i, "approval_notice", s) for i, s in stored.items()])
    assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 1

    fresh, recorded, voided = [x for x in _letters(session, decree) if x.case_id is not None]
    version = renderer.template_version(KINDS["approval_notice"])
    assert (fresh.status, fresh.file_path, fresh.sha256, fresh.size_bytes) == (
        LetterStatus.RENDERED.value,
        f"2026/{fresh.id}.pdf",
        f"{fresh.id:064d}",
        1000 + fresh.id,
    )
    assert fresh.template_version == version and fresh.rendered_at is not None
    assert (recorded.file_path, recorded.sha256) == ("kept.pdf", "0" * 64)
    assert recorded.status == LetterStatus.PENDING.value
    assert (voided.status, voided.file_path) == (LetterStatus.VOIDED.value, f"2026/{voided.id}.pdf")


@contextmanager
def _statements(session: Session, into: list[str]) -> Iterator[None]:
    """Collect the SQL the session's connection runs meanwhile (executemany counts once)."""
    engine = session.get_bind()

    def record(*args: object) -> None:
        into.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_progress_endpoint_counts_pending_and_rendered_letters_of_the_decree(
    app: Flask,
    client: FlaskClient,
    session: Session,
    users: dict[str, User],
    unit_of_work: UnitOfWork,
    letter_store: LetterStore,
) -> None:
    decree = decree_of(session, users["manager"], 8)
    login(client, users["manager"])
    url = f"/admin/decree/{decree.id}/letters.json"
    before = json.loads(client.get(url).get_data(as_text=True))
    assert before == {"total": 9, "rendered": 0, "pending": 9, "voided": 0, "percent": 0,
                      "done": False}  # fmt: skip
    first = [x.id for x in _letters(session, decree)][:3]
    session.execute(
        update(Letter).where(Letter.id.not_in(first)).values(claimed_at=clock.now())
    )  # others "being rendered elsewhere": this run renders only the first three
    session.flush()
    assert render_letters(unit_of_work, letter_store.root, base_url="x", workers=1) == 3
    after = json.loads(client.get(url).get_data(as_text=True))
    assert after["rendered"] == 3 and after["pending"] == 6 and after["percent"] == 33
    page = client.get(f"/admin/decree/details/?id={decree.id}").get_data(as_text=True)
    assert 'data-progress-url="' in page and "letter_progress.js" in page


# --- kill -9 half-way, then resume --------------------------------------------------------

KILL_CHILD = ROOT / "tests" / "security" / "kill_child.py"
KILLED_RECIPIENTS = 150


@pytest.fixture()
def bulk_database(tmp_path: Path) -> Iterator[Target]:
    with own_database(tmp_path, "bulk") as made:
        yield made


def _cli_env(target: Target) -> dict[str, str]:
    return {
        **os.environ,
        "BERDAYA_DATABASE_URL": target.url,
        "BERDAYA_LETTER_DIR": str(target.workdir / "letters"),
        "BERDAYA_UPLOAD_DIR": str(target.workdir / "uploads"),
        "BERDAYA_INSTANCE_DIR": str(target.workdir),
        "BERDAYA_DATA_KEYS": TestConfig.DATA_KEYS[0],
        "BERDAYA_HMAC_KEY": TestConfig.HMAC_KEY,
        "BERDAYA_SCHEDULER": "0",
        "BERDAYA_ENV": "development",
    }


def _render_command(*extra: str) -> list[str]:
    flask = str(Path(sys.executable).with_name("flask"))
    return [flask, "--app", "wsgi", "letters", "render", "--workers", "2", "--batch", "10",
            *extra]  # fmt: skip


def _rendered(engine: Engine) -> dict[int, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Letter.id, Letter.sha256, Letter.rendered_at).where(
                Letter.status == LetterStatus.RENDERED.value
            )
        )
        return {r.id: (r.sha256, str(r.rendered_at)) for r in rows}


def _kill_half_way(target: Target, engine: Engine, total: int) -> None:
    """Start ``letters render``; SIGKILL its whole process group once some are rendered."""
    child = subprocess.Popen(
        _render_command(), cwd=ROOT, env=_cli_env(target), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT
        while len(_rendered(engine)) < total // 4:
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            assert time.monotonic() < deadline, "the render never got going"
            time.sleep(0.02)
        os.killpg(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        if child.stderr:
            child.stderr.close()


def test_a_render_killed_half_way_resumes_and_renders_each_letter_exactly_once(
    bulk_database: Target,
) -> None:
    target = bulk_database
    for step in (["setup", "decree", str(KILLED_RECIPIENTS)], ["run", "decree"]):
        done = subprocess.run(
            [sys.executable, str(KILL_CHILD), target.url, str(target.workdir), *step],
            cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
    engine = create_engine(target.url)
    try:
        _kill_and_resume(target, engine)
    finally:
        engine.dispose()


def _kill_and_resume(target: Target, engine: Engine) -> None:
    total = KILLED_RECIPIENTS + 1
    _kill_half_way(target, engine, total)
    before = _rendered(engine)
    assert total // 4 <= len(before) < total, "killed half-way"

    resumed = subprocess.run(
        _render_command("--take-over"), cwd=ROOT, env=_cli_env(target),
        capture_output=True, text=True, timeout=CHILD_TIMEOUT,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"rendered: {total - len(before)} letters; still pending: 0" in resumed.stdout

    after = _rendered(engine)
    assert len(after) == total
    assert {i: after[i] for i in before} == before, "nothing rendered before was redone"
    store = LetterStore(target.workdir / "letters")
    with engine.connect() as conn:
        letters = conn.execute(select(Letter).order_by(Letter.id)).all()
    files = sorted(p.relative_to(store.root) for p in store.root.rglob("*.pdf"))
    assert files == sorted(Path(x.file_path) for x in letters), "one file per letter"
    for x in letters:
        assert hashlib.sha256(store.read(x.file_path)).hexdigest() == x.sha256
    notices = sorted(x.seq for x in letters if x.kind == "approval_notice")
    assert notices == list(range(notices[0], notices[0] + KILLED_RECIPIENTS))
    assert len({x.number for x in letters}) == total
    assert [x.kind for x in letters].count("decree") == 1
