"""The working calendar (casework.calendar) and the deadlines the engine sets with it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from casework import clock
from casework.calendar import WorkCalendar, calendar_for, end_of_day_wita, national_days_off
from casework.clock import WITA
from casework.models import CaseState
from casework.services.deadlines import add_day_off, set_sla_override
from tests import factories
from workflows.engine import advance

# Friday 14 August 2026, 09:00 WITA: a weekend and 17 August (Monday) follow.
FRIDAY = datetime(2026, 8, 14, 9, 0, tzinfo=WITA)


def test_weekends_are_not_working_days():
    calendar = WorkCalendar()
    assert calendar.is_working_day(date(2026, 8, 14))
    assert not calendar.is_working_day(date(2026, 8, 15))
    assert not calendar.is_working_day(date(2026, 8, 16))


def test_independence_day_and_collective_leave_are_days_off():
    assert date(2026, 8, 17) in national_days_off(2026)
    # cuti bersama (collective leave) before and after Idul Fitri 1447 H
    assert {date(2026, 3, 20), date(2026, 3, 23), date(2026, 3, 24)} <= national_days_off(2026)
    assert not WorkCalendar().is_working_day(date(2026, 3, 23))


def test_one_working_day_after_friday_skips_the_weekend_and_17_august():
    assert WorkCalendar().add_working_days(date(2026, 8, 14), 1) == date(2026, 8, 18)


def test_an_added_day_off_moves_the_date_by_one_more_day():
    calendar = WorkCalendar(extra_days_off=frozenset({date(2026, 8, 18)}))
    assert calendar.add_working_days(date(2026, 8, 14), 1) == date(2026, 8, 19)


def test_subtracting_working_days_walks_back_over_weekends_and_holidays():
    assert WorkCalendar().subtract_working_days(date(2026, 8, 18), 1) == date(2026, 8, 14)
    assert WorkCalendar().working_days_between(date(2026, 8, 14), date(2026, 8, 19)) == 2


def test_negative_working_days_are_refused():
    with pytest.raises(ValueError):
        WorkCalendar().add_working_days(date(2026, 8, 14), -1)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 27), True),  # Friday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 8, 17), False),  # Monday, Hari Kemerdekaan
        (date(2026, 8, 18), True),
        (date(2026, 12, 25), False),  # Friday, Christmas
        (date(2026, 1, 1), False),  # Thursday, New Year
        (date(2026, 5, 1), False),  # Friday, Labour Day
        (date(2026, 6, 1), False),  # Monday, Pancasila Day
    ],
)
def test_weekends_and_national_holidays_are_not_working_days(day, working):
    assert WorkCalendar().is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 27), 0, date(2026, 11, 27)),  # nothing to add
        (date(2026, 11, 26), 1, date(2026, 11, 27)),  # Thursday -> Friday
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday -> over the weekend -> Monday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # from a Saturday
        (date(2026, 8, 14), 1, date(2026, 8, 18)),  # Friday -> weekend and 17 August
        (date(2026, 8, 14), 5, date(2026, 8, 24)),  # Tue 18 .. Fri 21, Mon 24
        (date(2026, 12, 24), 1, date(2026, 12, 28)),  # Christmas Friday and the weekend
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # across the year and New Year
        # 17 August 2025 fell on a Sunday; Monday 18 was declared collective leave
        (date(2025, 8, 15), 1, date(2025, 8, 19)),
    ],
)
def test_adding_working_days_skips_weekends_and_holidays(start, days, expected):
    assert WorkCalendar().add_working_days(start, days) == expected


@pytest.mark.parametrize("start", [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 365, 7)])
def test_ten_working_days_never_land_on_a_day_off_and_take_at_least_two_weeks(start):
    calendar = WorkCalendar()
    result = calendar.add_working_days(start, 10)

    assert calendar.is_working_day(result)
    assert (result - start).days >= 14


def test_the_end_of_a_day_is_its_last_second_in_wita_which_is_15_59_59_utc():
    end = end_of_day_wita(date(2026, 8, 24))

    assert end == datetime(2026, 8, 24, 23, 59, 59, tzinfo=WITA)
    assert end.astimezone(UTC) == datetime(2026, 8, 24, 15, 59, 59, tzinfo=UTC)


def test_entering_a_state_sets_its_deadline_in_working_days(session, users, store):
    case = factories.make_case(session, users["caseworker"])
    with clock.frozen(FRIDAY):
        advance(session, case, "submit", actor=users["caseworker"])
    # submitted: 5 working days from Fri 14 Aug = Tue 18 .. Mon 24 → Mon 24 Aug, 23:59:59 WITA
    assert case.due_at == end_of_day_wita(date(2026, 8, 24))


def test_an_added_day_off_delays_the_deadline_of_the_next_transition(session, users):
    case = factories.make_case(session, users["caseworker"])
    calendar_for(session)  # loaded and cached before the change
    add_day_off(session, date(2026, 8, 18), "Hari jadi Provinsi (contoh)")
    with clock.frozen(FRIDAY):
        advance(session, case, "submit", actor=users["caseworker"])
    # Tue 18 is now off and Tue 25 is Maulid Nabi: 19, 20, 21, 24, 26 August
    assert case.due_at == end_of_day_wita(date(2026, 8, 26))


def test_a_program_sla_override_is_used_on_entering_the_state(session, users):
    case = factories.make_case(session, users["caseworker"])
    set_sla_override(session, case.program_id, CaseState.SUBMITTED.value, 1)
    with clock.frozen(FRIDAY):
        advance(session, case, "submit", actor=users["caseworker"])
    assert case.due_at == end_of_day_wita(date(2026, 8, 18))


def test_the_override_of_one_program_leaves_the_others_alone(session, users):
    kube = factories.program(session, "KUBE")
    set_sla_override(session, kube.id, CaseState.SUBMITTED.value, 1)
    case = factories.make_case(session, users["caseworker"], "WRSE")
    with clock.frozen(FRIDAY):
        advance(session, case, "submit", actor=users["caseworker"])
    assert case.due_at == end_of_day_wita(date(2026, 8, 24))


def test_a_returned_and_resubmitted_case_gets_a_fresh_deadline(session, users):
    case = factories.make_case(session, users["caseworker"])
    with clock.frozen(FRIDAY):
        advance(session, case, "submit", actor=users["caseworker"])
    first = case.due_at
    with clock.frozen(datetime(2026, 9, 1, 10, 0, tzinfo=WITA)):
        advance(session, case, "return_for_revision", actor=users["verifier"], reason="KK buram")
        assert case.due_at == end_of_day_wita(date(2026, 9, 15))  # returned: 10 working days
        advance(session, case, "resubmit", actor=users["caseworker"])
    assert case.due_at == end_of_day_wita(date(2026, 9, 8))  # submitted again: 5 working days
    assert case.due_at != first


def test_the_usage_report_is_due_on_10_january_of_the_next_year(session, users, store):
    case = factories.case_in_state(session, users, store, CaseState.AWAITING_REPORT)
    assert case.due_at == end_of_day_wita(date(case.fiscal_year + 1, 1, 10))


def test_the_calendar_is_loaded_once_per_unit_of_work(session, users):
    first = calendar_for(session)
    assert calendar_for(session) is first
    add_day_off(session, date(2026, 8, 18), "Cuti daerah")
    assert date(2026, 8, 18) in calendar_for(session).extra_days_off


def test_the_same_day_off_cannot_be_added_twice(session, users):
    from casework.errors import Duplicate

    add_day_off(session, date(2026, 8, 18), "Cuti daerah")
    with pytest.raises(Duplicate):
        add_day_off(session, date(2026, 8, 18), "lagi")


def test_bulk_transitions_use_the_program_sla_override_of_each_case(session, users):
    from workflows.engine import advance_many

    kube = factories.program(session, "KUBE")
    set_sla_override(session, kube.id, CaseState.ADMIN_VERIFICATION.value, 1)
    overridden = factories.make_case(session, users["caseworker"], "KUBE")
    default = factories.make_case(session, users["caseworker"], "WRSE")
    with clock.frozen(FRIDAY):
        for case in (overridden, default):
            advance(session, case, "submit", actor=users["caseworker"])
        result = advance_many(
            session, [overridden.id, default.id], "start_verification", actor=users["verifier"]
        )
    assert result.moved == sorted([overridden.id, default.id])
    session.expire_all()
    assert overridden.due_at == end_of_day_wita(date(2026, 8, 18))  # 1 working day
    # 10 working days: 18-21, 24, 26-28 (25 is Maulid Nabi), 31 August, 1 September
    assert default.due_at == end_of_day_wita(date(2026, 9, 1))


def test_only_admin_and_manager_may_change_the_calendar(session, users):
    from casework.errors import NotAllowed

    kube = factories.program(session, "KUBE")
    with pytest.raises(NotAllowed):
        add_day_off(session, date(2026, 8, 18), "Cuti", actor=users["caseworker"])
    with pytest.raises(NotAllowed):
        set_sla_override(session, kube.id, "submitted", 3, actor=users["verifier"])
    add_day_off(session, date(2026, 8, 18), "Cuti", actor=users["manager"])
    assert set_sla_override(session, kube.id, "submitted", 3, actor=users["admin"]).id


def test_an_override_for_a_state_the_workflow_has_not_or_a_final_one_is_refused(session, users):
    from casework.errors import ValidationError

    kube = factories.program(session, "KUBE")
    for state in ("no_such_state", CaseState.CLOSED.value, CaseState.DRAFT.value):
        with pytest.raises(ValidationError):
            set_sla_override(session, kube.id, state, 3)


def test_removing_an_override_brings_back_the_definitions_deadline(session, users):
    from casework.services.deadlines import remove_sla_override

    case = factories.make_case(session, users["caseworker"])
    row = set_sla_override(session, case.program_id, CaseState.SUBMITTED.value, 1)
    calendar_for(session)
    remove_sla_override(session, row.id)
    with clock.frozen(FRIDAY):
        advance(session, case, "submit", actor=users["caseworker"])
    assert case.due_at == end_of_day_wita(date(2026, 8, 24))


def test_removing_a_day_off_makes_it_a_working_day_again(session, users):
    from casework.services.deadlines import remove_day_off

    row = add_day_off(session, date(2026, 8, 18), "Cuti")
    assert not calendar_for(session).is_working_day(date(2026, 8, 18))
    remove_day_off(session, row.id)
    assert calendar_for(session).is_working_day(date(2026, 8, 18))
