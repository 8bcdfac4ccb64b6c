"""Persons, groups, documents, dashboard, workflow and configuration screens by role."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.models import Assessment, Document, DtsenCheck, GroupRole, Person, User
from casework.storage import DocumentStore
from tests import factories
from tests.admin.helpers import login, page_token, translated

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _person_form(token: str, **overrides: str) -> dict[str, str]:
    data = factories.person_input(name="Rina Marlina")
    form = {
        "csrf_token": token,
        "nik": data.nik,
        "kk_number": data.kk_number,
        "full_name": data.full_name,
        "sex": data.sex,
        "birth_date": data.birth_date.isoformat() if data.birth_date else "",
        "marital_status": data.marital_status,
        "village": data.village_code,
        "address": data.address,
    }
    return {**form, **overrides}


def test_person_list_masks_nik_and_kk(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    person = factories.make_person(session, users["caseworker"])
    login(client, users["caseworker"])
    html = client.get("/admin/person/").get_data(as_text=True)
    assert person.nik_masked in html
    assert person.nik not in html
    assert person.kk_number not in html
    details = client.get(f"/admin/person/details/?id={person.id}").get_data(as_text=True)
    assert person.nik not in details and person.nik_masked in details


def test_person_form_with_a_bad_nik_shows_the_nik_error(
    app: Flask, client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    login(client, users["caseworker"])
    token = page_token(client, "/admin/person/new/")
    response = client.post("/admin/person/new/", data=_person_form(token, nik="12345"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    expected = translated(app, "The NIK must have exactly 16 digits; %(count)s were entered.")
    assert escape(expected % {"count": 5}) in html
    assert session.scalar(select(Person).where(Person.full_name == "Rina Marlina")) is None


def test_person_form_registers_a_person_through_the_registry(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    login(client, users["kukar_caseworker"])
    token = page_token(client, "/admin/person/new/")
    response = client.post("/admin/person/new/", data=_person_form(token))
    assert response.status_code == 302
    person = session.scalars(select(Person).where(Person.full_name == "Rina Marlina")).one()
    assert person.regency_code == "64.02"


def test_duplicate_nik_points_to_the_registered_person(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    existing = factories.make_person(session, users["caseworker"])
    login(client, users["caseworker"])
    token = page_token(client, "/admin/person/new/")
    data = _person_form(
        token,
        nik=existing.nik,
        kk_number=existing.kk_number,
        sex=existing.sex.value,
        birth_date=existing.birth_date.isoformat(),
    )
    html = client.post("/admin/person/new/", data=data).get_data(as_text=True)
    assert f"/admin/person/details/?id={existing.id}" in html


def test_group_details_list_members_with_their_roles(
    app: Flask, client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    group = factories.make_group(session, users["caseworker"])
    login(client, users["caseworker"])
    html = client.get(f"/admin/group/details/?id={group.id}").get_data(as_text=True)
    ketua = group.officer(GroupRole.CHAIR)
    assert ketua is not None
    for member in group.members:
        assert escape(member.person.full_name) in html
    assert escape(translated(app, "Chair (ketua)")) in html
    assert ketua.nik not in html and ketua.nik_masked in html


@pytest.mark.parametrize("url", ["/admin/person/", "/admin/case/", "/admin/group/"])
def test_dprd_liaison_cannot_open_personal_or_case_lists(
    client: FlaskClient, users: dict[str, User], url: str
) -> None:
    login(client, users["dprd_liaison"])
    assert client.get(url).status_code == 403


def test_dprd_liaison_sees_dashboard_aggregates_and_programs_only(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = factories.make_case(session, users["caseworker"])
    login(client, users["dprd_liaison"])
    html = client.get("/admin/").get_data(as_text=True)
    assert 'class="h3 total-count">' in html
    assert case.number not in html
    assert "/admin/case/?" not in html  # aggregates, no links into case lists
    assert "/admin/person/" not in html
    assert client.get("/admin/program/").status_code == 200


def test_dashboard_counts_visible_cases_by_state_with_links_to_the_list(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    factories.make_case(session, users["caseworker"])
    factories.make_case(session, users["caseworker"])
    factories.make_case(session, users["caseworker"], village=factories.SAMARINDA_VILLAGE)
    login(client, users["samarinda_caseworker"])
    html = client.get("/admin/").get_data(as_text=True)
    assert 'class="h3 total-count"><a href="/admin/case/">1</a>' in html
    assert 'data-state="draft"' in html
    link = html.split('data-state="draft"')[1].split('href="')[1].split('"')[0]
    assert client.get(link.replace("&amp;", "&")).status_code == 200


def test_document_upload_and_download_with_the_original_name(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = factories.make_case(session, users["caseworker"])
    login(client, users["caseworker"])
    details = f"/admin/case/details/?id={case.id}"
    response = client.post(
        f"/admin/case/{case.id}/documents/",
        data={
            "csrf_token": page_token(client, details),
            "kind": "ktp",
            "file": (io.BytesIO(PDF), "KTP Rina.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    document = session.scalars(select(Document).where(Document.case_id == case.id)).one()
    download = client.get(f"/admin/case/document/{document.id}")
    try:
        assert download.status_code == 200
        assert download.data == PDF
        assert "KTP Rina.pdf" in download.headers["Content-Disposition"]
    finally:
        download.close()


def test_document_of_another_kabupaten_cannot_be_downloaded(
    client: FlaskClient, session: Session, users: dict[str, User], store: DocumentStore
) -> None:
    from casework.services.verification import attach_document

    case = factories.make_case(session, users["caseworker"], village=factories.SAMARINDA_VILLAGE)
    document = attach_document(
        session,
        case,
        kind="ktp",
        filename="a.pdf",
        content=PDF,
        store=store,
        actor=users["caseworker"],
    )
    login(client, users["kukar_caseworker"])
    assert client.get(f"/admin/case/document/{document.id}").status_code == 404


def test_dtsen_check_form_records_a_check(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = factories.make_case(session, users["caseworker"])
    login(client, users["verifier"])
    details = f"/admin/case/details/?id={case.id}"
    response = client.post(
        f"/admin/case/{case.id}/dtsen/",
        data={
            "csrf_token": page_token(client, details),
            "status": "registered",
            "decile": "3",
            "source": "siks_ng",
            "checked_on": factories.clock.today_wita().isoformat(),
            "evidence_document_id": "",
        },
    )
    assert response.status_code == 302
    check = session.scalars(select(DtsenCheck).where(DtsenCheck.case_id == case.id)).one()
    assert check.decile == 3


def test_assessment_form_records_items_and_shows_errors_per_row(
    app: Flask, client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = factories.make_case(session, users["caseworker"])
    login(client, users["verifier"])
    details = f"/admin/case/details/?id={case.id}"
    today = factories.clock.today_wita().isoformat()
    bad = client.post(
        f"/admin/case/{case.id}/assessment/",
        data={
            "csrf_token": page_token(client, details),
            "feasibility_notes": "Layak",
            "is_feasible": "y",
            "assessed_on": today,
            "items-0-name": "Mesin jahit",
            "items-0-quantity": "0",
            "items-0-unit_price": "1500000",
        },
    )
    assert bad.status_code == 200
    assert escape(translated(app, "The quantity must be at least 1.")) in bad.get_data(as_text=True)
    good = client.post(
        f"/admin/case/{case.id}/assessment/",
        data={
            "csrf_token": page_token(client, details),
            "feasibility_notes": "Layak",
            "is_feasible": "y",
            "assessed_on": today,
            "items-0-name": "Mesin jahit",
            "items-0-quantity": "2",
            "items-0-unit_price": "1500000",
        },
    )
    assert good.status_code == 302
    assessment = session.scalars(select(Assessment).where(Assessment.case_id == case.id)).one()
    assert assessment.total == 3_000_000


def test_workflow_view_renders_the_diagram_as_svg_and_the_transitions_table(
    client: FlaskClient, users: dict[str, User]
) -> None:
    login(client, users["caseworker"])
    html = client.get("/admin/workflow/?program=kube").get_data(as_text=True)
    assert "<svg" in html
    assert "group_composition_valid" in html
    assert "workflow-transitions" in html


def test_users_screen_is_for_administrators_and_never_shows_the_hash(
    client: FlaskClient, users: dict[str, User]
) -> None:
    login(client, users["manager"])
    assert client.get("/admin/user/").status_code == 403
    client.post("/logout", data={"csrf_token": page_token(client, "/admin/")})
    login(client, users["admin"])
    listing = client.get("/admin/user/").get_data(as_text=True)
    details = client.get(f"/admin/user/details/?id={users['manager'].id}").get_data(as_text=True)
    assert users["manager"].username in listing
    assert "scrypt$" not in listing and "scrypt$" not in details


def test_administrator_creates_a_user_with_a_password(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    login(client, users["admin"])
    response = client.post(
        "/admin/user/new/",
        data={
            "csrf_token": page_token(client, "/admin/user/new/"),
            "username": "petugas.kukar",
            "full_name": "Petugas Kukar",
            "role": "caseworker",
            "region_code": "64.02",
            "password": factories.PASSWORD,
            "active": "y",
        },
    )
    assert response.status_code == 302
    created = session.scalars(select(User).where(User.username == "petugas.kukar")).one()
    assert created.region_code == "64.02"
    assert login(client, "petugas.kukar").status_code == 302


def test_programs_are_read_only_for_a_caseworker_and_editable_for_a_manager(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    wrse = factories.program(session, "WRSE")
    login(client, users["caseworker"])
    assert "/admin/program/new/" not in client.get("/admin/program/").get_data(as_text=True)
    assert client.get(f"/admin/program/edit/?id={wrse.id}").status_code == 403  # the policy
    client.post("/logout", data={"csrf_token": page_token(client, "/admin/")})
    login(client, users["manager"])
    assert client.get(f"/admin/program/edit/?id={wrse.id}").status_code == 200


def test_regions_are_searchable(client: FlaskClient, users: dict[str, User]) -> None:
    login(client, users["caseworker"])
    html = client.get("/admin/region/?search=Kota Bangun").get_data(as_text=True)
    assert "64.02.08" in html


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("manager", "/admin/case/new/"),
        ("manager", "/admin/person/new/"),
        ("manager", "/admin/group/new/"),
        ("manager", "/admin/program/new/"),
        ("manager", "/admin/businesstype/"),
        ("admin", "/admin/user/new/"),
        ("auditor", "/admin/case/?flt0_3=1"),
        ("auditor", "/admin/region/"),
    ],
)
def test_every_screen_opens_for_a_role_allowed_to_use_it(
    client: FlaskClient, users: dict[str, User], role: str, url: str
) -> None:
    login(client, users[role])
    response = client.get(url)
    assert response.status_code == 200, url
    assert "Traceback" not in response.get_data(as_text=True)


def test_group_form_registers_a_kube_with_members_by_nik(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    people = [factories.make_person(session, users["caseworker"], sex="L") for _ in range(5)]
    roles = ["ketua", "sekretaris", "bendahara", "anggota", "anggota"]
    lines = "\n".join(f"{p.nik} {r}" for p, r in zip(people, roles, strict=True))
    login(client, users["caseworker"])
    response = client.post(
        "/admin/group/new/",
        data={
            "csrf_token": page_token(client, "/admin/group/new/"),
            "name": "KUBE Sejahtera Liang",
            "village": factories.KOTA_BANGUN_LIANG,
            "business_type": str(factories.business_type(session).id),
            "members": lines,
        },
    )
    assert response.status_code == 302
    from casework.models import Group

    group = session.scalars(select(Group).where(Group.name == "KUBE Sejahtera Liang")).one()
    assert sorted(m.role.value for m in group.members) == sorted(roles)


def test_case_list_marks_overdue_cases(
    client: FlaskClient, session: Session, users: dict[str, User], store: DocumentStore
) -> None:
    from datetime import UTC, datetime

    from casework import clock
    from casework.models import CaseState

    with clock.frozen(datetime(2025, 1, 6, 2, 0, tzinfo=UTC)):
        late = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    fresh = factories.make_case(session, users["caseworker"])
    login(client, users["manager"])
    html = client.get("/admin/case/").get_data(as_text=True)
    rows = {
        number: html.split(number, 1)[1].split("</tr>", 1)[0]
        for number in (late.number, fresh.number)
    }
    assert 'class="text-danger font-weight-bold overdue"' in rows[late.number]
    assert "overdue" not in rows[fresh.number]
