"""Reminders and escalation exactly once, through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage as MailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.channels.email import EmailChannel, SmtpSettings
from casework.channels.inbox import InboxChannel
from casework.clock import WITA
from casework.models import CaseState, InboxMessage, Notification
from casework.services.notifications import ReminderSettings, deliver_pending, sweep
from tests import factories
from tests.process_support import free_port

SUBMITTED_AT = datetime(2026, 8, 3, 9, 0, tzinfo=WITA)  # Monday; due Mon 10 Aug (5 days)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[MailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[MailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture()
def smtp_server() -> Iterator[tuple[Mailbox, SmtpSettings]]:
    """A real SMTP server on localhost that keeps what it receives."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, SmtpSettings("127.0.0.1", port, sender="berdaya@test")
    finally:
        controller.stop()


@pytest.fixture()
def deliver(connection: Any, smtp_server: tuple[Mailbox, SmtpSettings]) -> Any:
    """Deliver pending notifications in units of work on the test's connection."""

    @contextmanager
    def unit_of_work() -> Iterator[Session]:
        with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
            yield s
            s.commit()

    email = EmailChannel(smtp_server[1])

    def run() -> int:
        return deliver_pending(
            unit_of_work, lambda s: {"inbox": InboxChannel(s), "email": email}, batch=3
        )

    return run


def _submitted_case(session: Session, users: dict[str, Any], *, assignee: Any = None) -> Any:
    case = factories.make_case(session, users["caseworker"])
    with clock.frozen(SUBMITTED_AT):
        from workflows.engine import advance

        advance(session, case, "submit", actor=users["caseworker"])
    if assignee is not None:
        case.assignee_id = assignee.id
        session.flush()
    return case


def _with_email(session: Session, user: Any, address: str) -> Any:
    user.email = address
    session.flush()
    return user


def _rows(session: Session, **where: Any) -> list[Notification]:
    session.expire_all()
    query = select(Notification).filter_by(**where).order_by(Notification.id)
    return list(session.scalars(query))


def test_due_soon_reminder_goes_to_the_assignee_by_email_and_inbox_once(
    session, users, smtp_server, deliver
):
    mailbox, _ = smtp_server
    verifier = _with_email(session, users["kukar_verifier"], "verif@kukar.test")
    case = _submitted_case(session, users, assignee=verifier)
    with clock.frozen(datetime(2026, 8, 6, 7, 0, tzinfo=WITA)):  # Thu: due in 2 working days
        sweep(session)
        sweep(session)
        session.flush()
        assert deliver() == 2
        assert deliver() == 0
    rows = _rows(session, case_id=case.id)
    assert {(r.kind, r.channel, r.user_id, r.status) for r in rows} == {
        ("due_soon", "inbox", verifier.id, "sent"),
        ("due_soon", "email", verifier.id, "sent"),
    }
    [mail] = mailbox.to("verif@kukar.test")
    assert (
        mail["Subject"].strip()
        == f"[Berdaya] Tenggat {case.number} (Diajukan) jatuh pada 10 Agustus 2026"
    )
    assert "harus diselesaikan paling lambat 10 Agustus 2026" in mail.get_content()
    inbox = session.scalars(select(InboxMessage).where(InboxMessage.user_id == verifier.id)).all()
    assert [m.subject for m in inbox] == [mail["Subject"].strip()]


def test_a_delivery_run_logs_one_info_line_with_its_total_not_one_per_batch(
    session, users, deliver, caplog
):
    verifier = _with_email(session, users["kukar_verifier"], "verif@kukar.test")
    for _ in range(2):
        _submitted_case(session, users, assignee=verifier)
    with clock.frozen(datetime(2026, 8, 6, 7, 0, tzinfo=WITA)):
        sweep(session)
        session.flush()
        with caplog.at_level(logging.INFO, logger="berdaya.notifications"):
            assert deliver() == 4  # two batches of at most three
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert [m for m in lines if "sent" in m] == ["notifications: 4 sent"]


def test_without_an_assignee_the_verifiers_of_the_kabupaten_are_reminded(session, users, deliver):
    case = _submitted_case(session, users)
    with clock.frozen(datetime(2026, 8, 6, 7, 0, tzinfo=WITA)):
        sweep(session)
    recipients = {r.user_id for r in _rows(session, case_id=case.id)}
    # a kabupaten verifier exists for 64.02, so province verifiers and managers are left alone
    assert recipients == {users["kukar_verifier"].id}


