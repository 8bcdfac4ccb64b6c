"""The dry run reports every row's errors at the right row and column, and writes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import ValidationError
from casework.importing import ImportReport, dry_run
from casework.models import Case, Person, User
from casework.models.program import ApplicantKind
from tests.factories import SAMARINDA_VILLAGE, make_case, make_person
from tests.imports.sheets import english, kube_rows, person_cells, workbook

YEAR = clock.today_wita().year


def check(session: Session, actor: User, rows, program: str = "WRSE", **kwargs) -> ImportReport:
    kind = ApplicantKind.GROUP if program == "KUBE" else ApplicantKind.PERSON
    return dry_run(
        session,
        workbook(rows, kind, **kwargs),
        program_code=program,
        fiscal_year=YEAR,
        actor=actor,
        translate=english,
        max_rows=1000,
    )


def errors_at(report: ImportReport, row: int) -> dict[str, list[str]]:
    """{"<letter> <header>": [messages]} of the row."""
    parsed = next(r for r in report.rows if r.row == row)
    found: dict[str, list[str]] = {}
    for error in report.errors_of(parsed):
        found.setdefault(f"{error.letter} {error.header}", []).append(error.message.render())
    return found


def age_years_ago(years: int) -> date:
    today = clock.today_wita()
    return date(today.year - years, 1, 2) if today.month > 1 else date(today.year - years - 1, 1, 2)


def test_a_clean_file_has_every_row_valid_and_writes_nothing(session, users):
    before = session.scalar(select(func.count()).select_from(Person))
    report = check(session, users["caseworker"], [person_cells(), person_cells()])
    assert [r.row for r in report.valid_rows] == [2, 3]
    assert report.invalid_rows == []
    assert session.scalar(select(func.count()).select_from(Person)) == before


def test_a_bad_nik_is_reported_on_its_row_in_column_a(session, users):
    report = check(
        session, users["caseworker"], [person_cells(), person_cells(nik="6402084506850000")]
    )
    assert errors_at(report, 2) == {}
    assert errors_at(report, 3) == {
        "A NIK": ["The last four digits of the NIK (the serial) cannot be 0000."]
    }


def test_an_unknown_village_is_reported_in_the_village_column(session, users):
    report = check(session, users["caseworker"], [person_cells(village_code="64.02.08.9999")])
    assert errors_at(report, 2) == {"J Village code": ["Unknown village code 64.02.08.9999."]}


def test_a_village_outside_the_users_region_is_refused(session, users):
    report = check(session, users["kukar_caseworker"], [person_cells(village=SAMARINDA_VILLAGE)])
    assert errors_at(report, 2) == {"J Village code": ["This lies outside your region."]}


def test_a_nik_twice_in_the_file_refuses_the_second_row_naming_the_first(session, users):
    first = person_cells()
    report = check(session, users["caseworker"], [first, person_cells(), dict(first)])
    assert errors_at(report, 2) == {}
    assert errors_at(report, 4) == {"A NIK": ["This NIK is also on row 2 of the file."]}


def test_a_nik_with_an_open_case_in_the_database_is_a_duplicate(session, users):
    case = make_case(session, users["caseworker"], "WRSE")
    person = case.person
    assert person is not None
    cells = person_cells(nik=person.nik, kk_number=person.kk_number, birth_date=person.birth_date)
    report = check(session, users["caseworker"], [cells])
    assert errors_at(report, 2) == {
        "A NIK": [f"This applicant already has case {case.number} in this program and year."]
    }


def test_a_registered_person_without_a_case_is_reused(session, users):
    person = make_person(session, users["caseworker"])
    cells = person_cells(nik=person.nik, kk_number=person.kk_number, birth_date=person.birth_date)
    report = check(session, users["caseworker"], [cells])
    assert report.rows[0].valid and report.rows[0].existing_person_id == person.id


def test_wrse_refuses_a_man_and_an_applicant_too_old(session, users):
    man = person_cells(sex="L")
    old = person_cells(birth_date=age_years_ago(60))
    report = check(session, users["caseworker"], [man, old])
    assert errors_at(report, 2) == {"D Sex (L/P)": ["Program WRSE is only for women applicants."]}
    assert errors_at(report, 3) == {
        "F Date of birth": ["The applicant is 60 years old; program WRSE requires 18 to 59 years."]
    }


def test_uep_accepts_a_man(session, users):
    report = check(session, users["caseworker"], [person_cells(sex="L")], program="UEP")
    assert report.rows[0].valid


def test_an_amount_above_the_unit_value_is_refused_in_the_amount_column(session, users):
    report = check(session, users["caseworker"], [person_cells(requested_amount=5_000_001)])
    assert errors_at(report, 2) == {
        "N Requested amount (Rp)": ["The amount is above the unit value of Rp5.000.000."]
    }


def test_a_nik_typed_as_a_number_is_refused_because_excel_rounds_it(session, users):
    cells = person_cells()
    report = check(session, users["caseworker"], [cells | {"nik": float(cells["nik"])}])
    assert "A NIK" in errors_at(report, 2)


def test_several_errors_of_one_row_are_all_reported(session, users):
    cells = person_cells(full_name="", marital_status="menikah", business_type="roket")
    report = check(session, users["caseworker"], [cells])
    assert set(errors_at(report, 2)) == {"C Full name", "G Marital status", "L Business type code"}


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet(session, users):
    report = check(session, users["caseworker"], [person_cells(), {}, person_cells(nik="1")])
    assert [r.row for r in report.rows] == [2, 4]


def test_a_sheet_without_a_required_column_is_refused_as_a_whole(session, users):
    with pytest.raises(ValidationError) as refused:
        check(session, users["caseworker"], [person_cells()], headers={"nik": "Nomor"})
    assert "NIK" in refused.value.render_fields()["file"][0]


def test_a_file_that_is_not_a_workbook_is_refused(session, users):
    from io import BytesIO

    with pytest.raises(ValidationError) as refused:
        dry_run(
            session,
            BytesIO(b"NIK;Nama\n1;2\n"),
            program_code="WRSE",
            fiscal_year=YEAR,
            actor=users["caseworker"],
            translate=english,
            max_rows=10,
        )
    assert refused.value.render_fields() == {"file": ["The file is not an Excel workbook (.xlsx)."]}


def test_more_rows_than_the_limit_are_refused(session, users):
    with pytest.raises(ValidationError) as refused:
        dry_run(
            session,
            workbook([person_cells() for _ in range(3)]),
            program_code="WRSE",
            fiscal_year=YEAR,
            actor=users["caseworker"],
            translate=english,
            max_rows=2,
        )
    assert "more than 2 rows" in refused.value.render_fields()["file"][0]


def test_a_kube_is_checked_whole_and_one_bad_member_fails_the_group(session, users):
    good = kube_rows("Maju Bersama")
    bad = kube_rows("Sejahtera")
    bad[2]["nik"] = "123"
    report = check(session, users["caseworker"], good + bad, program="KUBE")
    assert [r.row for r in report.valid_rows] == [2, 3, 4, 5, 6]
    assert errors_at(report, 7) == {"A KUBE name": ["Another row of this KUBE has errors (row 9)."]}


def test_a_kube_without_a_treasurer_and_too_small_is_refused(session, users):
    rows = kube_rows("Kecil", size=4)
    rows[2]["member_role"] = "anggota"
    report = check(session, users["caseworker"], rows, program="KUBE")
    assert report.valid_rows == []
    messages = errors_at(report, 2)["A KUBE name"]
    assert "A KUBE has between 5 and 20 members; 4 given." in messages
    assert "The group needs exactly one bendahara; 0 given." in messages


def test_the_dry_run_needs_a_role_that_writes_casework(session, users):
    from casework.errors import NotAllowed

    with pytest.raises(NotAllowed):
        check(session, users["finance"], [person_cells()])


def test_no_case_is_opened_by_a_dry_run(session, users):
    before = session.scalar(select(func.count()).select_from(Case))
    check(session, users["caseworker"], [person_cells()])
    assert session.scalar(select(func.count()).select_from(Case)) == before
