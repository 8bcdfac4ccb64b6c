"""Opening cases and keeping their details (casework.services.cases)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from casework.errors import Duplicate, NotAllowed, ValidationError, VersionConflict
from casework.models import Case, CaseEvent, CaseState, ProgramYear
from casework.services.cases import CaseInput, open_case, update_case_details
from casework.services.demo import drive_to
from tests import factories
from workflows.engine import advance

FRESH_YEAR = 2031  # no other test opens cases in this fiscal year


def add_year(session, program_code: str, year: int = FRESH_YEAR) -> ProgramYear:
    program = factories.program(session, program_code)
    rules = ProgramYear(fiscal_year=year, unit_value=5_000_000, min_age=18, max_age=59)
    program.years.append(rules)
    session.flush()
    return rules


def case_input(session, applicant, program_code="WRSE", **changes) -> CaseInput:
    is_group = program_code == "KUBE"
    base = CaseInput(
        program_id=factories.program(session, program_code).id,
        fiscal_year=factories.current_year(),
        business_type_id=factories.business_type(session).id,
        person_id=None if is_group else applicant.id,
        group_id=applicant.id if is_group else None,
        requested_package="Mesin jahit",
        requested_amount=4_500_000,
    )
    return dataclasses.replace(base, **changes)


def test_a_new_case_is_a_draft_without_events_or_deadline(session, staff):
    case = factories.make_case(session, staff["caseworker"], "WRSE")

    assert (case.state, case.version, case.due_at) == (CaseState.DRAFT, 1, None)
    assert case.created_by_id == staff["caseworker"].id
    count = session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)
    )
    assert count == 0


def test_case_numbers_run_per_program_and_fiscal_year(session, staff):
    add_year(session, "WRSE")
    add_year(session, "UEP")
    cw = staff["caseworker"]

    def number(program_code: str, year: int) -> str:
        return factories.make_case(session, cw, program_code, fiscal_year=year).number

    assert number("WRSE", FRESH_YEAR) == f"WRSE-{FRESH_YEAR}-000001"
    assert number("WRSE", FRESH_YEAR) == f"WRSE-{FRESH_YEAR}-000002"
    assert number("UEP", FRESH_YEAR) == f"UEP-{FRESH_YEAR}-000001"
    current = number("WRSE", factories.current_year())
    assert current.startswith(f"WRSE-{factories.current_year()}-")
    assert number("WRSE", FRESH_YEAR) == f"WRSE-{FRESH_YEAR}-000003"


def test_a_second_open_case_of_the_same_applicant_program_and_year_is_a_duplicate(session, staff):
    woman = factories.make_person(session, staff["caseworker"])
    first = open_case(session, case_input(session, woman), actor=staff["caseworker"])

    with pytest.raises(Duplicate) as refused:
        open_case(session, case_input(session, woman), actor=staff["caseworker"])

    assert refused.value.existing_id == first.id
    assert refused.value.params["number"] == first.number


def test_the_same_applicant_may_apply_to_another_program_or_year(session, staff):
    woman = factories.make_person(session, staff["caseworker"])
    open_case(session, case_input(session, woman), actor=staff["caseworker"])

    uep = open_case(session, case_input(session, woman, "UEP"), actor=staff["caseworker"])
    last_year = open_case(
        session, case_input(session, woman, fiscal_year=2025), actor=staff["caseworker"]
    )

    assert uep.number.startswith("UEP-") and last_year.fiscal_year == 2025


def test_a_rejected_case_does_not_block_a_new_application(session, staff, store):
    woman = factories.make_person(session, staff["caseworker"])
    first = open_case(session, case_input(session, woman), actor=staff["caseworker"])
    drive_to(session, first, CaseState.REJECTED, actors=factories.actors(staff), store=store)

    second = open_case(session, case_input(session, woman), actor=staff["caseworker"])

    assert second.id != first.id and second.state == CaseState.DRAFT


def test_a_wrse_case_for_a_group_is_a_field_error(session, staff):
    group = factories.make_group(session, staff["caseworker"])
    data = case_input(session, group, "KUBE", program_id=factories.program(session, "WRSE").id)

    with pytest.raises(ValidationError) as refused:
        open_case(session, data, actor=staff["caseworker"])

    assert set(refused.value.fields) == {"person_id"}


def test_a_kube_case_for_a_person_is_a_field_error(session, staff):
    person = factories.make_person(session, staff["caseworker"])
    data = case_input(session, person, "WRSE", program_id=factories.program(session, "KUBE").id)

    with pytest.raises(ValidationError) as refused:
        open_case(session, data, actor=staff["caseworker"])

    assert set(refused.value.fields) == {"group_id"}


@pytest.mark.parametrize(("amount", "ok"), [(0, True), (5_000_000, True), (5_000_001, False)])
def test_the_requested_amount_may_not_exceed_the_unit_value(session, staff, amount, ok):
    person = factories.make_person(session, staff["caseworker"])
    data = case_input(session, person, requested_amount=amount)

    if ok:
        assert open_case(session, data, actor=staff["caseworker"]).requested_amount == amount
    else:
        with pytest.raises(ValidationError) as refused:
            open_case(session, data, actor=staff["caseworker"])
        assert set(refused.value.fields) == {"requested_amount"}
        assert refused.value.fields["requested_amount"][0].params == {"limit": "5.000.000"}


def test_a_negative_amount_is_a_field_error(session, staff):
    person = factories.make_person(session, staff["caseworker"])

    with pytest.raises(ValidationError) as refused:
        open_case(
            session, case_input(session, person, requested_amount=-1), actor=staff["caseworker"]
        )

    assert set(refused.value.fields) == {"requested_amount"}


@pytest.mark.parametrize("year", [2019, 2030])
def test_a_fiscal_year_without_rules_is_a_field_error(session, staff, year):
    person = factories.make_person(session, staff["caseworker"])

    with pytest.raises(ValidationError) as refused:
        open_case(session, case_input(session, person, fiscal_year=year), actor=staff["caseworker"])

    assert set(refused.value.fields) == {"fiscal_year"}


def test_uep_has_no_rules_before_2025(session, staff):
    person = factories.make_person(session, staff["caseworker"])

    with pytest.raises(ValidationError) as refused:
        open_case(
            session, case_input(session, person, "UEP", fiscal_year=2024), actor=staff["caseworker"]
        )

    assert set(refused.value.fields) == {"fiscal_year"}


def test_an_unknown_business_type_is_a_field_error(session, staff):
    person = factories.make_person(session, staff["caseworker"])

    with pytest.raises(ValidationError) as refused:
        open_case(
            session,
            case_input(session, person, business_type_id=999_999),
            actor=staff["caseworker"],
        )

    assert set(refused.value.fields) == {"business_type_id"}


@pytest.mark.parametrize(
    ("village", "regency"),
    [(factories.KOTA_BANGUN_LIANG, "64.02"), (factories.SAMARINDA_VILLAGE, "64.72")],
)
def test_the_case_lies_in_the_applicants_village_and_regency(session, staff, village, regency):
    person = factories.make_person(session, staff["caseworker"], village=village)

    case = open_case(session, case_input(session, person), actor=staff["caseworker"])

    assert (case.village_code, case.regency_code) == (village, regency)


def test_a_kube_case_lies_in_the_groups_village(session, staff):
    group = factories.make_group(session, staff["caseworker"])

    case = open_case(session, case_input(session, group, "KUBE"), actor=staff["caseworker"])

    assert (case.village_code, case.regency_code) == (factories.KOTA_BANGUN_LIANG, "64.02")


@pytest.mark.parametrize("role", ["dprd_liaison", "auditor", "finance"])
def test_roles_outside_casework_cannot_open_cases(session, staff, role):
    person = factories.make_person(session, staff["caseworker"])

    with pytest.raises(NotAllowed) as refused:
        open_case(session, case_input(session, person), actor=staff[role])

    assert refused.value.status == 403
    assert session.scalar(select(Case).where(Case.person_id == person.id)) is None


def test_a_kukar_caseworker_cannot_open_a_case_for_a_samarinda_resident(session, staff):
    person = factories.make_person(
        session, staff["caseworker"], village=factories.SAMARINDA_VILLAGE
    )

    with pytest.raises(NotAllowed):
        open_case(session, case_input(session, person), actor=staff["kukar_caseworker"])


# --- details ------------------------------------------------------------------------------


def test_a_draft_case_can_change_what_it_asks_for(session, staff):
    case = factories.make_case(session, staff["caseworker"], "WRSE")
    kuliner = factories.business_type(session, "kuliner")

    update_case_details(
        session,
        case,
        business_type_id=kuliner.id,
        requested_package="  Etalase dan kompor ",
        requested_amount=3_000_000,
        actor=staff["caseworker"],
        expected_version=case.version,
    )

    assert (case.business_type_id, case.requested_package, case.requested_amount) == (
        kuliner.id,
        "Etalase dan kompor",
        3_000_000,
    )
    assert case.state == CaseState.DRAFT


def test_a_submitted_case_cannot_be_edited(session, staff):
    case = factories.make_case(session, staff["caseworker"], "WRSE")
    advance(session, case, "submit", actor=staff["caseworker"])

    with pytest.raises(ValidationError):
        update_case_details(
            session,
            case,
            business_type_id=case.business_type_id,
            requested_package="Lain",
            requested_amount=1_000_000,
            actor=staff["caseworker"],
        )
    assert case.requested_amount == 4_500_000


def test_editing_with_a_stale_version_is_a_version_conflict(session, staff):
    case = factories.make_case(session, staff["caseworker"], "WRSE")

    with pytest.raises(VersionConflict):
        update_case_details(
            session,
            case,
            business_type_id=case.business_type_id,
            requested_package="Lain",
            requested_amount=1_000_000,
            actor=staff["caseworker"],
            expected_version=case.version + 1,
        )


def test_editing_above_the_unit_value_is_refused(session, staff):
    case = factories.make_case(session, staff["caseworker"], "WRSE")

    with pytest.raises(ValidationError) as refused:
        update_case_details(
            session,
            case,
            business_type_id=case.business_type_id,
            requested_package="Lain",
            requested_amount=6_000_000,
            actor=staff["caseworker"],
        )
    assert set(refused.value.fields) == {"requested_amount"}
