"""Budget lines and commitments: approval commits, rejection releases, delivery realises."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from casework.errors import GuardFailed, ValidationError
from casework.models import Case, Commitment
from casework.services.budget import (
    BudgetLineInput,
    budget_usage,
    create_budget_line,
    pokir_usage,
    year_end,
    year_end_text,
)
from casework.services.demo import prepare_for
from casework.services.pokir import link_case_to_pokir
from tests import factories
from tests.casework.test_pokir import make_budget_line, make_pokir_line
from workflows.engine import advance

REASON = "Alasan tertulis."


@pytest.fixture()
def review(session, users, store):
    """Make cases in pokir review linked to one pokir line: ``review(n, **line)``."""

    def make(count: int, **line_changes: object) -> tuple[list[Case], object]:
        line = make_pokir_line(session, users["manager"], **line_changes)
        cases = []
        for _ in range(count):
            case = factories.case_in_state(session, users, store, "pokir_review")
            link_case_to_pokir(session, case, line, users["manager"])
            cases.append(case)
        return cases, line

    return make


def approve(session, users, case):
    return advance(session, case, "approve", actor=users["manager"])


def commitments(session, case):
    return list(session.scalars(select(Commitment).where(Commitment.case_id == case.id)))


def test_approving_commits_one_quota_unit_and_the_amount(session, users, review):
    (case,), line = review(1)
    approve(session, users, case)
    [commitment] = commitments(session, case)
    assert (commitment.status, commitment.amount) == ("committed", case.requested_amount)
    assert (commitment.pokir_line_id, commitment.budget_line_id) == (line.id, line.budget_line_id)
    assert commitment.committed_by_id == users["manager"].id
    usage = pokir_usage(session, line.id)
    assert (usage.recipients, usage.committed, usage.realised) == (1, case.requested_amount, 0)


@pytest.mark.parametrize("trigger", ["reject", "cancel", "return_for_revision"])
def test_leaving_approved_releases_the_commitment(session, users, review, trigger):
    (case,), line = review(1)
    approve(session, users, case)
    advance(session, case, trigger, actor=users["manager"], reason=REASON)
    [commitment] = commitments(session, case)
    assert commitment.status == "released"
    assert commitment.released_by_id == users["manager"].id
    assert pokir_usage(session, line.id).recipients == 0
    assert budget_usage(session, line.budget_line_id).open_amount == 0


def test_a_returned_case_approved_again_commits_once_more(session, users, store, review):
    (case,), line = review(1)
    approve(session, users, case)
    advance(session, case, "return_for_revision", actor=users["manager"], reason=REASON)
    for trigger in ("resubmit", "start_verification", "pass_admin_verification", "confirm_dtsen"):
        prepare_for(session, case, trigger, actor=users["manager"], store=store)
        advance(session, case, trigger, actor=users["manager"])
    for trigger in ("recommend", "send_to_pokir_review", "approve"):
        prepare_for(session, case, trigger, actor=users["manager"], store=store)
        advance(session, case, trigger, actor=users["manager"])
    assert sorted(c.status for c in commitments(session, case)) == ["committed", "released"]
    assert pokir_usage(session, line.id).recipients == 1


def test_rejecting_before_approval_touches_no_commitment(session, users, review):
    (case,), _ = review(1)
    advance(session, case, "reject", actor=users["manager"], reason=REASON)
    assert commitments(session, case) == []


def test_the_ledger_sums_committed_released_and_realised(session, users, store, review):
    cases, line = review(3)
    for case in cases:
        approve(session, users, case)
    advance(session, cases[0], "reject", actor=users["manager"], reason=REASON)
    delivered = cases[1]
    for trigger in ("decree", "start_procurement", "record_delivery"):
        prepare_for(session, delivered, trigger, actor=users["manager"], store=store)
        advance(session, delivered, trigger, actor=users["manager"])
    usage = pokir_usage(session, line.id)
    assert usage.recipients == 2
    assert usage.committed == cases[2].requested_amount
    assert usage.realised == delivered.requested_amount
    assert [c.status for c in commitments(session, delivered)] == ["realised"]
    budget = budget_usage(session, line.budget_line_id)
    assert budget.open_amount == cases[1].requested_amount + cases[2].requested_amount


def test_approval_is_refused_when_the_quota_is_full(session, users, review):
    cases, line = review(3, quota=2)
    approve(session, users, cases[0])
    approve(session, users, cases[1])
    with pytest.raises(GuardFailed) as refused:
        approve(session, users, cases[2])
    assert refused.value.status == 422
    assert "is full: 2 of 2 recipients" in str(refused.value)
    session.expire_all()
    assert session.get(Case, cases[2].id).state == "pokir_review"
    assert commitments(session, cases[2]) == []
    assert pokir_usage(session, line.id).recipients == 2


def test_approval_is_refused_when_the_pokir_ceiling_would_be_exceeded(session, users, review):
    cases, line = review(2)
    amount = cases[0].requested_amount
    line.ceiling = amount + amount // 2
    session.flush()
    approve(session, users, cases[0])
    with pytest.raises(GuardFailed) as refused:
        approve(session, users, cases[1])
    assert "exceeds what is left of pokir line" in str(refused.value)
    assert pokir_usage(session, line.id).open_amount == amount


def test_approval_is_refused_when_the_budget_ceiling_would_be_exceeded(session, users, review):
    budget = make_budget_line(session, users["manager"], ceiling=1_000_000)
    (case,), _ = review(1, budget=budget)
    with pytest.raises(GuardFailed) as refused:
        approve(session, users, case)
    assert "budget line's ceiling (Rp1.000.000)" in str(refused.value)
    assert commitments(session, case) == []


def test_approval_is_refused_without_a_pokir_line(session, users, store):
    case = factories.case_in_state(session, users, store, "pokir_review")
    case.pokir_line_id = None
    session.flush()
    with pytest.raises(GuardFailed) as refused:
        approve(session, users, case)
    assert refused.value.rule == "pokir_line_valid"


@pytest.mark.parametrize(
    ("changes", "state", "message"),
    [
        ({}, "validated_tapd", "is not in the APBD"),
        ({"program_code": "UEP"}, "in_apbd", "another program or fiscal year"),
        ({"fiscal_year": 2031}, "in_apbd", "another program or fiscal year"),
        ({"regency_code": "64.72"}, "in_apbd", "does not cover the case's region"),
    ],
    ids=["not_in_apbd", "wrong_program", "wrong_year", "wrong_region"],
)
def test_approval_is_refused_when_the_linked_line_cannot_fund_the_case(
    session, users, store, changes, state, message
):
    """A link that no longer fits (data changed behind it) is caught at approval."""
    case = factories.case_in_state(session, users, store, "pokir_review")
    line = make_pokir_line(session, users["manager"], state=state, **changes)
    case.pokir_line_id = line.id
    session.flush()
    with pytest.raises(GuardFailed) as refused:
        approve(session, users, case)
    assert message in str(refused.value)
    assert commitments(session, case) == []


def test_a_case_has_at_most_one_open_commitment_in_the_database(session, users, review):
    (case,), line = review(1)
    approve(session, users, case)
    session.add(
        Commitment(
            case_id=case.id,
            pokir_line_id=line.id,
            budget_line_id=line.budget_line_id,
            amount=1,
            status="committed",
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ceiling": 0}, "ceiling"),
        ({"ceiling": -5}, "ceiling"),
        ({"version": "tambahan"}, "version"),
        ({"account_code": " "}, "account_code"),
        ({"program_id": 999_999}, "program_id"),
    ],
)
def test_a_budget_line_with_a_bad_field_is_refused(session, users, changes, field):
    data = BudgetLineInput(
        fiscal_year=2026,
        program_id=factories.program(session, "WRSE").id,
        sub_activity_code="1.06.04.2.01.0001",
        account_code="5.4.02.05.01.0001",
        ceiling=1_000_000,
    )
    for key, value in changes.items():
        setattr(data, key, value)
    with pytest.raises(ValidationError) as refused:
        create_budget_line(session, data, actor=users["manager"])
    assert field in refused.value.fields


def test_year_end_lists_open_commitments_and_lapsing_remainders(session, users, review):
    cases, line = review(2)
    approve(session, users, cases[0])
    report = year_end(session, line.fiscal_year)
    assert [c.case_id for c in report.open_commitments] == [cases[0].id]
    [pokir_row] = [r for r in report.lines if r.kind == "pokir" and line.sipd_ref in r.label]
    assert pokir_row.lapsing == line.ceiling - cases[0].requested_amount
    budget_rows = [r for r in report.lines if r.kind == "budget"]
    assert sum(r.lapsing for r in budget_rows) == report.total_lapsing
    assert line.sipd_ref in year_end_text(report)
