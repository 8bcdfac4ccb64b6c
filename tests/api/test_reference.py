"""Programs, business types and regions: reference data every role may read."""

from __future__ import annotations

from tests import factories


def test_programs_are_listed_with_their_rules_per_fiscal_year(api_as, session):
    programs = {p["code"]: p for p in api_as("dprd_liaison").get("/programs").get_json()}

    assert set(programs) == {"KUBE", "UEP", "WRSE"}
    wrse_years = {y["fiscal_year"]: y for y in programs["WRSE"]["years"]}
    rules = wrse_years[2026]
    assert (rules["unit_value"], rules["required_sex"]) == (5_000_000, "P")
    assert (rules["min_age"], rules["max_age"]) == (18, 59)
    assert all(isinstance(kinds, list) and kinds for kinds in rules["required_documents"])


def test_one_program_is_read_by_id_and_an_unknown_one_is_not_found(api_as, session):
    api = api_as("caseworker")
    kube = factories.program(session, "KUBE")

    assert api.get(f"/programs/{kube.id}").get_json()["applicant_kind"] == "group"
    assert api.get("/programs/999999").status_code == 404


def test_regions_are_listed_by_parent_and_level_and_read_by_code(api_as):
    api = api_as("caseworker")

    regencies = api.get("/regions", query_string={"level": "regency", "per_page": 100}).get_json()
    districts = api.get("/regions", query_string={"parent": "64.02", "per_page": 100}).get_json()
    village = api.get(f"/regions/{factories.KOTA_BANGUN_LIANG}").get_json()

    assert "64.02" in {r["code"] for r in regencies["items"]}
    assert all(r["level"] == "regency" for r in regencies["items"])
    assert "64.02.08" in {r["code"] for r in districts["items"]}
    assert all(r["parent_code"] == "64.02" for r in districts["items"])
    assert (village["level"], village["parent_code"]) == ("village", "64.02.08")
    assert api.get("/regions/99.99").status_code == 404


def test_business_types_are_listed(api_as):
    codes = {b["code"] for b in api_as("caseworker").get("/business-types").get_json()}

    assert "menjahit" in codes
