"""XSS payloads in free-text fields come back escaped in admin pages, the API and letters;
SQL metacharacters in searches and filters give ordinary answers."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy.orm import Session

from casework.letters.content import document_for, letterhead
from casework.letters.render import default_renderer
from casework.models import CaseState, Person, User
from casework.models.letter import LetterSettings
from casework.services.letters import letters_of_case
from casework.services.registry import register_person
from casework.services.users import issue_token
from casework.storage import DocumentStore
from tests import factories
from tests.admin.helpers import login
from workflows.engine import advance

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, IMG)
SEARCHES = ("' OR 1=1 --", "%", "_", "\\", '"', "%' OR '1'='1", "Ω漢字🙂", "x" * 5000, "a\x00b")


def _payload_person(session: Session, actor: User) -> Person:
    data = factories.person_input(sex="P", name=f"Siti {SCRIPT}")
    return register_person(
        session,
        replace(data, address=f"Jl. {IMG}", birth_place=f"Tenggarong {SCRIPT}"),
        actor=actor,
    )


def _assert_escaped(page: str, *, shown: str | None = None) -> None:
    for payload in PAYLOADS:
        assert payload not in page, f"unescaped {payload!r}"
    if shown is not None:
        assert str(escape(shown)) in page, f"{shown!r} is not shown escaped"


@pytest.fixture()
def payload_case(session: Session, users: dict[str, User], store: DocumentStore) -> Any:
    """A submitted WRSE case of a person whose name, address and birth place are payloads,
    rejected by the verifier with a payload reason (which issues a rejection letter)."""
    person = _payload_person(session, users["caseworker"])
    case = factories.make_case(session, users["caseworker"], applicant=person)
    case = factories.drive_to(
        session, case, CaseState.SUBMITTED, actors=factories.actors(users), store=store
    )
    advance(session, case, "reject", actor=users["manager"], reason=f"Tidak layak {IMG}")
    session.flush()
    return case


def test_payloads_in_names_addresses_and_reasons_come_back_escaped_in_admin_pages(
    client: FlaskClient, session: Session, users: dict[str, User], payload_case: Any
) -> None:
    login(client, users["manager"])
    person_id = payload_case.person_id
    pages = {
        "/admin/person/": SCRIPT,
        f"/admin/person/details/?id={person_id}": SCRIPT,
        "/admin/case/": SCRIPT,
        f"/admin/case/details/?id={payload_case.id}": IMG,
    }
    for url, shown in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_escaped(response.get_data(as_text=True), shown=shown)


def test_payloads_come_back_as_plain_json_strings_from_the_api(
    client: FlaskClient, session: Session, users: dict[str, User], payload_case: Any
) -> None:
    token = issue_token(session, users["manager"], label="injection")
    response = client.get(
        f"/api/v1/persons/{payload_case.person_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["full_name"] == f"Siti {SCRIPT}"  # data, returned as it was given
    assert response.headers.get("X-Content-Type-Options") == "nosniff"


def test_a_letter_escapes_payloads_in_its_html_and_prints_them_as_text(
    session: Session, payload_case: Any
) -> None:
    letter = next(
        x for x in letters_of_case(session, payload_case.id) if x.kind == "rejection_notice"
    )
    settings = session.query(LetterSettings).order_by(LetterSettings.id).first()
    assert settings is not None
    document = document_for(session, letter, letterhead(settings), "https://berdaya.test/v/x")
    source = default_renderer().html([document])
    _assert_escaped(source, shown=f"Siti {SCRIPT}")
    assert str(escape(f"Tidak layak {IMG}")) in source
    pdf = subprocess.run(
        ["pdftotext", "-", "-"], input=default_renderer().render(document), capture_output=True
    )
    text = " ".join(pdf.stdout.decode().split())
    assert f"Siti {SCRIPT}" in text and f"Tidak layak {IMG}" in text  # printed, not interpreted


def test_sql_metacharacters_in_the_api_searches_and_filters_match_nothing_extra(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    for n in range(3):
        factories.make_person(session, users["caseworker"], name=f"Warga Injeksi {n}")
    token = issue_token(session, users["manager"], label="injection")
    headers = {"Authorization": f"Bearer {token}"}
    for text in SEARCHES:
        for url, params in (
            ("/api/v1/persons", {"q": text}),
            ("/api/v1/persons", {"nik": text}),
            ("/api/v1/cases", {"q": text}),
            ("/api/v1/cases", {"state": text}),
        ):
            response = client.get(url, query_string=params, headers=headers)
            assert response.status_code in (200, 422), (url, text, response.status_code)
            body = response.get_json()
            if response.status_code == 200:
                assert body["items"] == [], (url, text)
            else:
                assert body["error"]["fields"], (url, text)


def _admin_searches(
    client: FlaskClient, session: Session, users: dict[str, User], texts: Any
) -> None:
    factories.make_person(session, users["caseworker"], name="Warga Injeksi")
    session.flush()
    login(client, users["manager"])
    for text in texts:
        for url, params in (
            ("/admin/person/", {"search": text}),
            ("/admin/case/", {"search": text}),
            ("/admin/case/", {"flt0_0": text}),
        ):
            response = client.get(url, query_string=params)
            assert response.status_code in (200, 302, 400), (url, text, response.status_code)
            page = response.get_data(as_text=True)
            assert "Warga Injeksi" not in page, (url, text)


def test_sql_metacharacters_in_admin_search_and_filters_give_an_ordinary_page(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    _admin_searches(client, session, users, [t for t in SEARCHES if "\x00" not in t])


def test_a_nul_character_in_admin_search_gives_an_ordinary_page(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    _admin_searches(client, session, users, ["a\x00b"])


def test_payloads_in_a_group_name_and_a_decree_title_come_back_escaped_in_admin_pages(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    from casework.services.decrees import create_decree
    from casework.services.registry import GroupInput, MemberInput, register_group
    from tests.casework.test_decrees import decree_input

    members = [factories.make_person(session, users["caseworker"], sex="L") for _ in range(5)]
    roles = ["ketua", "sekretaris", "bendahara", "anggota", "anggota"]
    group = register_group(
        session,
        GroupInput(
            name=f"KUBE {SCRIPT}",
            village_code=factories.KOTA_BANGUN_LIANG,
            business_type_id=factories.business_type(session).id,
            members=[MemberInput(m.id, r) for m, r in zip(members, roles, strict=True)],
        ),
        actor=users["caseworker"],
    )
    decree = create_decree(
        session,
        replace(decree_input(session), title=f"Penetapan {IMG}", considerations=[SCRIPT]),
        actor=users["manager"],
    )
    session.flush()
    login(client, users["manager"])
    pages = {
        "/admin/group/": SCRIPT,
        f"/admin/group/details/?id={group.id}": SCRIPT,
        "/admin/decree/": IMG,
        f"/admin/decree/details/?id={decree.id}": IMG,
    }
    for url, shown in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_escaped(response.get_data(as_text=True), shown=shown)


def test_the_public_verify_page_shows_a_payload_name_escaped(
    client: FlaskClient, session: Session, payload_case: Any
) -> None:
    letter = letters_of_case(session, payload_case.id)[0]
    response = client.get(f"/verify/{letter.verify_code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    _assert_escaped(page)
    assert "&lt;script&gt;" in page


def test_a_payload_in_an_inbox_message_comes_back_escaped_in_the_admin_inbox(
    client: FlaskClient, session: Session, users: dict[str, User], payload_case: Any
) -> None:
    """Reminder texts are plain text (emails carry no HTML part); the in-app inbox shows
    them in the admin, where a payload (e.g. an applicant's name) must stay text."""
    from casework.models.notification import InboxMessage

    reader = users["manager"]
    message = InboxMessage(
        user_id=reader.id,
        case_id=payload_case.id,
        subject=f"Terlambat: {SCRIPT}",
        body=f"Pemohon: Siti {SCRIPT}\nAlamat: Jl. {IMG}",
    )
    session.add(message)
    session.flush()
    login(client, reader)
    for url in ("/admin/inbox/", f"/admin/inbox/details/?id={message.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_escaped(response.get_data(as_text=True), shown=SCRIPT)
