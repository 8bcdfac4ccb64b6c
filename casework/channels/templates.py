"""Notification text from templates/email/<kind>.{subject,body}.txt, in the reader's language.

The templates hold English msgids in ``{% trans %}`` blocks; jinja2's i18n extension renders
them through the same "messages" catalogue the web shows (the domain never imports Flask).
One jinja2 environment per language, cached. A staff member reads their ``User.locale``; an
aid recipient (a Person, who has no account) and any unknown language get Bahasa Indonesia.
State labels and dates follow the same language (dates through babel.dates).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from casework.calendar import calendar_for
from casework.clock import WITA, today_wita
from casework.i18n import N_
from casework.models.case import STATE_LABELS, Case, CaseState
from casework.models.notification import Notification, NotificationKind
from casework.models.person import Person
from casework.models.user import User
from casework.services.users import DEFAULT_LANGUAGE, LANGUAGES

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = ROOT / "templates" / "email"
TRANSLATIONS = ROOT / "translations"
# How the reader is addressed when no name is known (a case without a person).
ANONYMOUS_RECIPIENT = N_("Sir/Madam")


def language_of(locale: str | None) -> str:
    """The language a reader with ``locale`` gets: theirs if the app speaks it, else Indonesian."""
    return locale if locale in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> NullTranslations:
    """The "messages" catalogue of ``language`` (English, the msgids, has none)."""
    return Translations.load(str(TRANSLATIONS), [language], domain="messages")


@lru_cache(maxsize=len(LANGUAGES))
def environment(language: str) -> Environment:
    """The jinja2 environment rendering the email templates in ``language``."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,  # plain text mail
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def long_date(day: date, language: str) -> str:
    """``17 Agustus 2026`` in Indonesian, ``17 August 2026`` in English."""
    return format_date(day, "d MMMM yyyy", locale=language)


def state_label(state: str, language: str) -> str:
    return translations(language).gettext(STATE_LABELS[CaseState(state)])


def _recipient(session: Session, row: Notification, case: Case) -> tuple[str | None, str]:
    """(name, language) of whoever reads the notification; None when nobody is named."""
    if row.user_id is not None:
        user = session.get_one(User, row.user_id)
        return user.full_name, language_of(user.locale)
    person = session.get(Person, case.person_id) if case.person_id else None
    return (person.full_name if person is not None else None), DEFAULT_LANGUAGE


def _overdue_days(session: Session, due: datetime | None) -> int:
    if due is None:
        return 0
    return calendar_for(session).working_days_between(due.astimezone(WITA).date(), today_wita())


def notice_language(session: Session, row: Notification) -> str:
    """The language the notification is written in."""
    return _recipient(session, row, session.get_one(Case, row.case_id))[1]


def notice_context(session: Session, row: Notification) -> dict[str, Any]:
    """What the templates may use, in the reader's language (``language`` included)."""
    case = session.get_one(Case, row.case_id)
    due = case.due_at
    name, language = _recipient(session, row, case)
    return {
        "language": language,
        "case_number": case.number,
        "applicant": case.applicant_name,
        "state_label": state_label(row.state, language),
        "due_date": long_date(due.astimezone(WITA).date(), language) if due else "-",
        "recipient_name": name or translations(language).gettext(ANONYMOUS_RECIPIENT),
        "assignee": case.assignee.full_name if case.assignee else None,
        "overdue_days": _overdue_days(session, due),
        "to_recipient": row.user_id is None,
    }


def render_notice(session: Session, row: Notification) -> tuple[str, str]:
    """(subject, body) of the notification in its reader's language."""
    kind = NotificationKind(row.kind).value
    context = notice_context(session, row)
    env = environment(context["language"])
    subject = env.get_template(f"{kind}.subject.txt").render(context).strip()
    body = env.get_template(f"{kind}.body.txt").render(context).strip() + "\n"
    return subject, body
