"""Reminders are written in the reader's language: a user's ``locale`` (Indonesian by default,
English on request), through a real SMTP server and the in-app inbox; the /lang switch and
"My account" store the choice on the user."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage as MailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.channels.templates import TEMPLATES, language_of, long_date
from casework.clock import WITA
from casework.errors import ValidationError
from casework.models import CaseState, InboxMessage, User
from casework.services.audit import entries_for
from casework.services.notifications import ReminderSettings, sweep
from casework.services.users import LANGUAGES, set_language
from tests import factories
from tests.admin.helpers import login, page_token
from tests.casework import test_notifications as reminders

# The real SMTP server (aiosmtpd) and the delivery of test_notifications.py.
smtp_server = reminders.smtp_server
deliver = reminders.deliver

THURSDAY = datetime(2026, 8, 6, 7, 0, tzinfo=WITA)  # due Mon 10 Aug in 2 working days
TUESDAY = datetime(2026, 8, 11, 7, 0, tzinfo=WITA)  # 1 working day late
FRIDAY = datetime(2026, 8, 14, 7, 0, tzinfo=WITA)  # 4 working days late

# What each language says: subject, then phrases of the body (exact texts, not the catalogue).
DUE_SOON = {
    "en": (
        "[Berdaya] Deadline of {n} (Submitted) falls on 10 August 2026",
        ['is at the step "Submitted" and must be completed by 10 August 2026 (WITA).',
         "Please act on it soon so that it does not miss the deadline.", "Regards,",
         "Berdaya - Social Affairs Office of East Kalimantan Province"],
    ),
    "id": (
        "[Berdaya] Tenggat {n} (Diajukan) jatuh pada 10 Agustus 2026",
        ['sedang berada pada tahap "Diajukan" dan harus diselesaikan paling lambat '
         "10 Agustus 2026 (WITA).", "Mohon segera ditindaklanjuti agar tidak melewati tenggat.",
         "Salam,", "Berdaya - Dinas Sosial Provinsi Kalimantan Timur"],
    ),
}  # fmt: skip
OVERDUE = {
    "en": (
        "[Berdaya] Case {n} is past its deadline (Submitted)",
        ['at the step "Submitted" has passed its deadline of 10 August 2026 (WITA).',
         "If it is not acted on, the case will be escalated to the management."],
    ),
    "id": (
        "[Berdaya] Berkas {n} melewati tenggat (Diajukan)",
        ['pada tahap "Diajukan" telah melewati tenggat 10 Agustus 2026 (WITA).',
         "Bila tidak ditindaklanjuti, berkas ini akan dieskalasi kepada pimpinan."],
    ),
}  # fmt: skip
ESCALATION = {
    "en": (
        "[Berdaya] Escalation: case {n} is 4 working days late",
        ['is 4 working days past its deadline of 10 August 2026 (WITA).',
         "Nobody is assigned to this case yet.", "Please give your direction and follow it up."],
    ),
    "id": (
        "[Berdaya] Eskalasi: berkas {n} terlambat 4 hari kerja",
        ["telah terlambat 4 hari kerja dari tenggat 10 Agustus 2026 (WITA).",
         "Berkas ini belum memiliki petugas.", "Mohon arahan dan tindak lanjut Bapak/Ibu."],
    ),
}  # fmt: skip
REPORT_NOTE = {
    "en": (
        "[Berdaya] Reminder of the report on the use of the aid (LPJ) {n}",
        ["must hand in the report on the use of the aid (LPJ) by 10 January {y} but has no "
         "email address. Please remind the recipient in person."],
    ),
    "id": (
        "[Berdaya] Pengingat laporan penggunaan bantuan (LPJ) {n}",
        ["wajib menyerahkan laporan penggunaan bantuan (LPJ) paling lambat 10 Januari {y}, "
         "namun tidak memiliki alamat email. Mohon ingatkan penerima secara langsung."],
    ),
}  # fmt: skip
GREETING = {"en": "Dear {name},", "id": "Yth. {name},"}


def _reader(session: Session, user: User, locale: str, address: str | None = None) -> User:
    user.locale = locale
    user.email = address
    session.flush()
    return user


def _inbox(session: Session, user: User) -> list[InboxMessage]:
    session.expire_all()
    query = select(InboxMessage).where(InboxMessage.user_id == user.id).order_by(InboxMessage.id)
    return list(session.scalars(query))


def _check_mail(mail: MailMessage, expected: tuple[str, list[str]], name: str, **fmt: Any) -> str:
    subject, phrases = expected
    body = mail.get_content()
    assert mail["Subject"].strip() == subject.format(**fmt)
    for phrase in phrases:
        assert phrase.format(**fmt) in body
    return body


def _check_inbox(message: InboxMessage, mail: MailMessage) -> None:
    """The inbox copy says exactly what the email says."""
    assert message.subject == mail["Subject"].strip()
    assert message.body.strip().splitlines() == mail.get_content().strip().splitlines()


@pytest.mark.parametrize("locale", ["en", "id"])
def test_the_due_soon_reminder_is_in_the_assignees_language_by_email_and_inbox_once(
    session, users, smtp_server, deliver, locale
):
    mailbox, _ = smtp_server
    verifier = _reader(session, users["kukar_verifier"], locale, "verif@kukar.test")
    case = reminders._submitted_case(session, users, assignee=verifier)
    with clock.frozen(THURSDAY):
        sweep(session)
        sweep(session)
        session.flush()
        assert deliver() == 2
        assert deliver() == 0
    [mail] = mailbox.to("verif@kukar.test")
    body = _check_mail(mail, DUE_SOON[locale], verifier.full_name, n=case.number)
    assert body.startswith(GREETING[locale].format(name=verifier.full_name))
    [note] = _inbox(session, verifier)
    _check_inbox(note, mail)


@pytest.mark.parametrize("locale", ["en", "id"])
def test_the_overdue_reminder_is_in_the_assignees_language(
    session, users, smtp_server, deliver, locale
):
    mailbox, _ = smtp_server
    verifier = _reader(session, users["kukar_verifier"], locale, "verif@kukar.test")
    case = reminders._submitted_case(session, users, assignee=verifier)
    with clock.frozen(TUESDAY):
        sweep(session)
        sweep(session)
        deliver()
        assert deliver() == 0
    [mail] = [m for m in mailbox.to("verif@kukar.test") if case.number in m["Subject"]]
    _check_mail(mail, OVERDUE[locale], verifier.full_name, n=case.number)
    [note] = [m for m in _inbox(session, verifier) if m.subject == mail["Subject"].strip()]
    _check_inbox(note, mail)


@pytest.mark.parametrize("locale", ["en", "id"])
def test_the_escalation_is_in_the_managers_language(session, users, smtp_server, deliver, locale):
    mailbox, _ = smtp_server
    manager = _reader(session, users["kukar_manager"], locale, "kabid@kukar.test")
    case = reminders._submitted_case(session, users)
    with clock.frozen(FRIDAY):
        sweep(session)
        sweep(session)
        deliver()
        assert deliver() == 0
    [mail] = mailbox.to("kabid@kukar.test")
    _check_mail(mail, ESCALATION[locale], manager.full_name, n=case.number)
    [note] = _inbox(session, manager)
    _check_inbox(note, mail)


def test_managers_with_different_languages_each_read_their_own(
    session, users, smtp_server, deliver
):
    mailbox, _ = smtp_server
    session.delete(users["kukar_manager"])  # the province managers are escalated to
    other = factories.make_user(session, users["manager"].role)
    kadis = _reader(session, users["manager"], "en", "kadis@prov.test")
    kabid = _reader(session, other, "id", "kabid@prov.test")
    case = reminders._submitted_case(session, users)
    with clock.frozen(FRIDAY):
        sweep(session)
        deliver()
    [english] = mailbox.to(kadis.email or "")
    [indonesian] = mailbox.to(kabid.email or "")
    _check_mail(english, ESCALATION["en"], kadis.full_name, n=case.number)
    _check_mail(indonesian, ESCALATION["id"], kabid.full_name, n=case.number)


def test_one_working_day_late_is_said_in_the_singular_in_english(
    session, users, smtp_server, deliver
):
    mailbox, _ = smtp_server
    manager = _reader(session, users["kukar_manager"], "en", "kabid@kukar.test")
    case = reminders._submitted_case(session, users)
    with clock.frozen(TUESDAY):
        sweep(session, ReminderSettings(escalation_days=1))
        deliver()
    [mail] = mailbox.to(manager.email or "")
    assert (
        mail["Subject"].strip() == f"[Berdaya] Escalation: case {case.number} is 1 working day late"
    )
    assert "is 1 working day past its deadline of 10 August 2026 (WITA)." in mail.get_content()


@pytest.mark.parametrize("locale", ["en", "id"])
def test_the_usage_report_note_is_in_the_caseworkers_language(
    session, users, store, deliver, locale
):
    caseworker = _reader(session, users["kukar_caseworker"], locale)
    case = factories.case_in_state(session, users, store, CaseState.AWAITING_REPORT)
    year = case.fiscal_year + 1
    with clock.frozen(datetime(year, 1, 2, 8, 0, tzinfo=WITA)):
        sweep(session)
        sweep(session)
        assert deliver() == 1
        assert deliver() == 0
    [note] = _inbox(session, caseworker)
    subject, phrases = REPORT_NOTE[locale]
    assert note.subject == subject.format(n=case.number)
    assert note.body.startswith(GREETING[locale].format(name=caseworker.full_name))
    assert phrases[0].format(y=year) in note.body


def test_the_aid_recipient_without_an_account_reads_indonesian(
    session, users, store, smtp_server, deliver
):
    mailbox, _ = smtp_server
    for user in users.values():
        user.locale = "en"
    case = factories.case_in_state(session, users, store, CaseState.AWAITING_REPORT)
    case.person.email = "siti@warga.test"
    session.flush()
    with clock.frozen(datetime(case.fiscal_year + 1, 1, 2, 8, 0, tzinfo=WITA)):
        sweep(session)
        deliver()
    [mail] = mailbox.to("siti@warga.test")
    assert mail["Subject"].strip() == (
        f"[Berdaya] Pengingat laporan penggunaan bantuan (LPJ) {case.number}"
    )
    assert mail.get_content().startswith(f"Yth. {case.person.full_name},")
    assert "Bantuan yang Bapak/Ibu terima melalui berkas" in mail.get_content()


def test_a_user_with_an_unknown_language_reads_indonesian(session, users, smtp_server, deliver):
    mailbox, _ = smtp_server
    verifier = _reader(session, users["kukar_verifier"], "fr", "verif@kukar.test")
    case = reminders._submitted_case(session, users, assignee=verifier)
    with clock.frozen(THURSDAY):
        sweep(session)
        deliver()
    [mail] = mailbox.to("verif@kukar.test")
    _check_mail(mail, DUE_SOON["id"], verifier.full_name, n=case.number)


def test_dates_are_written_in_the_readers_language() -> None:
    assert long_date(datetime(2026, 3, 5).date(), "id") == "5 Maret 2026"
    assert long_date(datetime(2026, 3, 5).date(), "en") == "5 March 2026"
    assert [language_of(x) for x in ("en", "id", "fr", None)] == ["en", "id", "id", "id"]


# --- every word of the email templates is translatable ----------------------------------

_TRANSLATED = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
_WORD = re.compile(r"[A-Za-z]{2,}")


@pytest.mark.parametrize("template", sorted(TEMPLATES.glob("*.txt")), ids=lambda p: p.name)
def test_an_email_template_has_no_text_outside_a_translation(template: Path) -> None:
    bare = _TRANSLATED.sub(" ", template.read_text(encoding="utf-8"))
    assert _WORD.findall(bare) in ([], ["Berdaya"])


def test_every_kind_of_notification_has_a_subject_and_a_body_template() -> None:
    names = {p.name for p in TEMPLATES.glob("*.txt")}
    kinds = ("due_soon", "overdue", "escalation", "report_reminder")
    assert {f"{k}.{part}.txt" for k in kinds for part in ("subject", "body")} <= names


# --- the user's choice ---------------------------------------------------------------------


def test_the_languages_a_user_may_choose_are_those_of_the_screens(app: Flask) -> None:
    assert tuple(app.config["LANGUAGES"]) == LANGUAGES


def test_setting_an_unknown_language_is_refused_field_by_field(session, users) -> None:
    with pytest.raises(ValidationError) as refused:
        set_language(session, users["caseworker"], "fr")
    assert list(refused.value.fields) == ["locale"]
    assert users["caseworker"].locale == "id"


def test_switching_the_language_while_logged_in_is_stored_on_the_user_and_audited(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    caseworker = users["caseworker"]
    login(client, caseworker)
    response = client.get("/lang/en?next=/admin/myaccount/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/myaccount/"
    session.expire_all()
    assert caseworker.locale == "en"
    [entry] = [e for e in entries_for(session, "users", caseworker.id) if e.action == "update"]
    assert (entry.actor_id, entry.changes) == (caseworker.id, {"locale": ["id", "en"]})
    client.get("/lang/id")
    session.expire_all()
    assert caseworker.locale == "id"


def test_switching_the_language_before_login_changes_no_user(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    response = client.get("/lang/en?next=/login")
    assert response.status_code == 302
    session.expire_all()
    assert {u.locale for u in session.scalars(select(User))} == {"id"}


def test_an_unknown_language_in_the_switch_changes_nothing(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    login(client, users["verifier"])
    client.get("/lang/fr")
    session.expire_all()
    assert users["verifier"].locale == "id"


def test_my_account_shows_my_language_and_saves_a_new_choice(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    verifier = users["verifier"]
    login(client, verifier)
    page = client.get("/admin/myaccount/").get_data(as_text=True)
    assert "Bahasa Indonesia" in page and "English" in page
    assert re.search(r'<input[^>]*checked[^>]*value="id"|<input[^>]*value="id"[^>]*checked', page)
    token = page_token(client, "/admin/myaccount/")
    saved = client.post("/admin/myaccount/language", data={"csrf_token": token, "locale": "en"})
    assert saved.status_code == 302
    session.expire_all()
    assert verifier.locale == "en"
    english = client.get("/admin/myaccount/").get_data(as_text=True)
    assert '<html lang="en">' in english and "Saved." in english


def test_my_account_refuses_an_unknown_language_next_to_the_field(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    verifier = users["verifier"]
    login(client, verifier)
    token = page_token(client, "/admin/myaccount/")
    page = client.post("/admin/myaccount/language", data={"csrf_token": token, "locale": "fr"})
    assert page.status_code == 200
    assert "Pilihan tidak valid" in page.get_data(as_text=True)
    session.expire_all()
    assert verifier.locale == "id"
