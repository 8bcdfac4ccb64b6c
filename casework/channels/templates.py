"""Notification text in Bahasa Indonesia from templates/email/<kind>.{subject,body}.txt.

Rendered with jinja2 directly (the domain never imports Flask); state labels come from the
Indonesian catalogue through babel, the same translations the web shows.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from casework.calendar import calendar_for
from casework.clock import WITA, today_wita
from casework.models.case import STATE_LABELS, Case, CaseState
from casework.models.notification import Notification, NotificationKind
from casework.models.person import Person
from casework.models.user import User

ROOT = Path(__file__).resolve().parent.parent.parent
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")  # fmt: skip


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(ROOT / "templates" / "email"),
        autoescape=False,  # plain text mail
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


@lru_cache(maxsize=1)
def _indonesian() -> NullTranslations:
    return Translations.load(str(ROOT / "translations"), ["id"], domain="messages")


def long_date_id(day: date) -> str:
    """``17 Agustus 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def state_label_id(state: str) -> str:
    return _indonesian().gettext(STATE_LABELS[CaseState(state)])


def _recipient_name(session: Session, row: Notification, case: Case) -> str:
    if row.user_id is not None:
        return session.get_one(User, row.user_id).full_name
    person = session.get(Person, case.person_id) if case.person_id else None
    return person.full_name if person is not None else "Bapak/Ibu"


def _overdue_days(session: Session, due: datetime | None) -> int:
    if due is None:
        return 0
    return calendar_for(session).working_days_between(due.astimezone(WITA).date(), today_wita())


def notice_context(session: Session, row: Notification) -> dict[str, Any]:
    """What the templates may use."""
    case = session.get_one(Case, row.case_id)
    due = case.due_at
    return {
        "case_number": case.number,
        "applicant": case.applicant_name,
        "state_label": state_label_id(row.state),
        "due_date": long_date_id(due.astimezone(WITA).date()) if due else "-",
        "recipient_name": _recipient_name(session, row, case),
        "assignee": case.assignee.full_name if case.assignee else None,
        "overdue_days": _overdue_days(session, due),
        "to_recipient": row.user_id is None,
    }


def render_notice(session: Session, row: Notification) -> tuple[str, str]:
    """(subject, body) of the notification, in Bahasa Indonesia."""
    kind = NotificationKind(row.kind).value
    context = notice_context(session, row)
    env = _environment()
    subject = env.get_template(f"{kind}.subject.txt").render(context).strip()
    body = env.get_template(f"{kind}.body.txt").render(context).strip() + "\n"
    return subject, body
