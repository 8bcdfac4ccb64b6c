"""Letters issued by transitions: numbered in the transition's transaction, rendered after,
read back from the PDF with poppler; missing settings refuse before any number is used."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework import clock
from casework.letters.render import long_date_id
from casework.letters.store import LetterStore
from casework.letters.terbilang import rupiah_figures
from casework.models import Case, CaseState, User
from casework.models.letter import Letter, LetterNumberSequence, LetterSettings, LetterStatus
from casework.models.verification import Assessment
from casework.services.demo import drive_to
from casework.services.letters import (
    LetterSettingsIncomplete,
    letters_of_case,
    reissue_letter,
    void_letter,
)
from casework.storage import DocumentStore
from tests import factories
from tests.letters.conftest import (
    Render,
    decree_input,
    letter_text,
    only_letter,
    pdf_of,
    qr_payloads,
)
from workflows.engine import advance


def _last_seq(session: Session) -> int:
    return session.scalars(select(func.max(LetterNumberSequence.last_value))).one() or 0


def test_rejection_letter_carries_number_name_reason_and_indonesian_date(
    session: Session,
    users: dict[str, User],
    store: DocumentStore,
    render: Render,
    letter_store: LetterStore,
) -> None:
    case = factories.case_in_state(session, users, store, CaseState.ADMIN_VERIFICATION)
    reason = "Dokumen KK tidak terbaca; mohon unggah ulang dengan jelas."
    advance(session, case, "reject", actor=users["verifier"], reason=reason)
    letter = only_letter(session, case, "rejection_notice")
    year = clock.today_wita().year
    assert letter.status == LetterStatus.PENDING.value
    assert letter.number == f"400.9/{letter.seq}/Dinsos/{year}"
    assert render() >= 1
    assert letter.status == LetterStatus.RENDERED.value and letter.sha256
    text = letter_text(letter_store, letter)
    assert letter.number in text
    assert case.person is not None and case.person.full_name in text
    assert reason in text
    assert f"Samarinda, {long_date_id(clock.today_wita())}" in text
    assert "NIP. 197001011995031001" in text


def test_approval_letter_goes_out_with_the_decree_with_amount_in_words_and_lpj_date(
    session: Session,
    users: dict[str, User],
    store: DocumentStore,
    render: Render,
    letter_store: LetterStore,
) -> None:
    case = factories.case_in_state(session, users, store, CaseState.APPROVED)
    assert [x.kind for x in letters_of_case(session, case.id)] == []
    advance(session, case, "decree", actor=users["manager"])
    letter = only_letter(session, case, "approval_notice")
    render()
    text = letter_text(letter_store, letter)
    from casework.letters.terbilang import rupiah_in_words

    assert rupiah_in_words(case.requested_amount) in text
    assert f"10 Januari {case.fiscal_year + 1}" in text
    assert case.person is not None
    assert letter.recipient_nik_masked == case.person.nik_masked != case.person.nik


def test_approval_letter_lists_each_item_of_the_package_with_its_value_and_the_total(
    session: Session,
    users: dict[str, User],
    store: DocumentStore,
    render: Render,
    letter_store: LetterStore,
) -> None:
    case = factories.case_in_state(session, users, store, CaseState.APPROVED)
    advance(session, case, "decree", actor=users["manager"])
    letter = only_letter(session, case, "approval_notice")
    render()
    text = " ".join(letter_text(letter_store, letter).split())
    assessment = session.scalars(select(Assessment).where(Assessment.case_id == case.id)).one()
    assert assessment.items

    for n, item in enumerate(assessment.items, start=1):
        each = f" @ {rupiah_figures(item.unit_price)}" if item.quantity != 1 else ""
        expected = (
            f"{n}. {item.name}, {item.quantity} {item.unit}{each},"
            f" senilai {rupiah_figures(item.quantity * item.unit_price)};"
        )
        assert expected in text
    total = sum(item.quantity * item.unit_price for item in assessment.items)
    assert f"dengan nilai seluruhnya {rupiah_figures(total)}." in text


def test_kube_approval_letter_lists_every_member_with_nik_masked(
    session: Session,
    users: dict[str, User],
    store: DocumentStore,
    render: Render,
    letter_store: LetterStore,
) -> None:
    case = factories.case_in_state(session, users, store, CaseState.DECREED, "KUBE")
    letter = only_letter(session, case, "kube_group_notice")
    render()
    text = letter_text(letter_store, letter)
    assert case.group is not None
    for member in case.group.members:
        assert member.person.full_name in text
        assert member.person.nik not in text
        assert member.person.nik_masked in text


def test_qr_code_decodes_to_the_public_verify_url(
    app: Flask, render: Render, letter_store: LetterStore, rejected_letter: Letter, tmp_path: Path
) -> None:
    letter = rejected_letter
    render()
    payloads = qr_payloads(pdf_of(letter_store, letter), tmp_path)
    assert payloads == [f"{app.config['PUBLIC_BASE_URL']}/verify/{letter.verify_code}"]
    assert len(letter.verify_code) >= 32


def test_names_with_markup_are_printed_as_text_and_long_names_wrap(
    session: Session,
    users: dict[str, User],
    store: DocumentStore,
    render: Render,
    letter_store: LetterStore,
) -> None:
    name = "Siti <script>alert('x')</script> <b>Aminah</b> " + "Binti Abdurrahman " * 6
    person = factories.make_person(session, users["caseworker"], name=name.strip()[:120])
    case = factories.make_case(session, users["caseworker"], applicant=person)
    case = drive_to(session, case, CaseState.SUBMITTED, actors=factories.actors(users), store=store)
    advance(session, case, "reject", actor=users["manager"], reason="<img src=x onerror=1>")
    render()
    letter = only_letter(session, case, "rejection_notice")
    text = letter_text(letter_store, letter)
    assert "<script>alert('x')</script>" in text  # shown as text, not run as markup
    assert "<img src=x onerror=1>" in text
    from pypdf import PdfReader

    assert len(PdfReader(pdf_of(letter_store, letter)).pages) == 1


def test_missing_signatory_refuses_the_transition_and_uses_no_number(
    session: Session, users: dict[str, User], store: DocumentStore
) -> None:
    case = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    settings = session.scalars(select(LetterSettings)).one()
    settings.signatory_nip = ""
    settings.signatory_name = " "
    session.flush()
    before = _last_seq(session)
    with pytest.raises(LetterSettingsIncomplete) as refused:
        advance(session, case, "reject", actor=users["manager"], reason="Tidak lengkap.")
    assert refused.value.missing == ["signatory_name", "signatory_nip"]
    assert "Signatory name, Signatory NIP" in str(refused.value)
    session.expire_all()
    assert session.get_one(Case, case.id).state == CaseState.SUBMITTED.value
    assert _last_seq(session) == before
    assert letters_of_case(session, case.id) == []


def test_rolled_back_transition_leaves_no_letter_and_the_next_number_follows_on(
    session: Session, users: dict[str, User], store: DocumentStore
) -> None:
    first = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    second = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    session.flush()
    before = _last_seq(session)
    savepoint = session.begin_nested()
    advance(session, first, "reject", actor=users["manager"], reason="Dibatalkan nanti.")
    assert _last_seq(session) == before + 1
    savepoint.rollback()
    session.expire_all()
    assert letters_of_case(session, first.id) == []
    assert _last_seq(session) == before
    advance(session, second, "reject", actor=users["manager"], reason="Ditolak.")
    assert only_letter(session, second, "rejection_notice").seq == before + 1


def test_reissue_keeps_the_old_file_byte_identical_and_marks_it_superseded(
    session: Session,
    users: dict[str, User],
    render: Render,
    letter_store: LetterStore,
    rejected_letter: Letter,
) -> None:
    old = rejected_letter
    render()
    old_bytes = pdf_of(letter_store, old).read_bytes()
    new = reissue_letter(session, old, reason="Nama penerima diperbaiki.", actor=users["manager"])
    render()
    assert (new.number, new.version, new.supersedes_id) == (old.number, 2, old.id)
    assert old.superseded_at is not None and old.verification == "superseded"
    assert new.file_path is not None and new.file_path != old.file_path
    assert pdf_of(letter_store, old).read_bytes() == old_bytes
    assert new.verify_code != old.verify_code and new.verification == "valid"


def test_void_keeps_the_number_and_refuses_caseworkers(
    session: Session, users: dict[str, User], render: Render, rejected_letter: Letter
) -> None:
    from casework.errors import NotAllowed, ValidationError

    letter = rejected_letter
    render()
    sha256 = letter.sha256
    with pytest.raises(NotAllowed):
        void_letter(session, letter, reason="Salah kirim.", actor=users["caseworker"])
    with pytest.raises(ValidationError):
        void_letter(session, letter, reason=" ", actor=users["manager"])
    void_letter(session, letter, reason="Salah kirim.", actor=users["manager"])
    assert letter.verification == "voided" and letter.number.startswith("400.9/")
    assert letter.status == LetterStatus.VOIDED.value and letter.sha256 == sha256 is not None


def test_issuing_a_decree_writes_one_approval_letter_per_case_citing_the_decree(
    session: Session,
    users: dict[str, User],
    store: DocumentStore,
    render: Render,
    letter_store: LetterStore,
) -> None:
    from casework.services.decrees import add_cases, create_decree, issue_decree

    cases = [factories.case_in_state(session, users, store, CaseState.APPROVED) for _ in range(3)]
    data = decree_input(factories.program(session, "WRSE").id, factories.current_year())
    decree = create_decree(session, data, actor=users["manager"])
    add_cases(session, decree, [c.id for c in cases], actor=users["manager"])
    before = _last_seq(session)
    issue_decree(session, decree, actor=users["manager"])
    letters = [only_letter(session, c, "approval_notice") for c in cases]
    assert sorted(x.seq for x in letters) == [before + 1, before + 2, before + 3]
    render()
    assert decree.number is not None
    for case, letter in zip(cases, letters, strict=True):
        text = letter_text(letter_store, letter)
        assert decree.number in text and case.number in text