def test_the_sweep_reports_as_many_notifications_as_it_wrote_then_none(session, users):
    _submitted_case(session, users)  # unassigned: the kabupaten's verifiers are reminded
    _submitted_case(session, users, assignee=users["kukar_verifier"])
    with clock.frozen(datetime(2026, 8, 14, 7, 0, tzinfo=WITA)):  # overdue and escalated
        written = sweep(session)
        assert sum(sweep(session).values()) == 0
    rows = _rows(session)
    assert sum(written.values()) == len(rows) > 0
    assert written["overdue"] == len([r for r in rows if r.kind == "overdue"])
    assert written["escalation"] == len([r for r in rows if r.kind == "escalation"])


def test_nothing_is_due_soon_a_week_before_the_deadline(session, users):
    case = _submitted_case(session, users)
    with clock.frozen(SUBMITTED_AT + timedelta(hours=1)):
        assert sweep(session)["due_soon"] == 0
    assert _rows(session, case_id=case.id) == []


def test_overdue_then_escalation_to_the_kabupaten_manager_after_three_working_days(
    session, users, smtp_server, deliver
):
    mailbox, _ = smtp_server
    manager = _with_email(session, users["kukar_manager"], "kabid@kukar.test")
    _with_email(session, users["manager"], "kadis@prov.test")
    case = _submitted_case(session, users)
    with clock.frozen(datetime(2026, 8, 11, 7, 0, tzinfo=WITA)):  # Tue: one day late
        sweep(session)
    assert {r.kind for r in _rows(session, case_id=case.id)} == {"overdue"}
    with clock.frozen(datetime(2026, 8, 14, 7, 0, tzinfo=WITA)):  # Fri: 4 working days late
        sweep(session)
        sweep(session)
        deliver()
    escalations = _rows(session, case_id=case.id, kind="escalation")
    assert {(r.user_id, r.channel) for r in escalations} == {
        (manager.id, "inbox"),
        (manager.id, "email"),
    }
    [mail] = mailbox.to("kabid@kukar.test")
    assert (
        mail["Subject"].strip()
        == f"[Berdaya] Eskalasi: berkas {case.number} terlambat 4 hari kerja"
    )
    assert mailbox.to("kadis@prov.test") == []


def test_province_managers_are_escalated_to_where_the_kabupaten_has_none(session, users):
    session.delete(users["kukar_manager"])
    session.flush()
    case = _submitted_case(session, users)
    with clock.frozen(datetime(2026, 8, 14, 7, 0, tzinfo=WITA)):
        sweep(session)
    assert {r.user_id for r in _rows(session, case_id=case.id, kind="escalation")} == {
        users["manager"].id
    }


def test_the_recipient_gets_the_usage_report_reminder_by_email(
    session, users, store, smtp_server, deliver
):
    mailbox, _ = smtp_server
    case = factories.case_in_state(session, users, store, CaseState.AWAITING_REPORT)
    case.person.email = "siti@warga.test"
    session.flush()
    with clock.frozen(datetime(case.fiscal_year + 1, 1, 2, 8, 0, tzinfo=WITA)):
        sweep(session)
        sweep(session)
        deliver()
    [mail] = mailbox.to("siti@warga.test")
    assert "laporan penggunaan bantuan (LPJ)" in mail["Subject"]
    assert f"paling lambat 10 Januari {case.fiscal_year + 1}" in mail.get_content()
    reminders = _rows(session, case_id=case.id, kind="report_reminder")
    assert [(r.channel, r.user_id) for r in reminders] == [("email", None)]


def test_without_a_recipient_email_the_caseworkers_get_an_inbox_note(session, users, store):
    case = factories.case_in_state(session, users, store, CaseState.AWAITING_REPORT)
    with clock.frozen(datetime(case.fiscal_year + 1, 1, 2, 8, 0, tzinfo=WITA)):
        sweep(session)
    reminders = _rows(session, case_id=case.id, kind="report_reminder")
    assert {(r.channel, r.user_id) for r in reminders} == {("inbox", users["kukar_caseworker"].id)}


def test_a_failed_email_stays_pending_and_is_retried_without_duplicates(
    session, users, connection, smtp_server
):
    verifier = _with_email(session, users["kukar_verifier"], "verif@kukar.test")
    _submitted_case(session, users, assignee=verifier)
    unreachable = EmailChannel(SmtpSettings("127.0.0.1", free_port(), timeout=2))

    @contextmanager
    def unit_of_work() -> Iterator[Session]:
        with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
            yield s
            s.commit()

    with clock.frozen(datetime(2026, 8, 6, 7, 0, tzinfo=WITA)):
        sweep(session)
        settings = ReminderSettings(max_attempts=2)
        channels = lambda s: {"inbox": InboxChannel(s), "email": unreachable}  # noqa: E731
        assert deliver_pending(unit_of_work, channels, settings=settings) == 1
    [email] = _rows(session, channel="email")
    assert (email.status, email.attempts) == ("failed", 2)
    assert email.last_error
