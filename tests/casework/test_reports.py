"""Reports: budget realisation, pokir ledger and outcomes, and their Excel export."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from casework.errors import NotAllowed, ValidationError
from casework.exports import report_xlsx
from casework.models import Case, PokirLine, Region
from casework.services import followup, reports
from tests import factories

INDONESIAN = {"Pokir line": "Baris pokir", "Ceiling": "Pagu", "Budget realisation": "Realisasi"}


def funded_cases(session, users, store):
    """Two WRSE cases on one pokir line: one approved (committed), one delivered (realised)."""
    approved = factories.case_in_state(session, users, store, "approved")
    delivered = factories.case_in_state(session, users, store, "delivered")
    assert approved.pokir_line_id == delivered.pokir_line_id
    return approved, delivered


def test_budget_realisation_by_pokir_line_adds_up_committed_and_realised_amounts(
    session, users, store
):
    approved, delivered = funded_cases(session, users, store)
    line = session.get(PokirLine, approved.pokir_line_id)
    report = reports.budget_realisation(
        session, by="pokir_line", fiscal_year=approved.fiscal_year, actor=users["finance"]
    )
    row = next(r for r in report.rows if r["key"] == line.id)
    assert row["ceiling"] == line.ceiling
    assert row["committed"] == approved.requested_amount > 0
    assert row["realised"] == delivered.requested_amount > 0
    assert row["remaining"] == line.ceiling - approved.requested_amount - delivered.requested_amount


@pytest.mark.parametrize("by", ["program", "budget_line", "regency"])
def test_budget_realisation_counts_each_commitment_once_in_every_grouping(
    session, users, store, by
):
    approved, _delivered = funded_cases(session, users, store)
    year = approved.fiscal_year
    pokir = reports.budget_realisation(
        session, by="pokir_line", fiscal_year=year, actor=users["manager"]
    )
    other = reports.budget_realisation(session, by=by, fiscal_year=year, actor=users["manager"])
    for figure in ("committed", "realised"):
        assert sum(r[figure] for r in other.rows) == sum(r[figure] for r in pokir.rows)
    assert approved.requested_amount <= sum(r["committed"] for r in other.rows)


def test_budget_reports_are_closed_to_region_bound_accounts_and_bad_groupings(session, users):
    with pytest.raises(NotAllowed):
        reports.budget_realisation(
            session, by="program", fiscal_year=2026, actor=users["kukar_manager"]
        )
    with pytest.raises(NotAllowed):
        reports.pokir_ledger(session, fiscal_year=2026, actor=users["caseworker"])
    with pytest.raises(ValidationError) as refused:
        reports.budget_realisation(session, by="village", fiscal_year=2026, actor=users["manager"])
    assert "by" in refused.value.fields


def test_the_pokir_ledger_counts_recipients_per_member_and_kabupaten_without_names(
    session, users, store
):
    approved, delivered = funded_cases(session, users, store)
    line = session.get(PokirLine, approved.pokir_line_id)
    ledger = reports.pokir_ledger(
        session, fiscal_year=approved.fiscal_year, actor=users["dprd_liaison"]
    )
    regency_name = session.get(Region, approved.regency_code).name
    row = next(
        r for r in ledger.rows if r["member"] == line.member.name and r["regency"] == regency_name
    )
    assert row["recipients"] >= 2
    assert row["realised"] >= delivered.requested_amount
    assert {c.key for c in ledger.columns} == {
        "member",
        "fraksi",
        "dapil",
        "regency",
        "lines",
        "quota",
        "ceiling",
        "recipients",
        "committed",
        "realised",
    }
    text = repr(ledger.rows)
    assert approved.applicant_name not in text and delivered.applicant_name not in text


def visited(session, users, store, statuses, incomes, code="WRSE"):
    """A case in monitoring with its 3/6/12-month visits recorded with these figures."""
    case = factories.case_in_state(session, users, store, "monitoring", code)
    for visit, status, income in zip(
        followup.open_visits(session, case.id), statuses, incomes, strict=False
    ):
        followup.record_visit(
            session,
            visit,
            followup.VisitInput(
                visited_on=followup.delivered_on(session, case),
                business_status=status,
                monthly_income=income,
            ),
            store=store,
            actor=users["caseworker"],
        )
    return case


def test_outcomes_give_survival_at_6_and_12_months_and_the_median_income_change(
    session, users, store
):
    # income before the aid is 1,500,000 in every demo LPJ
    a = visited(session, users, store, ["active", "growing", "growing"], [1, 1, 2_500_000])
    visited(session, users, store, ["active", "stopped", "stopped"], [1, 0, 0])
    visited(session, users, store, ["active", "active"], [1, 1_700_000])
    report = reports.outcomes(
        session, by="program", fiscal_year=a.fiscal_year, actor=users["manager"]
    )
    row = next(r for r in report.rows if r["key"] == "WRSE")
    assert row["cases"] == 3
    assert (row["visited_6"], row["surviving_6"]) == (3, round(2 / 3, 4))
    assert (row["visited_12"], row["surviving_12"]) == (2, 0.5)
    # changes: +1,000,000 (12 months), -1,500,000 (12 months), +200,000 (6 months)
    assert row["median_income_change"] == 200_000


def test_outcomes_by_kabupaten_show_a_region_bound_account_its_own_kabupaten_only(
    session, users, store
):
    case = visited(session, users, store, ["active", "active", "active"], [1, 1, 1])
    for who, expected in (
        ("manager", True),
        ("kukar_manager", True),
        ("samarinda_caseworker", False),
    ):
        report = reports.outcomes(session, by="regency", actor=users[who])
        assert any(r["key"] == case.regency_code for r in report.rows) is expected, who


def test_outcomes_group_by_business_type_and_pokir_line(session, users, store):
    case = visited(session, users, store, ["growing"] * 3, [1, 1, 1])
    by_type = reports.outcomes(session, by="business_type", actor=users["auditor"])
    assert case.business_type.code in {r["key"] for r in by_type.rows}
    by_pokir = reports.outcomes(session, by="pokir_line", actor=users["dprd_liaison"])
    line = session.get(PokirLine, case.pokir_line_id)
    assert line.sipd_ref in {r["key"] for r in by_pokir.rows}


def test_the_excel_export_has_translated_headers_and_rupiah_formats(session, users, store):
    approved, _ = funded_cases(session, users, store)
    report = reports.budget_realisation(
        session, by="pokir_line", fiscal_year=approved.fiscal_year, actor=users["finance"]
    )
    content = report_xlsx(report, translate=lambda m: INDONESIAN.get(m, m), subtitle="2026")
    sheet = load_workbook(BytesIO(content)).active
    assert sheet["A1"].value == "Realisasi — 2026"
    assert [c.value for c in sheet[2]][:2] == ["Baris pokir", "Pagu"]
    assert len(list(sheet.iter_rows(min_row=3))) == len(report.rows)
    assert sheet["B3"].number_format.startswith('"Rp"')
    assert isinstance(sheet["B3"].value, int)
    assert session.get(Case, approved.id) is approved
