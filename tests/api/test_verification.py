"""Documents, DTSEN checks and field assessments over the API."""

from __future__ import annotations

import io

from casework import clock
from casework.models import Document
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


def _upload(api, case_id, content, filename, kind="ktp"):
    return api.post(
        f"/cases/{case_id}/documents",
        data={"kind": kind, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def test_png_upload_is_stored_listed_and_downloaded_byte_for_byte(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])
    api = api_as("caseworker")

    uploaded = _upload(api, case.id, PNG, "ktp-siti.png")
    listed = api.get(f"/cases/{case.id}/documents").get_json()
    with api.get(f"/documents/{uploaded.get_json()['id']}/content") as download:
        content, mimetype = download.get_data(), download.mimetype

    assert uploaded.status_code == 201
    document = uploaded.get_json()
    assert (document["kind"], document["content_type"]) == ("ktp", "image/png")
    assert (document["original_name"], document["size_bytes"]) == ("ktp-siti.png", len(PNG))
    assert [d["id"] for d in listed] == [document["id"]]
    assert (content, mimetype) == (PNG, "image/png")


def test_text_file_named_pdf_is_refused_with_422_on_the_file_field(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])

    response = _upload(
        api_as("caseworker", language="en"), case.id, b"just some text\n", "surat.pdf"
    )

    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["file"] == [
        "Only PDF, JPG and PNG files are accepted."
    ]
    assert session.query(Document).filter_by(case_id=case.id).count() == 0


def test_upload_without_a_file_is_refused_per_field(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])

    response = api_as("caseworker", language="en").post(
        f"/cases/{case.id}/documents", data={"kind": "ktp"}, content_type="multipart/form-data"
    )

    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"file": ["Missing data for required field."]}


def test_document_of_a_case_in_another_region_is_not_found(api_as, session, users):
    case = factories.make_case(session, users["caseworker"], village=factories.SAMARINDA_VILLAGE)
    uploaded = _upload(api_as("caseworker"), case.id, PNG, "ktp.png").get_json()

    response = api_as("kukar_verifier").get(f"/documents/{uploaded['id']}/content")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_dtsen_check_is_recorded_and_listed(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])
    api = api_as("verifier")
    body = {
        "status": "registered",
        "decile": 3,
        "source": "siks_ng",
        "checked_on": clock.today_wita().isoformat(),
    }

    created = api.post(f"/cases/{case.id}/dtsen-checks", json=body)
    listed = api.get(f"/cases/{case.id}/dtsen-checks").get_json()

    assert created.status_code == 201
    assert (created.get_json()["decile"], created.get_json()["officer_id"]) == (
        3,
        users["verifier"].id,
    )
    assert [c["id"] for c in listed] == [created.get_json()["id"]]


def test_dtsen_check_of_a_registered_applicant_needs_a_decile(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])
    body = {"status": "registered", "source": "siks_ng", "checked_on": "2020-01-01"}

    response = api_as("verifier").post(f"/cases/{case.id}/dtsen-checks", json=body)

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["decile"]


def test_assessment_is_recorded_with_its_items_and_total(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])
    api = api_as("verifier")
    body = {
        "feasibility_notes": "Usaha menjahit layak, sudah punya pelanggan.",
        "is_feasible": True,
        "assessed_on": clock.today_wita().isoformat(),
        "items": [
            {"name": "Mesin jahit", "quantity": 1, "unit_price": 3_000_000},
            {"name": "Kain", "quantity": 10, "unit_price": 50_000, "unit": "meter"},
        ],
    }

    created = api.post(f"/cases/{case.id}/assessments", json=body)
    listed = api.get(f"/cases/{case.id}/assessments").get_json()

    assert created.status_code == 201
    assessment = created.get_json()
    assert assessment["total"] == 3_500_000
    assert [i["subtotal"] for i in assessment["items"]] == [3_000_000, 500_000]
    assert [a["id"] for a in listed] == [assessment["id"]]


def test_assessment_item_errors_are_named_by_row(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])
    body = {
        "feasibility_notes": "Layak.",
        "is_feasible": True,
        "assessed_on": clock.today_wita().isoformat(),
        "items": [
            {"name": "Mesin jahit", "quantity": 1, "unit_price": 3_000_000},
            {"name": "Kain", "quantity": 0, "unit_price": 50_000},
        ],
    }

    response = api_as("verifier", language="en").post(f"/cases/{case.id}/assessments", json=body)

    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "items-1-quantity": ["The quantity must be at least 1."]
    }


def test_auditor_may_not_upload(api_as, session, users):
    case = factories.make_case(session, users["caseworker"])

    assert _upload(api_as("auditor"), case.id, PNG, "ktp.png").status_code == 403
