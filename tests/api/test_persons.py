"""Persons and KUBE groups over the API: registration, validation, search, masking."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from casework.models import Person
from tests import factories


def _person_json(**overrides):
    data = dataclasses.asdict(factories.person_input(**overrides))
    data["birth_date"] = data["birth_date"].isoformat()
    return data


def test_caseworker_registers_a_person_and_reads_it_back_with_nik_and_kk_masked(api_as):
    api = api_as("caseworker")
    body = _person_json(name="Siti Aminah")

    created = api.post("/persons", json=body)
    fetched = api.get(f"/persons/{created.get_json()['id']}")

    assert created.status_code == 201
    person = fetched.get_json()
    assert person["full_name"] == "Siti Aminah"
    assert person["regency_code"] == "64.02"
    assert person["nik_masked"] == body["nik"][:4] + "********" + body["nik"][-4:]
    assert "nik" not in person and "kk_number" not in person
    for response in (created, fetched):
        text = response.get_data(as_text=True)
        assert body["nik"] not in text and body["kk_number"] not in text


def test_registration_is_committed_with_the_request(api_as, session):
    body = _person_json()

    api_as("caseworker").post("/persons", json=body)

    assert session.scalars(select(Person).where(Person.nik_is(body["nik"]))).one()


def test_bad_nik_is_refused_per_field_in_indonesian_by_default(api_as, indonesian):
    response = api_as("caseworker").post("/persons", json=_person_json() | {"nik": "6402081234"})

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["nik"] == [
        "NIK harus terdiri dari tepat 16 digit; yang dimasukkan 10 digit."
    ]


def test_bad_nik_is_explained_in_english_when_the_client_asks_for_english(api_as, indonesian):
    api = api_as("caseworker", language="en")

    response = api.post("/persons", json=_person_json() | {"nik": "6402081234"})

    assert response.get_json()["error"]["fields"]["nik"] == [
        "The NIK must have exactly 16 digits; 10 were entered."
    ]


def test_missing_and_mistyped_fields_are_listed_per_field_and_translated(api_as, indonesian):
    body = _person_json()
    del body["full_name"]
    body["birth_date"] = "15 Juni 1985"

    response = api_as("caseworker").post("/persons", json=body)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["full_name"] == ["Wajib diisi."]
    assert error["fields"]["birth_date"] == ["Tanggal tidak sah."]


def test_duplicate_nik_is_refused_with_409_pointing_to_the_registered_person(
    api_as, session, users
):
    existing = factories.make_person(session, users["caseworker"])
    body = _person_json() | {"nik": existing.nik}
    body["birth_date"] = existing.birth_date.isoformat()

    response = api_as("caseworker").post("/persons", json=body)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "duplicate"
    assert error["existing_id"] == existing.id
    assert existing.nik not in response.get_data(as_text=True)


def test_persons_are_found_by_start_of_name_or_by_exact_nik(api_as, session, users):
    siti = factories.make_person(session, users["caseworker"], name="Siti Rahmah")
    factories.make_person(session, users["caseworker"], name="Rina Wati")
    api = api_as("caseworker")

    by_name = api.get("/persons", query_string={"q": "siti r"}).get_json()
    by_nik = api.get("/persons", query_string={"nik": siti.nik}).get_json()

    assert [p["id"] for p in by_name["items"]] == [siti.id]
    assert [p["id"] for p in by_nik["items"]] == [siti.id]
    assert siti.nik not in str(by_nik)


def test_caseworker_of_a_kabupaten_does_not_see_persons_of_another(api_as, session, users):
    elsewhere = factories.make_person(
        session, users["caseworker"], village=factories.SAMARINDA_VILLAGE
    )
    api = api_as("kukar_caseworker")

    listed = api.get("/persons", query_string={"nik": elsewhere.nik}).get_json()

    assert listed["items"] == []
    assert api.get(f"/persons/{elsewhere.id}").status_code == 404


def test_caseworker_corrects_a_person_with_put(api_as, session, users):
    person = factories.make_person(session, users["caseworker"])
    body = _person_json() | {"nik": person.nik, "kk_number": person.kk_number}
    body |= {"full_name": "Nur Hasanah", "birth_date": person.birth_date.isoformat()}

    response = api_as("caseworker").put(f"/persons/{person.id}", json=body)

    assert response.status_code == 200
    assert response.get_json()["full_name"] == "Nur Hasanah"
    session.expire_all()
    assert session.get(Person, person.id).full_name == "Nur Hasanah"


def test_group_is_registered_with_members_and_shown_with_masked_niks(api_as, session, users):
    members = [factories.make_person(session, users["caseworker"], sex="L") for _ in range(5)]
    roles = ["ketua", "sekretaris", "bendahara", "anggota", "anggota"]
    body = {
        "name": "KUBE Sejahtera",
        "village_code": factories.KOTA_BANGUN_LIANG,
        "business_type_id": factories.business_type(session).id,
        "members": [{"person_id": m.id, "role": r} for m, r in zip(members, roles, strict=True)],
    }
    api = api_as("caseworker")

    created = api.post("/groups", json=body)
    listed = api.get("/groups", query_string={"q": "KUBE Sej"})

    assert created.status_code == 201
    group = created.get_json()
    assert [m["role"] for m in group["members"]] == roles
    assert [g["id"] for g in listed.get_json()["items"]] == [group["id"]]
    assert api.get(f"/groups/{group['id']}").get_json()["members"][0]["nik_masked"]
    for response in (created, listed):
        assert not any(m.nik in response.get_data(as_text=True) for m in members)


def test_group_without_officers_is_refused_with_the_problem_on_members(api_as, session, users):
    members = [factories.make_person(session, users["caseworker"], sex="L") for _ in range(5)]
    body = {
        "name": "KUBE Tanpa Ketua",
        "village_code": factories.KOTA_BANGUN_LIANG,
        "members": [{"person_id": m.id, "role": "anggota"} for m in members],
    }

    response = api_as("caseworker", language="en").post("/groups", json=body)

    assert response.status_code == 422
    assert "members" in response.get_json()["error"]["fields"]


def test_nested_member_errors_are_named_by_row(api_as):
    body = {"name": "KUBE", "village_code": factories.KOTA_BANGUN_LIANG, "members": [{}]}

    response = api_as("caseworker", language="en").post("/groups", json=body)

    fields = response.get_json()["error"]["fields"]
    assert fields["members-0-person_id"] == ["Missing data for required field."]
    assert fields["members-0-role"] == ["Missing data for required field."]
