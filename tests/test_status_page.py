"""The public status page (/status): a beneficiary sees where their application stands,
in plain Indonesian, after proving who they are; nobody else learns anything."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from casework.errors import NotFound, ValidationError
from casework.models import Case, CaseState, User
from casework.services.status import (
    PLAIN_STEPS,
    StatusQuery,
    check_query,
    initials,
    public_status,
)
from casework.storage import DocumentStore
from tests import factories
from tests.admin.helpers import page_token, translated
from web.i18n import long_date
from web.limits import limiter

BIRTH = date(1985, 6, 15)  # factories.person_input's default birth date
_addresses = itertools.count(1)


@pytest.fixture()
def address() -> str:
    """A client address of its own, so the rate limit of one test never spills into another."""
    return f"10.9.{next(_addresses) // 250}.{next(_addresses) % 250 + 1}"


def look_up(
    client: FlaskClient, address: str, number: str, *, birth: str = "", nik: str = "", lang=""
) -> TestResponse:
    environ = {"REMOTE_ADDR": address}
    suffix = f"?lang={lang}" if lang else ""
    token = page_token(client, "/status/" + suffix)
    return client.post(
        "/status/" + suffix,
        data={"number": number, "birth_date": birth, "nik_last4": nik, "csrf_token": token},
        environ_base=environ,
    )


def text_of(response: TestResponse) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def wrse_case(session: Session, users: dict[str, User], store: DocumentStore, state) -> Case:
    return factories.case_in_state(session, users, store, state)


# --- the domain lookup ------------------------------------------------------------------


def test_every_state_has_a_plain_description_and_only_final_states_lack_a_next_step() -> None:
    assert set(PLAIN_STEPS) == set(CaseState)
    finals = {CaseState.CLOSED, CaseState.NON_COMPLIANT, CaseState.REJECTED, CaseState.CANCELLED}
    assert {s for s, (_, following) in PLAIN_STEPS.items() if following is None} == finals


def test_the_birth_date_or_the_last_nik_digits_open_the_case(session, users, store) -> None:
    case = wrse_case(session, users, store, CaseState.ADMIN_VERIFICATION)
    person = case.person
    assert person is not None
    by_birth = public_status(session, StatusQuery(case.number.lower(), birth_date=BIRTH))
    by_nik = public_status(session, StatusQuery(f" {case.number} ", nik_last4=person.nik[-4:]))
    assert by_birth == by_nik
    assert by_birth.state == "admin_verification"
    assert by_birth.due_at == case.due_at and by_birth.due_at is not None
    assert by_birth.initials == initials(person.full_name)


def test_a_wrong_birth_date_and_an_unknown_number_get_the_same_answer(
    session, users, store
) -> None:
    case = wrse_case(session, users, store, CaseState.SUBMITTED)
    with pytest.raises(NotFound) as wrong_date:
        public_status(session, StatusQuery(case.number, birth_date=date(1985, 6, 16)))
    with pytest.raises(NotFound) as wrong_digits:
        public_status(session, StatusQuery(case.number, nik_last4="0000"))
    with pytest.raises(NotFound) as unknown:
        public_status(session, StatusQuery("WRSE-1999-999999", birth_date=BIRTH))
    assert wrong_date.value.message == wrong_digits.value.message == unknown.value.message


def test_a_kube_case_opens_with_the_chairs_details_only(session, users, store) -> None:
    case = factories.case_in_state(session, users, store, CaseState.SUBMITTED, "KUBE")
    assert case.group is not None
    chair, secretary = case.group.members[0].person, case.group.members[1].person
    found = public_status(session, StatusQuery(case.number, nik_last4=chair.nik[-4:]))
    assert found.initials == initials(case.group.name)
    if secretary.nik[-4:] != chair.nik[-4:]:
        with pytest.raises(NotFound):
            public_status(session, StatusQuery(case.number, nik_last4=secretary.nik[-4:]))


def test_a_malformed_query_is_refused_field_by_field() -> None:
    with pytest.raises(ValidationError) as raised:
        check_query(StatusQuery("12345", nik_last4="12a"))
    assert set(raised.value.fields) == {"number", "nik_last4"}
    with pytest.raises(ValidationError) as empty:
        check_query(StatusQuery(""))
    assert set(empty.value.fields) == {"number", "birth_date"}


def test_initials_keep_only_the_first_letter_of_each_name() -> None:
    assert initials("Siti Rahmawati") == "S. R."
    assert initials("  nur   'aini  ") == "N. A."
    assert initials("KUBE Maju Jaya Bersama Sejahtera") == "K. M. J. B."


# --- the page ---------------------------------------------------------------------------


def test_the_form_is_indonesian_mobile_ready_and_labelled(app: Flask, client) -> None:
    page = client.get("/status/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="viewport"' in html and 'lang="id"' in html
    assert translated(app, "Check your application") in html
    for field in ("number", "birth_date", "nik_last4"):
        assert f'<label for="{field}"' in html
    assert 'type="date"' in html and 'inputmode="numeric"' in html


def test_the_result_shows_the_step_in_plain_indonesian_and_nothing_personal(
    app: Flask, client, session, users, store, address
) -> None:
    case = wrse_case(session, users, store, CaseState.DTSEN_CHECK)
    person = case.person
    assert person is not None
    response = look_up(client, address, case.number, birth="1985-06-15")
    page = text_of(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    current, following = PLAIN_STEPS[CaseState.DTSEN_CHECK]
    assert translated(app, current) in page and translated(app, current) != current
    assert following is not None and translated(app, following) in page
    with app.test_request_context():
        due = long_date(case.due_at)
    assert due in page and re.search(r"\d+ [A-Z][a-z]+ \d{4}", due)
    assert initials(person.full_name) in page
    assert person.full_name not in page
    assert person.nik not in page and person.nik[-4:] not in page
    assert person.village.name not in page and "4.500.000" not in page


def test_the_page_is_english_on_request(app, client, session, users, store, address) -> None:
    case = wrse_case(session, users, store, CaseState.SUBMITTED)
    page = text_of(look_up(client, address, case.number, birth="1985-06-15", lang="en"))
    assert PLAIN_STEPS[CaseState.SUBMITTED][0] in page


def test_a_final_state_has_no_next_step_nor_due_date(
    app, client, session, users, store, address
) -> None:
    case = wrse_case(session, users, store, CaseState.REJECTED)
    page = text_of(look_up(client, address, case.number, birth="1985-06-15"))
    assert translated(app, PLAIN_STEPS[CaseState.REJECTED][0]) in page
    assert translated(app, "Next") not in page.split()
    assert "next-step" not in look_up(client, address, case.number, birth="1985-06-15").get_data(
        as_text=True
    )


def test_wrong_details_and_an_unknown_number_look_exactly_alike(
    app, client, session, users, store, address
) -> None:
    case = wrse_case(session, users, store, CaseState.SUBMITTED)
    wrong = look_up(client, address, case.number, birth="1990-01-01")
    unknown = look_up(client, address, "WRSE-1999-999999", birth="1990-01-01")
    assert wrong.status_code == unknown.status_code == 404
    message = re.compile(
        r'<div class="notice notice-error" role="alert" id="status-message">'
        r"(.*?)</div>",
        re.S,
    )
    shown = [message.search(r.get_data(as_text=True)) for r in (wrong, unknown)]
    assert shown[0] and shown[1] and shown[0].group(1) == shown[1].group(1)
    assert shown[0].group(1).strip() == translated(
        app, "No application matches this case number and these details. Check both and try again."
    )


def test_bad_input_is_explained_next_to_each_field_and_kept(app, client, address) -> None:
    response = look_up(client, address, "WRSE 2026", birth="", nik="12a")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    number_error = translated(app, "A case number looks like WRSE-2026-000123.")
    digits_error = translated(app, "Enter exactly the last 4 digits of your NIK.")
    assert f'data-field="number">{number_error}' in html
    assert f'data-field="nik_last4">{digits_error}' in html
    assert 'value="WRSE 2026"' in html and 'value="12a"' in html
    assert 'aria-invalid="true"' in html


def test_a_nonsense_birth_date_gets_wtforms_message_in_indonesian(app, client, address) -> None:
    response = look_up(client, address, "WRSE-2026-000001", birth="31-31-1985")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert translated(app, "Not a valid date value.") in html
    assert translated(app, "Not a valid date value.") != "Not a valid date value."


def test_lookups_are_rate_limited_with_a_translated_page(app, client, monkeypatch, address) -> None:
    monkeypatch.setitem(app.config, "STATUS_LOOKUP_LIMIT", "3/minute")
    limiter.reset()
    answers = [look_up(client, address, "WRSE-1999-000001", birth="1985-06-15") for _ in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    page = text_of(answers[-1])
    wait = "You have tried too many times. Please wait a few minutes and try again."
    assert translated(app, wait) in page
    other = look_up(client, address.replace("10.9", "10.8"), "WRSE-1999-000001", birth="1985-06-15")
    assert other.status_code == 404  # another address is not blocked
