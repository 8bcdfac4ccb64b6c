"""Personal data under UU 27/2022: encrypted at rest, found by keyed hash, masked everywhere,
shown in full only on a logged reveal, and exported whole for the data subject."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework import clock, privacy
from casework.errors import Duplicate, NotAllowed, NotFound, ValidationError
from casework.models import CaseState, Person, RevealLog, Role
from casework.models.disbursement import BeneficiaryAccount
from casework.models.user import User
from casework.services.disbursement import set_account
from casework.services.login import begin_totp, confirm_totp
from casework.services.privacy import (
    reveal_account_number,
    reveal_person_number,
    rotate_batch,
    rotation_targets,
    subject_access_export,
)
from casework.services.registry import register_person
from casework.services.users import issue_token
from config import TestConfig
from tests import factories
from tests.admin.helpers import csrf_token, login, page_token
from tests.api.conftest import ApiClient

REASON = "Checked against the KTP brought to the office"


def _raw(session: Session, sql: str, **params: object) -> tuple[object, ...]:
    row = session.execute(text(sql), params).one()
    return tuple(row)


def _api(client, session: Session, user: User) -> ApiClient:
    return ApiClient(client, issue_token(session, user, label="test"), None)


@pytest.fixture()
def person(session: Session, users: dict[str, User]) -> Person:
    return factories.make_person(session, users["kukar_caseworker"])


@pytest.fixture()
def restore_keys() -> Iterator[None]:
    """The test keys before the test (another app built in this process may have set its
    own) and again after it."""
    privacy.configure_keys(TestConfig.DATA_KEYS, TestConfig.HMAC_KEY)
    yield
    privacy.configure_keys(TestConfig.DATA_KEYS, TestConfig.HMAC_KEY)


# --- at rest ---------------------------------------------------------------------------


def test_the_database_row_holds_no_clear_nik_or_kk_only_tokens_and_hashes(session, person):
    nik, kk, nik_hash, kk_hash = _raw(
        session,
        "SELECT nik, kk_number, nik_hash, kk_hash FROM persons WHERE id = :id",
        id=person.id,
    )
    for stored in (nik, kk, nik_hash, kk_hash):
        assert person.nik not in str(stored) and person.kk_number not in str(stored)
    assert str(nik).startswith("v1:") and str(kk).startswith("v1:")
    assert nik_hash == privacy.blind_index("nik", person.nik)
    assert kk_hash == privacy.blind_index("kk_number", person.kk_number)


def test_a_bank_account_number_is_encrypted_in_the_row_and_clear_in_python(session, users, store):
    case = factories.case_in_state(session, users, store, CaseState.DRAFT)
    account = set_account(
        session,
        case,
        bank_code="BANKALTIM",
        account_number="0011223344556677",
        holder_name="Siti Aminah",
        actor=users["finance"],
    )
    (stored,) = _raw(
        session, "SELECT account_number FROM beneficiary_accounts WHERE id = :id", id=account.id
    )
    assert "0011223344556677" not in str(stored) and str(stored).startswith("v1:")
    session.expire_all()
    assert session.get(BeneficiaryAccount, account.id).account_number == "0011223344556677"


def test_a_token_moved_to_another_column_does_not_decrypt():
    token = privacy.encrypt("nik", "6402084506850001")
    with pytest.raises(privacy.DecryptionError):
        privacy.decrypt("kk_number", token)


def test_comparing_an_encrypted_column_in_sql_is_refused_so_no_lookup_silently_fails():
    with pytest.raises(TypeError):
        Person.nik == "6402084506850001"  # noqa: B015


# --- lookups by keyed hash ---------------------------------------------------------------


def test_a_person_is_found_by_nik_through_the_hash_whatever_the_separators(session, person):
    typed = f"{person.nik[:4]}.{person.nik[4:6]} {person.nik[6:12]}-{person.nik[12:]}"
    assert session.scalar(select(Person).where(Person.nik_is(typed))) is person
    assert session.scalar(select(Person).where(Person.kk_is(person.kk_number))) is person


def test_a_nik_registered_twice_is_refused_through_the_hash(session, users, person):
    again = factories.person_input(serial=999)
    again.nik = person.nik
    with pytest.raises(Duplicate) as refused:
        register_person(session, again, actor=users["kukar_caseworker"])
    assert refused.value.existing_id == person.id


def test_person_identity_values_feed_a_core_insert_and_the_unique_hash_holds(session, person):
    info = factories.person_input(serial=4321)
    base = {
        "full_name": "Warga Impor",
        "sex": "P",
        "birth_date": date(1985, 6, 15),
        "marital_status": "cerai_mati",
        "village_code": factories.KOTA_BANGUN_LIANG,
        "regency_code": "64.02",
    }
    session.execute(
        insert(Person), [base | privacy.person_identity_values(info.nik, info.kk_number)]
    )
    imported = session.scalar(select(Person).where(Person.nik_is(info.nik)))
    assert imported is not None and imported.kk_number == info.kk_number
    (stored,) = _raw(session, "SELECT nik FROM persons WHERE id = :id", id=imported.id)
    assert str(stored).startswith("v1:")
    with pytest.raises(IntegrityError), session.begin_nested():
        values = privacy.person_identity_values(person.nik, person.kk_number)
        session.execute(insert(Person), [base | values])


# --- key rotation ----------------------------------------------------------------------


def _rotate_all(session: Session) -> int:
    changed = 0
    for target in rotation_targets():
        after = 0
        while True:
            last, count = rotate_batch(session, target, after_id=after, limit=2)
            if last is None:
                break
            after, changed = last, changed + count
    return changed


def _stored_key(session: Session, person: Person) -> str:
    (token,) = _raw(session, "SELECT nik FROM persons WHERE id = :id", id=person.id)
    return privacy.token_key_id(str(token))


def test_after_rotation_the_old_key_can_be_removed(session, users, restore_keys):
    people = [factories.make_person(session, users["caseworker"]) for _ in range(3)]
    niks = {p.id: p.nik for p in people}
    old_id = privacy.key_ids()[0]
    new_key = privacy.generate_key()
    privacy.configure_keys([new_key, *TestConfig.DATA_KEYS], TestConfig.HMAC_KEY)
    new_id = privacy.key_ids()[0]
    session.expire_all()
    assert {p.id: session.get(Person, p.id).nik for p in people} == niks  # old key still reads
    assert _stored_key(session, people[0]) == old_id

    assert _rotate_all(session) >= 3
    assert {_stored_key(session, p) for p in people} == {new_id}
    assert _rotate_all(session) == 0  # idempotent: nothing left to re-encrypt

    privacy.configure_keys([new_key], TestConfig.HMAC_KEY)  # the old key is gone
    session.expire_all()
    assert {p.id: session.get(Person, p.id).nik for p in people} == niks


def test_without_the_key_that_encrypted_a_row_it_does_not_decrypt(session, person, restore_keys):
    privacy.configure_keys([privacy.generate_key()], TestConfig.HMAC_KEY)
    session.expire_all()
    with pytest.raises(privacy.DecryptionError):
        session.get(Person, person.id).nik  # noqa: B018


def test_the_rotate_command_re_encrypts_with_the_newest_key(app, session, person, restore_keys):
    new_key = privacy.generate_key()
    privacy.configure_keys([new_key, *TestConfig.DATA_KEYS], TestConfig.HMAC_KEY)
    result = app.test_cli_runner().invoke(args=["privacy", "rotate", "--batch-size", "50"])
    assert result.exit_code == 0, result.output
    assert "persons:" in result.output
    assert _stored_key(session, person) == privacy.key_ids()[0]
    status = app.test_cli_runner().invoke(args=["privacy", "status"])
    assert f"{privacy.key_ids()[0]}:" in status.output
    assert new_key not in status.output + result.output  # key ids only, never keys


# --- TOTP secrets ----------------------------------------------------------------------


def _enrol(session: Session, user: User) -> pyotp.TOTP:
    """The user's TOTP second factor, enrolled and confirmed now, as the user's app sees it."""
    now = clock.now()
    with clock.frozen(now):
        totp = pyotp.TOTP(begin_totp(session, user))
        confirm_totp(session, user, totp.at(now))
    session.flush()
    return totp


def _log_in_with_a_code(client, user: User, totp: pyotp.TOTP) -> None:
    later = clock.now() + timedelta(seconds=90)
    with clock.frozen(later):
        assert "/login/code" in login(client, user).headers["Location"]
        token = page_token(client, "/login/code")
        done = client.post("/login/code", data={"csrf_token": token, "code": totp.at(later)})
        assert done.status_code == 302
        assert client.get("/admin/").status_code == 200


def _stored_totp_secret(session: Session, user: User) -> str:
    (token,) = _raw(session, "SELECT totp_secret FROM users WHERE id = :id", id=user.id)
    return str(token)


def test_a_totp_secret_is_stored_encrypted_and_its_codes_still_log_in(client, session, users):
    manager = users["manager"]
    totp = _enrol(session, manager)
    stored = _stored_totp_secret(session, manager)
    assert totp.secret not in stored and stored.startswith("v1:")
    assert privacy.decrypt("totp_secret", stored) == totp.secret
    _log_in_with_a_code(client, manager, totp)


def test_rotation_re_encrypts_totp_secrets_and_codes_log_in_without_the_old_key(
    app, client, session, users, restore_keys
):
    manager = users["manager"]
    totp = _enrol(session, manager)
    new_key = privacy.generate_key()
    privacy.configure_keys([new_key, *TestConfig.DATA_KEYS], TestConfig.HMAC_KEY)
    result = app.test_cli_runner().invoke(args=["privacy", "rotate"])
    assert result.exit_code == 0, result.output
    assert "users: 1 rows re-encrypted" in result.output
    assert privacy.token_key_id(_stored_totp_secret(session, manager)) == privacy.key_ids()[0]
    privacy.configure_keys([new_key], TestConfig.HMAC_KEY)  # the old key is gone
    session.expire_all()
    _log_in_with_a_code(client, manager, totp)


# --- configuration ---------------------------------------------------------------------


def test_start_up_without_keys_is_refused_outside_development(tmp_path: Path, restore_keys):
    with pytest.raises(privacy.KeyConfigError):
        privacy.configure_from_settings({"DATA_KEYS": [], "HMAC_KEY": ""}, tmp_path)
    with pytest.raises(privacy.KeyConfigError):
        privacy.configure_keys(["not-a-key"], TestConfig.HMAC_KEY)


def test_development_keys_are_generated_once_private_and_reused(tmp_path: Path, restore_keys):
    settings = {"DATA_KEYS": [], "HMAC_KEY": "", "PRIVACY_DEV_KEYS": True}
    privacy.configure_from_settings(settings, tmp_path)
    first = privacy.key_ids()
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o600
    privacy.configure_from_settings(settings, tmp_path)
    assert privacy.key_ids() == first


# --- masking ---------------------------------------------------------------------------


def test_the_admin_person_list_and_page_show_masked_numbers_only(client, users, person):
    login(client, users["kukar_caseworker"])
    listing = client.get("/admin/person/").get_data(as_text=True)
    page = client.get(f"/admin/person/details/?id={person.id}").get_data(as_text=True)
    for html in (listing, page):
        assert person.nik_masked in html
        assert person.nik not in html and person.kk_number not in html


def test_api_answers_show_masked_numbers_only(client, session, users, person):
    api = _api(client, session, users["kukar_caseworker"])
    body = api.get(f"/persons/{person.id}").get_data(as_text=True)
    listed = api.get("/persons", query_string={"nik": person.nik}).get_data(as_text=True)
    for answer in (body, listed):
        assert person.nik_masked in answer and person.nik not in answer


def test_log_records_and_tracebacks_show_sixteen_digit_numbers_masked(caplog):
    nik = "6402084506850003"
    log = logging.getLogger("berdaya.test")
    with caplog.at_level(logging.INFO):
        log.info("checking NIK %s for KK %s", nik, "6402080101010001")
        try:
            raise ValueError(f"bad person {nik}")
        except ValueError:
            log.exception("import failed")
    assert nik not in caplog.text and "6402080101010001" not in caplog.text
    assert "6402********0003" in caplog.text
    assert privacy.mask_digits_in_text(nik) == "6402********0003"


def test_an_error_never_echoes_a_nik_in_its_message(client, users):
    login(client, users["caseworker"])
    nik = "6402084506850003"
    api = client.get(f"/api/v1/nothing/{nik}")
    assert api.status_code == 404 and nik not in api.get_data(as_text=True)
    page = client.get(f"/admin/nothing/{nik}").get_data(as_text=True)
    main = page[page.index("<main") : page.index("</main>")]
    assert nik not in main


# --- reveal ----------------------------------------------------------------------------


def test_a_caseworker_of_the_region_reveals_a_nik_with_a_reason_and_it_is_logged(
    client, session, users, person
):
    api = _api(client, session, users["kukar_caseworker"])
    response = api.post(f"/persons/{person.id}/reveal", json={"field": "nik", "reason": REASON})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["value"] == person.nik
    assert response.headers["Cache-Control"] == "no-store"
    session.expire_all()
    entry = session.scalars(select(RevealLog).where(RevealLog.person_id == person.id)).one()
    assert (entry.user_id, entry.field, entry.reason) == (
        users["kukar_caseworker"].id,
        "nik",
        REASON,
    )
    assert entry.at is not None


def test_a_reveal_without_a_reason_is_refused_on_the_reason_field_and_not_logged(
    client, session, users, person
):
    api = _api(client, session, users["kukar_verifier"])
    response = api.post(f"/persons/{person.id}/reveal", json={"field": "kk_number", "reason": " "})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"reason"}
    assert session.scalars(select(RevealLog).where(RevealLog.person_id == person.id)).all() == []


def test_roles_without_need_to_know_may_not_reveal_and_other_regions_get_not_found(
    client, session, users, person
):
    for role in ("admin", "manager", "auditor", "finance"):
        answer = _api(client, session, users[role]).post(
            f"/persons/{person.id}/reveal", json={"field": "nik", "reason": REASON}
        )
        assert answer.status_code == 403, role
    elsewhere = _api(client, session, users["samarinda_caseworker"]).post(
        f"/persons/{person.id}/reveal", json={"field": "nik", "reason": REASON}
    )
    assert elsewhere.status_code == 404
    assert person.nik not in elsewhere.get_data(as_text=True)


def test_finance_reveals_an_account_number_and_a_caseworker_may_not(session, users, store):
    case = factories.case_in_state(session, users, store, CaseState.DRAFT)
    set_account(
        session,
        case,
        bank_code="BRI",
        account_number="998877665544",
        holder_name="Siti Aminah",
        actor=users["finance"],
    )
    shown = reveal_account_number(session, case.id, actor=users["finance"], reason=REASON)
    assert shown.value == "998877665544" and shown.log.account_id is not None
    with pytest.raises(NotAllowed):
        reveal_account_number(session, case.id, actor=users["caseworker"], reason=REASON)
    with pytest.raises(NotFound):
        reveal_person_number(
            session, case.person_id, "nik", actor=users["samarinda_caseworker"], reason=REASON
        )


def test_the_admin_show_button_reveals_once_and_logs(client, session, users, person):
    login(client, users["kukar_verifier"])
    page = client.get(f"/admin/person/details/?id={person.id}").get_data(as_text=True)
    assert "reveal-form" in page
    url = f"/admin/privacy/person/{person.id}/reveal"
    shown = client.post(
        url, data={"csrf_token": csrf_token(page), "field": "kk_number", "reason": REASON}
    )
    assert shown.status_code == 200
    assert person.kk_number in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"].startswith("no-store")
    refused = client.post(url, data={"csrf_token": csrf_token(page), "field": "nik", "reason": ""})
    assert refused.status_code == 302
    without_csrf = client.post(url, data={"field": "nik", "reason": REASON})
    assert without_csrf.status_code == 400
    session.expire_all()
    fields = [
        e.field for e in session.scalars(select(RevealLog).where(RevealLog.person_id == person.id))
    ]
    assert fields == ["kk_number"]


def test_the_person_page_offers_no_show_button_to_roles_without_need_to_know(client, users, person):
    login(client, users["manager"])
    page = client.get(f"/admin/person/details/?id={person.id}").get_data(as_text=True)
    assert "reveal-form" not in page
    assert f"/admin/privacy/person/{person.id}/export" in page


def test_the_reveal_log_is_read_only_and_shown_to_auditors_not_to_caseworkers(
    client, session, users, person
):
    entry = reveal_person_number(
        session, person.id, "nik", actor=users["kukar_caseworker"], reason=REASON
    )
    session.commit()
    login(client, users["auditor"])
    listing = client.get("/admin/reveallog/")
    assert listing.status_code == 200 and REASON in listing.get_data(as_text=True)
    assert person.nik not in listing.get_data(as_text=True)
    assert client.get("/admin/reveallog/new/").status_code in (302, 403)
    client.get("/logout")
    login(client, users["caseworker"])
    assert client.get("/admin/reveallog/").status_code == 403
    entry.log.reason = "changed afterwards"
    with pytest.raises(NotAllowed):
        session.flush()


# --- data-subject access export --------------------------------------------------------


def test_the_subject_access_export_holds_the_persons_records_and_who_touched_them(
    session, users, store
):
    case = factories.case_in_state(session, users, store, CaseState.DTSEN_CHECK)
    reveal_person_number(session, case.person_id, "nik", actor=users["verifier"], reason=REASON)
    data = subject_access_export(session, case.person_id, actor=users["auditor"], reason=REASON)
    json.dumps(data)  # JSON-ready
    person = session.get(Person, case.person_id)
    assert data["person"]["nik"] == person.nik and "nik_hash" not in data["person"]
    assert [c["number"] for c in data["records"]["cases"]] == [case.number]
    assert data["records"]["case_events"], "the case's history is part of the export"
    fields = {r["field"] for r in data["records"]["reveal_logs"]}
    assert fields == {"nik", "subject_access_export"}
    touched = {u["username"] for u in data["touched_by"]}
    assert {users["caseworker"].username, users["verifier"].username} <= touched
    assert "password_hash" not in json.dumps(data["touched_by"])


def test_the_subject_access_export_is_for_managers_admins_and_auditors_only(session, users, person):
    with pytest.raises(NotAllowed):
        subject_access_export(session, person.id, actor=users["caseworker"], reason=REASON)
    with pytest.raises(ValidationError):
        subject_access_export(session, person.id, actor=users["manager"], reason="")
    samarinda_manager = factories.make_user(session, Role.MANAGER, region="64.72")
    with pytest.raises(NotFound):
        subject_access_export(session, person.id, actor=samarinda_manager, reason=REASON)


def test_the_admin_export_downloads_json_and_is_logged(client, session, users, person):
    login(client, users["auditor"])
    url = f"/admin/privacy/person/{person.id}/export"
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "reason": REASON})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_json()["person"]["nik"] == person.nik
    session.expire_all()
    logged = session.scalars(select(RevealLog).where(RevealLog.person_id == person.id)).one()
    assert logged.field == "subject_access_export" and logged.user_id == users["auditor"].id


def test_the_export_command_finds_the_person_by_nik(app: Flask, users, person, tmp_path):
    out = tmp_path / "export.json"
    result = app.test_cli_runner().invoke(
        args=[
            "privacy",
            "export",
            "--nik",
            person.nik,
            "--user",
            users["manager"].username,
            "--reason",
            REASON,
            "--output",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["person"]["id"] == person.id
    assert out.stat().st_mode & 0o777 == 0o600
