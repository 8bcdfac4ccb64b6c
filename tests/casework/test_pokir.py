"""The pokir register: DPRD members, pokir lines, their lifecycle and links to cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import GuardFailed, InvalidTransition, NotAllowed, ValidationError
from casework.models import BudgetLine, DprdMember, PokirEvent, PokirLine, Role, User
from casework.services.budget import BudgetLineInput, create_budget_line
from casework.services.pokir import (
    MemberInput,
    PokirInput,
    advance_pokir,
    assign_budget_line,
    create_member,
    create_pokir_line,
    link_case_to_pokir,
)
from tests import factories
from workflows.pokir import PATH, POKIR

KUKAR, KOTA_BANGUN = "64.02", "64.02.08"
NOTE = "Catatan verifikasi."


def make_member(session: Session, actor: User, name: str = "H. Baharuddin") -> DprdMember:
    return create_member(session, MemberInput(name, "Fraksi Golkar", "Kaltim 3", "IV"), actor=actor)


def make_budget_line(
    session: Session,
    actor: User,
    *,
    program_code: str = "WRSE",
    year: int | None = None,
    ceiling: int = 1_000_000_000,
    code: str = "1.06.04.2.01.0001",
) -> BudgetLine:
    return create_budget_line(
        session,
        BudgetLineInput(
            fiscal_year=year or factories.current_year(),
            program_id=factories.program(session, program_code).id,
            sub_activity_code=code,
            account_code="5.4.02.05.01.0001",
            ceiling=ceiling,
        ),
        actor=actor,
    )


def pokir_input(session: Session, actor: User, **changes: object) -> PokirInput:
    year = int(changes.pop("fiscal_year", factories.current_year()))  # type: ignore[call-overload]
    program_code = str(changes.pop("program_code", "WRSE"))
    data = PokirInput(
        fiscal_year=year,
        member_id=make_member(session, actor).id,
        sipd_ref=f"SIPD-{year}-0001",
        program_id=factories.program(session, program_code).id,
        regency_code=KUKAR,
        quota=5,
        ceiling=50_000_000,
        reses_date=clock.today_wita() - timedelta(days=30),
        proposal="Bantuan usaha menjahit bagi perempuan rawan sosial ekonomi.",
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def make_pokir_line(
    session: Session,
    actor: User,
    *,
    state: str = "in_apbd",
    budget: BudgetLine | None = None,
    **changes: object,
) -> PokirLine:
    """A pokir line taken through its lifecycle by ``actor`` (a manager) up to ``state``."""
    data = pokir_input(session, actor, **changes)
    if budget is None:
        program_code = str(changes.get("program_code", "WRSE"))
        budget = make_budget_line(
            session,
            actor,
            program_code=program_code,
            year=data.fiscal_year,
            code=f"1.06.{data.sipd_ref}",
        )
    line = create_pokir_line(session, replace(data, budget_line_id=budget.id), actor=actor)
    for trigger, reached in PATH:
        if line.state == state:
            break
        advance_pokir(session, line, trigger, actor=actor, note=NOTE)
        assert line.state == reached
    return line


def test_a_dprd_liaison_may_not_enter_a_pokir_line(session, staff):
    with pytest.raises(NotAllowed):
        create_pokir_line(
            session, pokir_input(session, staff["manager"]), actor=staff["dprd_liaison"]
        )


def test_a_manager_enters_a_pokir_line_in_state_input(session, staff):
    line = create_pokir_line(
        session, pokir_input(session, staff["manager"]), actor=staff["manager"]
    )
    assert (line.state, line.version, line.quota, line.ceiling) == ("input", 1, 5, 50_000_000)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quota": 0}, "quota"),
        ({"quota": -3}, "quota"),
        ({"ceiling": 0}, "ceiling"),
        ({"ceiling": -1_000_000}, "ceiling"),
        ({"member_id": 999_999}, "member_id"),
        ({"sipd_ref": "  "}, "sipd_ref"),
        ({"regency_code": "64.99"}, "regency_code"),
        ({"district_code": "64.72.01"}, "district_code"),
        (
            {"district_code": KOTA_BANGUN, "village_code": factories.SAMARINDA_VILLAGE},
            "village_code",
        ),
        ({"village_code": factories.KOTA_BANGUN_LIANG}, "district_code"),
        ({"program_id": 999_999}, "program_id"),
    ],
)
def test_a_pokir_line_with_a_bad_field_is_refused_naming_the_field(session, staff, changes, field):
    data = pokir_input(session, staff["manager"], **changes)
    with pytest.raises(ValidationError) as refused:
        create_pokir_line(session, data, actor=staff["manager"])
    assert field in refused.value.fields
    assert session.scalar(select(PokirLine.id)) is None


def test_a_reses_date_in_the_future_is_refused(session, staff):
    tomorrow = clock.today_wita() + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        create_pokir_line(
            session,
            pokir_input(session, staff["manager"], reses_date=tomorrow),
            actor=staff["manager"],
        )
    assert list(refused.value.fields) == ["reses_date"]


def test_a_sipd_reference_is_unique_within_a_fiscal_year_only(session, staff):
    manager = staff["manager"]
    create_pokir_line(session, pokir_input(session, manager), actor=manager)
    with pytest.raises(ValidationError) as refused:
        create_pokir_line(session, pokir_input(session, manager), actor=manager)
    assert list(refused.value.fields) == ["sipd_ref"]
    year = factories.current_year() - 1
    other_year = pokir_input(
        session, manager, fiscal_year=year, sipd_ref=f"SIPD-{factories.current_year()}-0001"
    )
    assert create_pokir_line(session, other_year, actor=manager).fiscal_year == year


def test_a_line_may_target_a_consistent_district_and_village(session, staff):
    data = pokir_input(
        session,
        staff["manager"],
        district_code=KOTA_BANGUN,
        village_code=factories.KOTA_BANGUN_LIANG,
    )
    line = create_pokir_line(session, data, actor=staff["manager"])
    assert line.target_code == factories.KOTA_BANGUN_LIANG


def test_each_lifecycle_step_records_who_when_and_the_note(session, staff):
    manager = staff["manager"]
    line = make_pokir_line(session, manager)
    events = list(
        session.scalars(
            select(PokirEvent).where(PokirEvent.pokir_line_id == line.id).order_by(PokirEvent.id)
        )
    )
    assert [(e.trigger, e.to_state) for e in events] == [(t, s.value) for t, s in PATH]
    assert {e.actor_id for e in events} == {manager.id}
    assert {e.reason for e in events} == {NOTE}
    assert [e.record_version for e in events] == [2, 3, 4, 5, 6]
    assert (line.state, line.version) == ("in_apbd", 6)


# (state, trigger) -> destination; everything else is refused. Written by hand.
TABLE = {
    ("input", "verify_setwan"): "verified_setwan",
    ("input", "reject"): "rejected",
    ("verified_setwan", "validate_bappeda"): "validated_bappeda",
    ("verified_setwan", "reject"): "rejected",
    ("validated_bappeda", "validate_opd"): "validated_opd",
    ("validated_bappeda", "reject"): "rejected",
    ("validated_opd", "validate_tapd"): "validated_tapd",
    ("validated_opd", "reject"): "rejected",
    ("validated_tapd", "enter_apbd"): "in_apbd",
    ("validated_tapd", "reject"): "rejected",
}
STATES = (
    "input",
    "verified_setwan",
    "validated_bappeda",
    "validated_opd",
    "validated_tapd",
    "in_apbd",
)
TRIGGERS = (
    "verify_setwan",
    "validate_bappeda",
    "validate_opd",
    "validate_tapd",
    "enter_apbd",
    "reject",
)
ROLES = {
    "verify_setwan": {Role.MANAGER, Role.ADMIN},
    "validate_bappeda": {Role.MANAGER, Role.ADMIN},
    "validate_opd": {Role.MANAGER, Role.ADMIN},
    "validate_tapd": {Role.MANAGER, Role.ADMIN},
    "enter_apbd": {Role.MANAGER, Role.ADMIN},
    "reject": {Role.MANAGER, Role.ADMIN},
}


def test_the_pokir_definition_has_exactly_the_states_and_triggers_of_the_table():
    assert {s.name.value for s in POKIR.states} == {*STATES, "rejected"}
    assert set(POKIR.triggers) == set(TRIGGERS)
    assert {s.name.value for s in POKIR.states if s.final} == {"in_apbd", "rejected"}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_the_pokir_lifecycle_follows_the_table(session, staff, state, trigger):
    manager = staff["manager"]
    line = make_pokir_line(session, manager, state=state)
    if (state, trigger) in TABLE:
        advance_pokir(session, line, trigger, actor=manager, note=NOTE)
        assert line.state == TABLE[(state, trigger)]
    else:
        with pytest.raises(InvalidTransition) as refused:
            advance_pokir(session, line, trigger, actor=manager, note=NOTE)
        assert refused.value.status == 409
        assert sorted(refused.value.allowed_triggers) == sorted(t for (s, t) in TABLE if s == state)
        session.refresh(line)
        assert line.state == state


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_only_the_roles_of_the_table_may_move_a_pokir_line(session, staff, role, trigger):
    source = next(s for (s, t) in TABLE if t == trigger)
    line = make_pokir_line(session, staff["manager"], state=source)
    actor = staff[role.value]
    if role in ROLES[trigger]:
        advance_pokir(session, line, trigger, actor=actor, note=NOTE)
        assert line.state == TABLE[(source, trigger)]
    else:
        with pytest.raises(NotAllowed):
            advance_pokir(session, line, trigger, actor=actor, note=NOTE)
        assert line.state == source


def test_rejecting_a_pokir_line_needs_a_reason(session, staff):
    line = make_pokir_line(session, staff["manager"], state="input")
    with pytest.raises(ValidationError) as refused:
        advance_pokir(session, line, "reject", actor=staff["manager"], note=" ")
    assert list(refused.value.fields) == ["reason"]
    assert line.state == "input"


def test_tapd_validation_needs_a_budget_line(session, staff):
    manager = staff["manager"]
    line = create_pokir_line(session, pokir_input(session, manager), actor=manager)
    for trigger, _ in PATH[:3]:
        advance_pokir(session, line, trigger, actor=manager)
    with pytest.raises(GuardFailed) as refused:
        advance_pokir(session, line, "validate_tapd", actor=manager)
    assert refused.value.rule == "budget_line_assigned"
    assign_budget_line(session, line, make_budget_line(session, manager), actor=manager)
    advance_pokir(session, line, "validate_tapd", actor=manager)
    assert line.state == "validated_tapd"


def test_a_kukar_manager_cannot_validate_a_samarinda_line(session, staff):
    line = make_pokir_line(session, staff["manager"], state="verified_setwan", regency_code="64.72")
    with pytest.raises(NotAllowed):
        advance_pokir(session, line, "validate_bappeda", actor=staff["kukar_manager"])


@pytest.fixture()
def pokir_case(session, users, store):
    return factories.case_in_state(session, users, store, "recommended")


def test_a_case_is_linked_to_a_pokir_line_in_the_apbd_of_its_program_year_and_region(
    session, users, pokir_case
):
    line = make_pokir_line(session, users["manager"])
    link_case_to_pokir(session, pokir_case, line, users["caseworker"])
    assert pokir_case.pokir_line_id == line.id


@pytest.mark.parametrize(
    ("changes", "state"),
    [
        ({}, "validated_tapd"),
        ({"program_code": "UEP"}, "in_apbd"),
        ({"fiscal_year": 2031}, "in_apbd"),
        ({"regency_code": "64.72"}, "in_apbd"),
        ({"district_code": "64.02.01"}, "in_apbd"),
    ],
    ids=["not_in_apbd", "other_program", "other_year", "other_regency", "other_district"],
)
def test_a_case_cannot_be_linked_to_a_line_that_cannot_fund_it(
    session, users, pokir_case, changes, state
):
    line = make_pokir_line(session, users["manager"], state=state, **changes)
    before = pokir_case.pokir_line_id
    with pytest.raises(ValidationError) as refused:
        link_case_to_pokir(session, pokir_case, line, users["manager"])
    assert list(refused.value.fields) == ["pokir_line_id"]
    assert pokir_case.pokir_line_id == before


def test_an_approved_case_keeps_its_pokir_line(session, users, store):
    case = factories.case_in_state(session, users, store, "approved")
    line = make_pokir_line(session, users["manager"])
    with pytest.raises(ValidationError):
        link_case_to_pokir(session, case, line, users["manager"])


def test_a_reses_date_is_a_date(session, staff):
    data = pokir_input(session, staff["manager"], reses_date=date(2020, 2, 29))
    assert create_pokir_line(session, data, actor=staff["manager"]).reses_date == date(2020, 2, 29)
