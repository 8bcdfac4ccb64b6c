"""Deadlines a case gets on entering a state: SLAs in working days, or a fixed date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from casework import clock
from casework.clock import WITA
from casework.models import Case, CaseState
from casework.services.demo import drive_to
from tests import factories
from tests.workflows.conftest import World
from workflows.engine import advance, advance_many

S = CaseState
# Friday 14 August 2026, 10:00 WITA; Monday 17 August is Independence Day (and Tuesday
# 25 August the Prophet's Birthday, the day after five working days run out).
BEFORE_INDEPENDENCE_DAY = datetime(2026, 8, 14, 2, 0, tzinfo=UTC)


def eod(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=WITA)


def reached(ws: World, state: CaseState, *, fiscal_year: int | None = None) -> Case:
    case = factories.make_case(ws.session, ws.users["caseworker"], "WRSE", fiscal_year=fiscal_year)
    return drive_to(ws.session, case, state, actors=factories.actors(ws.users), store=ws.store)


def reloaded(ws: World, case: Case) -> Case:
    ws.session.expire_all()
    fresh = ws.session.get(Case, case.id)
    assert fresh is not None
    return fresh


def test_a_draft_has_no_deadline(ws):
    with clock.frozen(BEFORE_INDEPENDENCE_DAY):
        case = reached(ws, S.DRAFT)

    assert case.due_at is None
    assert reloaded(ws, case).state_entered_at == BEFORE_INDEPENDENCE_DAY


def test_a_submitted_case_is_due_in_5_working_days_skipping_the_weekend_and_17_august(ws):
    with clock.frozen(BEFORE_INDEPENDENCE_DAY):
        case = reached(ws, S.SUBMITTED)

    fresh = reloaded(ws, case)
    assert fresh.due_at == eod(2026, 8, 24)
    assert fresh.state_entered_at == BEFORE_INDEPENDENCE_DAY


def test_the_working_day_count_starts_from_the_date_in_wita(ws):
    # 20:00 UTC on Thursday 13 August is already Friday 14 August 04:00 in WITA.
    with clock.frozen(datetime(2026, 8, 13, 20, 0, tzinfo=UTC)):
        case = reached(ws, S.SUBMITTED)

    assert reloaded(ws, case).due_at == eod(2026, 8, 24)


@pytest.mark.parametrize(
    ("state", "due"),
    [
        # 10 and 15 working days also skip Tuesday 25 August (the Prophet's Birthday).
        (S.ADMIN_VERIFICATION, eod(2026, 9, 1)),
        (S.FIELD_ASSESSMENT, eod(2026, 9, 8)),
        (S.DELIVERED, eod(2026, 8, 24)),  # 5 working days
    ],
)
def test_each_state_gets_its_own_sla(ws, state, due):
    with clock.frozen(BEFORE_INDEPENDENCE_DAY):
        case = reached(ws, state)

    assert reloaded(ws, case).due_at == due


@pytest.mark.parametrize(
    ("fiscal_year", "due"), [(2026, eod(2027, 1, 10)), (2025, eod(2026, 1, 10))]
)
def test_the_usage_report_is_due_on_10_january_after_the_fiscal_year(ws, fiscal_year, due):
    with clock.frozen(BEFORE_INDEPENDENCE_DAY):
        case = reached(ws, S.AWAITING_REPORT, fiscal_year=fiscal_year)

    assert reloaded(ws, case).due_at == due
    assert due.astimezone(UTC).hour == 15


def test_bulk_usage_report_requests_get_each_cases_own_fiscal_year_deadline(ws):
    with clock.frozen(BEFORE_INDEPENDENCE_DAY):
        this_year = reached(ws, S.DELIVERED, fiscal_year=2026)
        last_year = reached(ws, S.DELIVERED, fiscal_year=2025)
        result = advance_many(
            ws.session,
            [this_year.id, last_year.id],
            "await_usage_report",
            actor=ws.users["manager"],
        )

    assert result.moved == sorted([this_year.id, last_year.id])
    assert reloaded(ws, this_year).due_at == eod(2027, 1, 10)
    assert reloaded(ws, last_year).due_at == eod(2026, 1, 10)


@pytest.mark.parametrize("final", [S.CLOSED, S.REJECTED, S.CANCELLED, S.NON_COMPLIANT])
def test_a_final_state_has_no_deadline(ws, final):
    with clock.frozen(BEFORE_INDEPENDENCE_DAY):
        case = reached(ws, final)

    assert reloaded(ws, case).due_at is None


def test_a_case_past_its_deadline_is_overdue(ws):
    with clock.frozen(BEFORE_INDEPENDENCE_DAY):
        case = reached(ws, S.SUBMITTED)

    assert not case.is_overdue(eod(2026, 8, 24))
    assert case.is_overdue(datetime(2026, 8, 24, 16, 0, tzinfo=UTC))  # 00:00 WITA on the 25th


def test_returning_and_resubmitting_restarts_the_clock(ws):
    with clock.frozen(BEFORE_INDEPENDENCE_DAY):
        case = reached(ws, S.RETURNED)
    with clock.frozen(datetime(2026, 9, 1, 2, 0, tzinfo=UTC)):  # Tuesday
        advance(ws.session, case, "resubmit", actor=ws.users["caseworker"])

    assert reloaded(ws, case).due_at == eod(2026, 9, 8)
