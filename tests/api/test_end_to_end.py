"""One case per program from application to closed, through the API only.

Every write is an HTTP request made with the token of the role that does it in the office:
the caseworker registers and submits, the verifier checks, the manager runs the pokir and
the decree, finance records the procurement, the caseworker records the handover and the
visits. Nothing is written through a service or the engine directly.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from casework import clock
from casework.services.demo import SAMPLE_JPEG, SAMPLE_PDF
from tests import factories
from tests.api.conftest import ApiClient

# The path a case takes from application to closed: (trigger, state it leads to).
FULL_PATH = (
    ("submit", "submitted"),
    ("start_verification", "admin_verification"),
    ("pass_admin_verification", "dtsen_check"),
    ("confirm_dtsen", "field_assessment"),
    ("recommend", "recommended"),
    ("send_to_pokir_review", "pokir_review"),
    ("approve", "approved"),
    ("decree", "decreed"),
    ("start_procurement", "procurement"),
    ("record_delivery", "delivered"),
    ("await_usage_report", "awaiting_report"),
    ("accept_usage_report", "monitoring"),
    ("close", "closed"),
)
POKIR_PATH = ("verify_setwan", "validate_bappeda", "validate_opd", "validate_tapd", "enter_apbd")


def ok(response: Any, status: int = 200) -> Any:
    """The JSON body of a response that must have ``status`` (the body shows on failure)."""
    assert response.status_code == status, response.get_json()
    return response.get_json()


def today() -> str:
    return clock.today_wita().isoformat()


class Office:
    """The staff of the Dinas, each speaking to the API with their own token."""

    def __init__(self, api_as: Callable[..., ApiClient]) -> None:
        self.caseworker = api_as("caseworker")
        self.verifier = api_as("verifier")
        self.manager = api_as("manager")
        self.finance = api_as("finance")
        self.year = factories.current_year()

    def program_id(self, code: str) -> int:
        programs = ok(self.caseworker.get("/programs"))
        return next(p["id"] for p in programs if p["code"] == code)

    def unit_value(self, code: str) -> int:
        program = ok(self.caseworker.get(f"/programs/{self.program_id(code)}"))
        return next(int(y["unit_value"]) for y in program["years"] if y["fiscal_year"] == self.year)

    def business_type_id(self, code: str = "menjahit") -> int:
        types = ok(self.caseworker.get("/business-types"))
        return next(t["id"] for t in types if t["code"] == code)

    def fire(
        self, api: ApiClient, case_id: int, trigger: str, expected_state: str
    ) -> dict[str, Any]:
        case = ok(api.post(f"/cases/{case_id}/transitions", json={"trigger": trigger}))
        assert case["state"] == expected_state, (trigger, case["state"])
        return case

    def state_of(self, case_id: int) -> str:
        state: str = ok(self.caseworker.get(f"/cases/{case_id}"))["state"]
        return state


# --- application ---------------------------------------------------------------------------


def register_person(office: Office, *, sex: str) -> int:
    data = {
        key: value.isoformat() if key == "birth_date" else value
        for key, value in asdict(factories.person_input(sex=sex)).items()
    }
    return int(ok(office.caseworker.post("/persons", json=data), 201)["id"])


def register_kube_group(office: Office) -> int:
    roles = ("ketua", "sekretaris", "bendahara", "anggota", "anggota")
    members = [{"person_id": register_person(office, sex="L"), "role": r} for r in roles]
    body = {
        "name": "KUBE Maju Bersama Liang",
        "village_code": factories.KOTA_BANGUN_LIANG,
        "business_type_id": office.business_type_id(),
        "members": members,
    }
    group = ok(office.caseworker.post("/groups", json=body), 201)
    assert len(group["members"]) == 5
    return int(group["id"])


def open_case(office: Office, program: str, applicant: dict[str, int], amount: int) -> int:
    body = {
        "program_id": office.program_id(program),
        "fiscal_year": office.year,
        "business_type_id": office.business_type_id(),
        "requested_package": "Mesin jahit, obras, kain dan benang",
        "requested_amount": amount,
        **applicant,
    }
    case = ok(office.caseworker.post("/cases", json=body), 201)
    assert (case["state"], case["program"]) == ("draft", program)
    return int(case["id"])


# --- verification --------------------------------------------------------------------------


def upload_documents(office: Office, case_id: int) -> None:
    for kind in ("ktp", "kk", "dtsen_proof", "business_plan"):
        response = office.caseworker.post(
            f"/cases/{case_id}/documents",
            data={"kind": kind, "file": (io.BytesIO(SAMPLE_PDF), f"{kind}.pdf")},
            content_type="multipart/form-data",
        )
        ok(response, 201)
    documents = ok(office.caseworker.get(f"/cases/{case_id}/documents"))
    assert sorted(d["kind"] for d in documents) == ["business_plan", "dtsen_proof", "kk", "ktp"]


def verify(office: Office, case_id: int, unit_value: int) -> int:
    """From draft to recommended; returns the amount fixed from the assessment."""
    office.fire(office.caseworker, case_id, "submit", "submitted")
    office.fire(office.verifier, case_id, "start_verification", "admin_verification")
    upload_documents(office, case_id)
    office.fire(office.verifier, case_id, "pass_admin_verification", "dtsen_check")
    dtsen = {"status": "registered", "decile": 2, "source": "siks_ng", "checked_on": today()}
    ok(office.verifier.post(f"/cases/{case_id}/dtsen-checks", json=dtsen), 201)
    office.fire(office.verifier, case_id, "confirm_dtsen", "field_assessment")
    items = [
        {"name": "Mesin jahit portable", "quantity": 1, "unit_price": unit_value // 2},
        {"name": "Kain dan benang", "quantity": 4, "unit_price": unit_value // 10},
    ]
    assessment = {
        "feasibility_notes": "Usaha layak: pengalaman tiga tahun, pasar desa ada.",
        "is_feasible": True,
        "assessed_on": today(),
        "items": items,
    }
    total = int(
        ok(office.verifier.post(f"/cases/{case_id}/assessments", json=assessment), 201)["total"]
    )
    assert total == unit_value * 9 // 10
    case = office.fire(office.verifier, case_id, "recommend", "recommended")
    assert case["requested_amount"] == total
    return total


# --- pokir and budget ----------------------------------------------------------------------


def pokir_line_in_apbd(office: Office, program: str) -> int:
    manager, program_id = office.manager, office.program_id(program)
    member = {"name": "H. Baharuddin", "fraksi": "Golkar", "dapil": "Kukar", "komisi": "IV"}
    member_id = ok(manager.post("/dprd-members", json=member), 201)["id"]
    budget = {
        "fiscal_year": office.year,
        "program_id": program_id,
        "sub_activity_code": f"1.06.05.2.01.0001-{program}",
        "account_code": "5.1.02.05.01.0001",
        "name": f"Bantuan {program}",
        "ceiling": 500_000_000,
    }
    budget_line_id = ok(manager.post("/budget-lines", json=budget), 201)["id"]
    line = {
        "fiscal_year": office.year,
        "member_id": member_id,
        "sipd_ref": f"SIPD-E2E-{program}",
        "program_id": program_id,
        "regency_code": "64.02",
        "quota": 5,
        "ceiling": 100_000_000,
        "reses_date": (clock.today_wita() - timedelta(days=30)).isoformat(),
        "proposal": "Bantuan usaha hasil reses di Kota Bangun.",
        "budget_line_id": budget_line_id,
    }
    line_id = int(ok(manager.post("/pokir-lines", json=line), 201)["id"])
    for trigger in POKIR_PATH:
        step = {"trigger": trigger, "note": f"Langkah {trigger}"}
        moved = ok(manager.post(f"/pokir-lines/{line_id}/transitions", json=step))
    assert moved["state"] == "in_apbd"
    return line_id


def approve(office: Office, case_id: int, program: str) -> int:
    """Pokir review: link the case to a line in the APBD and approve; returns the line."""
    office.fire(office.manager, case_id, "send_to_pokir_review", "pokir_review")
    line_id = pokir_line_in_apbd(office, program)
    link = {"pokir_line_id": line_id}
    assert (
        ok(office.manager.put(f"/cases/{case_id}/pokir-line", json=link))["pokir_line_id"]
        == line_id
    )
    office.fire(office.manager, case_id, "approve", "approved")
    return line_id


# --- decree and goods ----------------------------------------------------------------------


def decree(office: Office, case_id: int, program: str, amount: int) -> None:
    body = {
        "program_id": office.program_id(program),
        "fiscal_year": office.year,
        "title": f"Penetapan Penerima Bantuan {program}",
        "decree_date": today(),
        "signatory_name": "Andi Muhammad Ishak",
        "signatory_position": "Kepala Dinas Sosial Provinsi Kalimantan Timur",
        "signatory_nip": "197001011990031001",
        "considerations": ["bahwa untuk pemberdayaan ekonomi keluarga miskin"],
        "legal_basis": ["Undang-Undang Nomor 11 Tahun 2009 tentang Kesejahteraan Sosial"],
        "case_ids": [case_id],
    }
    draft = ok(office.manager.post("/decrees", json=body), 201)
    assert draft["status"] == "draft" and [e["case_id"] for e in draft["entries"]] == [case_id]
    issued = ok(office.manager.post(f"/decrees/{draft['id']}/issue"))
    assert issued["status"] == "issued" and issued["number"]
    assert issued["total_amount"] == amount
    assert office.state_of(case_id) == "decreed"


def deliver_goods(office: Office, case_id: int, amount: int) -> None:
    procurement = {
        "vendor": "CV Maju Bersama Samarinda",
        "contract_number": f"027/KONTRAK/DINSOS/{case_id}",
        "contract_date": today(),
        "items": [{"name": "Paket bantuan usaha", "quantity": 1, "unit_price": amount}],
        "case_ids": [case_id],
    }
    recorded = ok(office.finance.post("/procurements", json=procurement), 201)
    assert recorded["total"] == amount and recorded["case_ids"] == [case_id]
    assert office.state_of(case_id) == "procurement"
    bast = {
        "handed_over_on": today(),
        "place": "Kantor Desa Liang",
        "receiver_name": "Penerima Bantuan",
        "photo": (io.BytesIO(SAMPLE_JPEG), "bast.jpg"),
    }
    handover = office.caseworker.post(
        f"/cases/{case_id}/handover", data=bast, content_type="multipart/form-data"
    )
    assert ok(handover, 201)["photo_content_type"] == "image/jpeg"
    assert office.state_of(case_id) == "delivered"


# --- follow-up -----------------------------------------------------------------------------


def follow_up(office: Office, case_id: int) -> None:
    office.fire(office.caseworker, case_id, "await_usage_report", "awaiting_report")
    lpj = {
        "received_on": today(),
        "income_before": "1200000",
        "summary": "Bantuan dipakai sesuai rencana usaha.",
        "file": (io.BytesIO(SAMPLE_PDF), "lpj.pdf"),
    }
    report = office.caseworker.post(
        f"/cases/{case_id}/usage-reports", data=lpj, content_type="multipart/form-data"
    )
    report_id = ok(report, 201)["id"]
    assert ok(office.verifier.post(f"/usage-reports/{report_id}/accept"))["status"] == "accepted"
    office.fire(office.verifier, case_id, "accept_usage_report", "monitoring")
    visits = ok(office.caseworker.get(f"/cases/{case_id}/monitoring-visits"))
    assert visits and not any(v["done"] for v in visits)
    for visit in visits:
        data = {
            "visited_on": today(),
            "business_status": "growing",
            "monthly_income": "2500000",
            "notes": "Usaha berjalan, pelanggan bertambah.",
            "photo": (io.BytesIO(SAMPLE_JPEG), "usaha.jpg"),
        }
        response = office.caseworker.post(
            f"/monitoring-visits/{visit['id']}/record",
            data=data,
            content_type="multipart/form-data",
        )
        assert ok(response)["done"]
    office.fire(office.manager, case_id, "close", "closed")


# --- the whole path ------------------------------------------------------------------------


def run_to_closed(office: Office, program: str, applicant: dict[str, int]) -> None:
    unit_value = office.unit_value(program)
    case_id = open_case(office, program, applicant, amount=unit_value)
    amount = verify(office, case_id, unit_value)
    line_id = approve(office, case_id, program)
    decree(office, case_id, program, amount)
    deliver_goods(office, case_id, amount)
    follow_up(office, case_id)

    assert office.state_of(case_id) == "closed"
    events = ok(office.caseworker.get(f"/cases/{case_id}/events"))
    assert [(e["trigger"], e["to_state"]) for e in events] == list(FULL_PATH)
    assert [e["from_state"] for e in events] == ["draft"] + [e["to_state"] for e in events[:-1]]
    line = ok(office.manager.get(f"/pokir-lines/{line_id}"))
    assert (line["recipients_committed"], line["amount_committed"]) == (1, 0)
    assert line["amount_realised"] == amount


def test_a_kube_group_goes_from_application_to_closed_through_the_api(
    api_as: Callable[..., ApiClient],
) -> None:
    office = Office(api_as)
    group_id = register_kube_group(office)
    run_to_closed(office, "KUBE", {"group_id": group_id})


def test_a_wrse_woman_goes_from_application_to_closed_through_the_api(
    api_as: Callable[..., ApiClient],
) -> None:
    office = Office(api_as)
    person_id = register_person(office, sex="P")
    run_to_closed(office, "WRSE", {"person_id": person_id})


def test_an_uep_applicant_goes_from_application_to_closed_through_the_api(
    api_as: Callable[..., ApiClient],
) -> None:
    office = Office(api_as)
    person_id = register_person(office, sex="L")
    run_to_closed(office, "UEP", {"person_id": person_id})
