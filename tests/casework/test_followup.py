"""Usage reports (LPJ) and monitoring visits: rules of the services and of the workflow."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casework import clock
from casework.errors import GuardFailed, NotAllowed, ValidationError
from casework.models import BusinessStatus, CaseState, FollowupRule, MonitoringVisit, ReportStatus
from casework.services import followup
from casework.services.demo import SAMPLE_JPEG, SAMPLE_PDF
from tests import factories
from workflows.engine import advance

REASON = "Penggunaan bantuan tidak sesuai rencana usaha."


def lpj(**overrides: object) -> followup.UsageReportInput:
    values: dict[str, object] = {
        "received_on": clock.today_wita(),
        "income_before": 1_200_000,
        "filename": "lpj.pdf",
        "content": SAMPLE_PDF,
        "summary": "Mesin jahit dipakai setiap hari.",
    }
    values.update(overrides)
    return followup.UsageReportInput(**values)  # type: ignore[arg-type]


def visit_input(**overrides: object) -> followup.VisitInput:
    values: dict[str, object] = {
        "visited_on": clock.today_wita(),
        "business_status": "growing",
        "monthly_income": 2_500_000,
        "notes": "Pesanan seragam sekolah bertambah.",
    }
    values.update(overrides)
    return followup.VisitInput(**values)  # type: ignore[arg-type]


@pytest.fixture()
def awaiting(session, users, store):
    return factories.case_in_state(session, users, store, "awaiting_report")


@pytest.fixture()
def monitored(session, users, store):
    return factories.case_in_state(session, users, store, "monitoring")


def test_the_usage_report_is_due_on_10_january_after_the_fiscal_year_by_default(session, awaiting):
    due = followup.usage_report_due_on(session, awaiting)
    assert due == date(awaiting.fiscal_year + 1, 1, 10)
    assert awaiting.due_at.astimezone(clock.WITA).date() == due


def test_a_program_may_set_its_own_usage_report_due_date(session, awaiting):
    session.add(FollowupRule(program_id=awaiting.program_id, report_due_month=2, report_due_day=15))
    session.flush()
    assert followup.usage_report_due_on(session, awaiting) == date(awaiting.fiscal_year + 1, 2, 15)


def test_accepting_the_usage_report_step_is_refused_without_an_accepted_lpj(
    session, users, store, awaiting
):
    with pytest.raises(GuardFailed) as refused:
        advance(session, awaiting, "accept_usage_report", actor=users["verifier"])
    assert refused.value.rule == "usage_report_accepted"
    report = followup.receive_usage_report(
        session, awaiting, lpj(), store=store, actor=users["caseworker"]
    )
    with pytest.raises(GuardFailed):
        advance(session, awaiting, "accept_usage_report", actor=users["verifier"])
    followup.accept_usage_report(session, report, actor=users["verifier"])
    advance(session, awaiting, "accept_usage_report", actor=users["verifier"])
    assert awaiting.state == CaseState.MONITORING


def test_a_sent_back_lpj_needs_a_reason_and_a_new_one_may_then_be_received(
    session, users, store, awaiting
):
    report = followup.receive_usage_report(
        session, awaiting, lpj(), store=store, actor=users["caseworker"]
    )
    with pytest.raises(ValidationError) as refused:
        followup.receive_usage_report(
            session, awaiting, lpj(), store=store, actor=users["caseworker"]
        )
    assert "file" in refused.value.fields
    with pytest.raises(ValidationError) as no_reason:
        followup.send_back_usage_report(session, report, reason="  ", actor=users["verifier"])
    assert "reason" in no_reason.value.fields
    followup.send_back_usage_report(
        session, report, reason="Kuitansi belanja tidak terbaca.", actor=users["verifier"]
    )
    assert report.status == ReportStatus.SENT_BACK
    again = followup.receive_usage_report(
        session, awaiting, lpj(), store=store, actor=users["caseworker"]
    )
    assert again.status == ReportStatus.SUBMITTED
    assert not followup.has_accepted_report(session, awaiting.id)


def test_bad_lpj_input_is_refused_field_by_field_and_nothing_is_written(
    session, users, store, awaiting
):
    tomorrow = clock.today_wita() + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        followup.receive_usage_report(
            session,
            awaiting,
            lpj(received_on=tomorrow, income_before=-1),
            store=store,
            actor=users["caseworker"],
        )
    assert set(refused.value.fields) == {"received_on", "income_before"}
    with pytest.raises(ValidationError) as not_a_document:
        followup.receive_usage_report(
            session, awaiting, lpj(content=b"MZ\x90\x00"), store=store, actor=users["caseworker"]
        )
    assert "file" in not_a_document.value.fields
    assert followup.open_visit_count(session, awaiting.id) == (0, 0)
    assert not followup.has_accepted_report(session, awaiting.id)


def test_only_reviewers_accept_an_lpj_and_only_in_their_region(session, users, store, awaiting):
    report = followup.receive_usage_report(
        session, awaiting, lpj(), store=store, actor=users["caseworker"]
    )
    for who in ("caseworker", "finance", "samarinda_caseworker"):
        with pytest.raises(NotAllowed):
            followup.accept_usage_report(session, report, actor=users[who])
    followup.accept_usage_report(session, report, actor=users["kukar_verifier"])
    assert report.status == ReportStatus.ACCEPTED


def test_entering_monitoring_plans_visits_at_3_6_and_12_months_after_delivery(session, monitored):
    delivered = followup.delivered_on(session, monitored)
    visits = session.query(MonitoringVisit).filter_by(case_id=monitored.id).all()
    assert sorted((v.offset_months, v.due_on) for v in visits) == [
        (3, followup.add_months(delivered, 3)),
        (6, followup.add_months(delivered, 6)),
        (12, followup.add_months(delivered, 12)),
    ]
    assert not any(v.done for v in visits)


def test_the_visit_offsets_come_from_the_program(session, users, store, awaiting):
    session.add(FollowupRule(program_id=awaiting.program_id, visit_offsets="1, 4"))
    session.flush()
    report = followup.receive_usage_report(
        session, awaiting, lpj(), store=store, actor=users["caseworker"]
    )
    followup.accept_usage_report(session, report, actor=users["verifier"])
    advance(session, awaiting, "accept_usage_report", actor=users["verifier"])
    offsets = [v.offset_months for v in followup.open_visits(session, awaiting.id)]
    assert offsets == [1, 4]


def test_add_months_keeps_the_day_or_clamps_to_the_end_of_the_month():
    assert followup.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert followup.add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert followup.add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)


def test_the_case_closes_only_when_the_last_planned_visit_is_done(session, users, store, monitored):
    visits = followup.open_visits(session, monitored.id)
    for visit in visits[:-1]:
        followup.record_visit(session, visit, visit_input(), store=store, actor=users["caseworker"])
    with pytest.raises(GuardFailed) as refused:
        advance(session, monitored, "close", actor=users["manager"])
    assert refused.value.rule == "monitoring_complete"
    assert refused.value.params == {"open": 1, "planned": 3}
    followup.record_visit(
        session,
        visits[-1],
        visit_input(photo=SAMPLE_JPEG, photo_name="usaha.jpg"),
        store=store,
        actor=users["caseworker"],
    )
    assert visits[-1].photo_content_type == "image/jpeg"
    assert store.path(visits[-1].photo_stored_name).read_bytes() == SAMPLE_JPEG
    advance(session, monitored, "close", actor=users["manager"])
    assert monitored.state == CaseState.CLOSED


def test_a_visit_is_recorded_once_with_a_valid_status_and_income(session, users, store, monitored):
    visit = followup.open_visits(session, monitored.id)[0]
    with pytest.raises(ValidationError) as refused:
        followup.record_visit(
            session,
            visit,
            visit_input(business_status="bankrupt", monthly_income=-5, visited_on=None),
            store=store,
            actor=users["caseworker"],
        )
    assert set(refused.value.fields) == {"business_status", "monthly_income", "visited_on"}
    assert not visit.done
    followup.record_visit(
        session,
        visit,
        visit_input(business_status="stopped", monthly_income=0),
        store=store,
        actor=users["caseworker"],
    )
    assert (visit.business_status, visit.monthly_income) == (BusinessStatus.STOPPED, 0)
    assert visit.officer_id == users["caseworker"].id
    with pytest.raises(ValidationError):
        followup.record_visit(session, visit, visit_input(), store=store, actor=users["caseworker"])


def test_a_visit_date_before_the_delivery_is_refused(session, users, store, monitored):
    visit = followup.open_visits(session, monitored.id)[0]
    delivered = followup.delivered_on(session, monitored)
    with pytest.raises(ValidationError) as refused:
        followup.record_visit(
            session,
            visit,
            visit_input(visited_on=delivered - timedelta(days=1)),
            store=store,
            actor=users["caseworker"],
        )
    assert "visited_on" in refused.value.fields


def test_misuse_found_in_monitoring_marks_the_case_non_compliant_with_a_note(
    session, users, monitored
):
    event = advance(session, monitored, "mark_non_compliant", actor=users["manager"], reason=REASON)
    assert monitored.state == CaseState.NON_COMPLIANT
    assert event.reason == REASON


def test_the_demo_path_still_reaches_closed_for_every_program(session, users, store):
    for code in ("KUBE", "WRSE", "UEP"):
        case = factories.case_in_state(session, users, store, "closed", code)
        assert case.state == CaseState.CLOSED
        assert followup.open_visit_count(session, case.id) == (3, 0)
