"""The public verify page, the letters API and the case page's letters section."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from casework.letters.store import LetterStore
from casework.models import Case, CaseState, User
from casework.models.letter import Letter
from casework.services.letters import letters_of_case, void_letter
from casework.services.users import issue_token
from casework.storage import DocumentStore
from tests import factories
from tests.admin.helpers import csrf_token, login
from tests.letters.conftest import Render, pdf_of


def test_verify_page_answers_for_the_genuine_pdf_and_refuses_a_modified_copy(
    client: FlaskClient, render: Render, letter_store: LetterStore, rejected_letter: Letter
) -> None:
    letter = rejected_letter
    render()
    genuine = pdf_of(letter_store, letter).read_bytes()
    page = client.get(f"/verify/{letter.verify_code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert letter.sha256 is not None
    assert letter.number in html and letter.sha256 in html
    assert letter.recipient_nik_masked in html and 'data-status="valid"' in html
    token = csrf_token(html)
    same = client.post(
        f"/verify/{letter.verify_code}",
        data={"csrf_token": token, "file": (BytesIO(genuine), "surat.pdf")},
        content_type="multipart/form-data",
    )
    assert 'data-match="yes"' in same.get_data(as_text=True)
    tampered = bytearray(genuine)
    tampered[len(tampered) // 2] ^= 0x01
    other = client.post(
        f"/verify/{letter.verify_code}",
        data={"csrf_token": token, "file": (BytesIO(bytes(tampered)), "surat.pdf")},
        content_type="multipart/form-data",
    )
    assert 'data-match="no"' in other.get_data(as_text=True)


def test_verify_page_refuses_an_upload_without_csrf_token(
    client: FlaskClient, render: Render, rejected_letter: Letter
) -> None:
    letter = rejected_letter
    render()
    answer = client.post(
        f"/verify/{letter.verify_code}",
        data={"file": (BytesIO(b"%PDF-1.7"), "surat.pdf")},
        content_type="multipart/form-data",
    )
    assert answer.status_code in (400, 422)
    assert "data-match" not in answer.get_data(as_text=True)


def test_verify_page_says_voided_and_unknown_codes_get_a_404_page(
    client: FlaskClient, session: Session, users: dict[str, User], rejected_letter: Letter
) -> None:
    letter = rejected_letter
    void_letter(session, letter, reason="Salah alamat.", actor=users["manager"])
    session.flush()
    assert 'data-status="voided"' in client.get(f"/verify/{letter.verify_code}").get_data(
        as_text=True
    )
    missing = client.get("/verify/does-not-exist")
    assert missing.status_code == 404
    assert "Traceback" not in missing.get_data(as_text=True)


def test_api_lists_a_case_letters_and_serves_the_pdf_only_within_the_region(
    client: FlaskClient,
    session: Session,
    users: dict[str, User],
    render: Render,
    rejected_letter: Letter,
) -> None:
    letter = rejected_letter
    render()
    raw = issue_token(session, users["caseworker"], label="t")
    other = issue_token(session, users["samarinda_caseworker"], label="t")
    session.flush()
    listed = client.get(
        f"/api/v1/cases/{letter.case_id}/letters", headers={"Authorization": f"Bearer {raw}"}
    )
    assert listed.status_code == 200
    assert [x["number"] for x in listed.get_json()] == [letter.number]
    pdf = client.get(f"/api/v1/letters/{letter.id}/pdf", headers={"Authorization": f"Bearer {raw}"})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    pdf.close()
    outside = client.get(
        f"/api/v1/letters/{letter.id}/pdf", headers={"Authorization": f"Bearer {other}"}
    )
    assert outside.status_code == 404


def _reject_in_the_admin(client: FlaskClient, case: Case, manager: User) -> TestResponse:
    """The manager rejects the case on its admin page (which issues a rejection letter)."""
    login(client, manager)
    page = client.get(f"/admin/case/details/?id={case.id}")
    answer = client.post(
        f"/admin/case/{case.id}/transition/",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "trigger": "reject",
            "expected_version": str(case.version),
            "reason": "Berkas ganda.",
        },
    )
    assert answer.status_code == 302
    return answer


def test_a_transition_in_the_admin_renders_its_letter_once_the_response_went_out(
    client: FlaskClient, session: Session, users: dict[str, User], store: DocumentStore
) -> None:
    case = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    session.flush()
    answer = _reject_in_the_admin(client, case, users["manager"])
    (letter,) = letters_of_case(session, case.id)
    assert letter.status == "pending", "the request answered without waiting for the PDF"
    answer.close()  # what the server does after the last byte: the letter renders now
    session.expire_all()
    assert letter.status == "rendered" and letter.sha256
    html = client.get(f"/admin/case/details/?id={case.id}").get_data(as_text=True)
    assert f"/admin/letter/download/{letter.id}" in html
    download = client.get(f"/admin/letter/download/{letter.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    download.close()


def test_a_letter_that_fails_to_render_after_the_response_is_left_pending_and_unclaimed(
    app: Flask,
    client: FlaskClient,
    session: Session,
    users: dict[str, User],
    store: DocumentStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    case = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    session.flush()
    not_a_directory = tmp_path / "letters"
    not_a_directory.write_text("a file where the letter directory should be")
    monkeypatch.setitem(app.config, "LETTER_DIR", str(not_a_directory))
    answer = _reject_in_the_admin(client, case, users["manager"])
    answer.close()  # does not raise into the server
    session.expire_all()
    (letter,) = letters_of_case(session, case.id)
    assert letter.status == "pending" and letter.file_path is None
    assert letter.claimed_at is None, "the failed run gave its claim back for the next run"
    assert "after the request failed" in caplog.text


def test_letter_settings_are_edited_by_admins_with_field_errors_and_closed_to_others(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    session.flush()
    login(client, users["admin"])
    page = client.get("/admin/lettersettings/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "PEMERINTAH PROVINSI KALIMANTAN TIMUR" in html
    answer = client.post(
        "/admin/lettersettings/",
        data={
            "csrf_token": csrf_token(html),
            "letterhead_lines": "PEMERINTAH PROVINSI KALIMANTAN TIMUR\nDINAS SOSIAL",
            "address": "Jalan Contoh 1",
            "city": "Samarinda",
            "kka": "400.9",
            "unit_code": "Dinsos",
            "number_template": "{kka}/{nomor}",
            "signatory_position": "Kepala Dinas",
            "signatory_name": "Nama",
            "signatory_nip": "1234",
        },
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "NIP" in text and "{seq}" in text
    assert client.get("/admin/letter/").status_code == 200
    client.get("/logout")
    login(client, users["caseworker"])
    assert client.get("/admin/lettersettings/").status_code == 403
    assert client.get("/admin/letter/").status_code == 200
