"""The import writes exactly the confirmed valid rows, set-based, or nothing at all."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import ValidationError
from casework.importing import import_applicants, open_cases_many
from casework.importing.loader import NewCase
from casework.models import Case, CaseEvent, Group, Person, User
from casework.models.program import ApplicantKind
from casework.services.cases import CaseInput, open_case
from tests.factories import business_type, make_person, program
from tests.imports.sheets import english, kube_rows, person_cells, workbook

YEAR = clock.today_wita().year


def run(session: Session, actor: User, rows, program_code: str = "WRSE", **kwargs):
    kind = ApplicantKind.GROUP if program_code == "KUBE" else ApplicantKind.PERSON
    return import_applicants(
        session,
        workbook(rows, kind),
        program_code=program_code,
        fiscal_year=YEAR,
        actor=actor,
        translate=english,
        max_rows=20_000,
        **kwargs,
    )


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_valid_rows_become_persons_and_draft_cases(session, users):
    rows = [person_cells(full_name="Siti Aminah"), person_cells(nik="bad"), person_cells()]
    result = run(session, users["caseworker"], rows, confirmed=[2, 4])
    assert result.cases_created == 2 and result.persons_created == 2
    case = session.scalars(select(Case).where(Case.number == result.case_numbers[0])).one()
    assert case.state == "draft" and case.person is not None
    assert case.person.full_name == "Siti Aminah"
    assert case.requested_amount == 4_500_000
    assert case.created_by_id == users["caseworker"].id


def test_confirming_an_invalid_row_imports_nothing(session, users):
    persons, cases = count(session, Person), count(session, Case)
    rows = [person_cells(), person_cells(nik="bad")]
    with pytest.raises(ValidationError) as refused:
        run(session, users["caseworker"], rows, confirmed=[2, 3])
    assert "3" in refused.value.render_fields()["rows"][0]
    assert (count(session, Person), count(session, Case)) == (persons, cases)


def test_a_row_that_became_a_duplicate_since_the_dry_run_refuses_the_import(session, users):
    cells = person_cells()
    first = run(session, users["caseworker"], [cells])
    assert first.cases_created == 1
    cases = count(session, Case)
    with pytest.raises(ValidationError):
        run(session, users["caseworker"], [person_cells(), cells], confirmed=[2, 3])
    assert count(session, Case) == cases


def test_a_registered_person_is_reused_not_duplicated(session, users):
    person = make_person(session, users["caseworker"])
    cells = person_cells(nik=person.nik, kk_number=person.kk_number, birth_date=person.birth_date)
    result = run(session, users["caseworker"], [cells, person_cells()])
    assert (result.persons_reused, result.persons_created) == (1, 1)
    numbers = result.case_numbers
    reused = session.scalars(
        select(Case).where(Case.number.in_(numbers), Case.person_id == person.id)
    )
    assert len(reused.all()) == 1


def test_case_numbers_continue_the_program_year_sequence(session, users):
    before = open_case(
        session,
        CaseInput(
            program_id=program(session, "WRSE").id,
            fiscal_year=YEAR,
            business_type_id=business_type(session).id,
            person_id=make_person(session, users["caseworker"]).id,
        ),
        actor=users["caseworker"],
    )
    result = run(session, users["caseworker"], [person_cells(), person_cells()])
    serial = int(before.number.rsplit("-", 1)[1])
    assert result.case_numbers == [f"WRSE-{YEAR}-{serial + 1:06d}", f"WRSE-{YEAR}-{serial + 2:06d}"]


def test_a_kube_imports_with_its_members_and_one_group_case(session, users):
    result = run(session, users["caseworker"], kube_rows("Maju Bersama", size=6), "KUBE")
    assert result.groups_created == 1 and result.persons_created == 6
    case = session.scalars(select(Case).where(Case.number == result.case_numbers[0])).one()
    group = session.get(Group, case.group_id)
    assert group is not None and group.name == "Maju Bersama"
    roles = sorted(m.role.value for m in group.members)
    assert roles == ["anggota", "anggota", "anggota", "bendahara", "ketua", "sekretaris"]
    assert case.person_id is None and case.requested_amount == 4_500_000


def test_confirming_part_of_a_kube_is_refused(session, users):
    with pytest.raises(ValidationError) as refused:
        run(session, users["caseworker"], kube_rows("Separuh"), "KUBE", confirmed=[2, 3])
    assert refused.value.render_fields() == {
        "rows": ["A KUBE is imported with all its rows or not at all."]
    }


def test_a_file_without_valid_rows_is_refused(session, users):
    with pytest.raises(ValidationError):
        run(session, users["caseworker"], [person_cells(nik="1")])


def test_the_set_based_twin_writes_the_rows_open_case_writes(session, users):
    actor = users["caseworker"]
    wrse = program(session, "WRSE")
    menjahit = business_type(session)
    one, two = make_person(session, actor), make_person(session, actor)
    data = CaseInput(wrse.id, YEAR, menjahit.id, person_id=one.id, requested_amount=4_000_000)
    single = open_case(session, data, actor=actor)
    new = NewCase(menjahit.id, two.village_code, two.regency_code, "", 4_000_000, two.id)
    (number,) = open_cases_many(session, wrse, YEAR, [new], actor=actor)
    session.expire_all()
    twin = session.scalars(select(Case).where(Case.number == number)).one()
    ignored = {"id", "number", "person_id", "created_at", "state_entered_at"}
    columns = [c.key for c in Case.__table__.columns if c.key not in ignored]
    assert {c: getattr(twin, c) for c in columns} == {c: getattr(single, c) for c in columns}
    events = select(func.count()).select_from(CaseEvent)
    assert session.scalar(events.where(CaseEvent.case_id.in_([single.id, twin.id]))) == 0


def test_ten_thousand_rows_import_in_one_run(session, users):
    # NIK serials run 1-9999: the birth date tells the second pass apart.
    rows = [
        person_cells(serial=n, birth_date=date(1985, 6, 15 + n // 9999)) for n in range(1, 10_001)
    ]
    persons, cases = count(session, Person), count(session, Case)
    result = run(session, users["caseworker"], rows)
    assert result.cases_created == 10_000
    assert count(session, Person) == persons + 10_000
    assert count(session, Case) == cases + 10_000
