"""The public status of one application, for the beneficiary (no login).

The applicant proves who they are with the case number plus either their birth date or the
last four digits of their NIK (for a KUBE group: those of the group's chair). The answer
reveals as little as it can and still be useful:

- the program, the current step and the next step in plain words, and the due date of
  the current step (the date by which Dinsos should have finished it);
- the applicant's initials only (enough to recognise one's own application, useless to
  someone who guessed a combination); never the full name, NIK, KK, address, village,
  bank account, amount or the reason of a decision (those may hold other people's data or
  be sensitive, and letters carry the amounts that are official);
- the recipient's own letters, each by its verification code (the letter states the
  amounts and decisions in the form that is legally binding).

A wrong combination and an unknown case number give the same ``NotFound``: the page is not
an oracle for which case numbers exist. Rate limiting is the web layer's job.
"""

from __future__ import annotations

import hmac
import importlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.errors import FieldErrors, NotFound
from casework.i18n import N_
from casework.models.case import STATE_LABELS, Case, CaseState
from casework.models.person import GroupRole, Person

NO_MATCH = N_(
    "No application matches this case number and these details. Check both and try again."
)
_NUMBER = re.compile(r"^[A-Z]{2,8}-\d{4}-\d{1,8}$")

S = CaseState

# What the applicant is told about each step: (where the application is, what happens next).
PLAIN_STEPS: dict[CaseState, tuple[str, str | None]] = {
    S.DRAFT: (
        N_("Your application is being prepared by your caseworker (pendamping)."),
        N_("Your caseworker submits the application to Dinas Sosial."),
    ),
    S.SUBMITTED: (
        N_("Your application has been received by Dinas Sosial."),
        N_("An officer checks that your documents are complete."),
    ),
    S.ADMIN_VERIFICATION: (
        N_("Your documents are being checked by the regency officers."),
        N_("Your data is checked against the DTSEN social welfare register."),
    ),
    S.DTSEN_CHECK: (
        N_("Your data is being checked against the DTSEN social welfare register."),
        N_("An officer visits your business for a field assessment."),
    ),
    S.FIELD_ASSESSMENT: (
        N_("An officer is assessing your business plan in the field."),
        N_("The officers decide whether to recommend your application."),
    ),
    S.RECOMMENDED: (
        N_("Your application has been recommended for aid."),
        N_("The application is matched with the available budget."),
    ),
    S.POKIR_REVIEW: (
        N_("Your application is being matched with the available budget."),
        N_("The head of the office decides on your application."),
    ),
    S.APPROVED: (
        N_("Your application has been approved."),
        N_("A decree (SK) naming the recipients is issued."),
    ),
    S.DECREED: (
        N_("You are named in a decree (SK) as a recipient of aid."),
        N_("The goods for your business are procured."),
    ),
    S.PROCUREMENT: (
        N_("The goods for your business are being procured."),
        N_("The goods are handed over to you with a handover record (BAST)."),
    ),
    S.DELIVERED: (
        N_("The aid has been handed over to you."),
        N_("You will be asked for a report on how the aid was used."),
    ),
    S.AWAITING_REPORT: (
        N_("Please submit your report on how the aid was used (LPJ)."),
        N_("Officers visit your business to see how it is doing."),
    ),
    S.MONITORING: (
        N_("Officers are following how your business is doing."),
        N_("The case is closed after the monitoring visits."),
    ),
    S.CLOSED: (N_("Your case is complete. Thank you."), None),
    S.NON_COMPLIANT: (
        N_("Your case was closed because the conditions of the aid were not met."),
        None,
    ),
    S.RETURNED: (
        N_("Your application was returned for corrections."),
        N_("Contact your caseworker (pendamping) to complete the application."),
    ),
    S.REJECTED: (
        N_("Your application was not approved. The letter explains why."),
        None,
    ),
    S.CANCELLED: (N_("Your application was cancelled."), None),
}


@dataclass(frozen=True)
class StatusQuery:
    """What the applicant typed; exactly one of ``birth_date`` and ``nik_last4`` is used."""

    number: str
    birth_date: date | None = None
    nik_last4: str = ""


@dataclass(frozen=True)
class PublicLetter:
    title: str
    """Message id of the letter's kind."""
    number: str
    letter_date: date
    verify_code: str


@dataclass(frozen=True)
class PublicStatus:
    number: str
    program_code: str
    program_name: str
    initials: str
    state: str
    state_label: str
    """Message ids (English, translated by the web layer) from here to ``next_step``."""
    current_step: str
    next_step: str | None
    due_at: datetime | None
    finished: bool
    letters: list[PublicLetter] = field(default_factory=list)


def normalise_number(raw: str) -> str:
    """' wrse-2026-000123 ' -> 'WRSE-2026-000123'."""
    return re.sub(r"\s+", "", raw or "").upper()


def check_query(query: StatusQuery) -> StatusQuery:
    """The query cleaned; ValidationError field by field when malformed (says nothing about
    whether the case exists)."""
    errors = FieldErrors()
    number = normalise_number(query.number)
    digits = (query.nik_last4 or "").strip()
    if not number:
        errors.add("number", N_("Enter the case number."))
    elif not _NUMBER.match(number):
        errors.add("number", N_("A case number looks like WRSE-2026-000123."))
    if query.birth_date is None and not digits:
        errors.add("birth_date", N_("Enter your birth date or the last 4 digits of your NIK."))
    if digits and not (len(digits) == 4 and digits.isdigit()):
        errors.add("nik_last4", N_("Enter exactly the last 4 digits of your NIK."))
    errors.raise_if_any()
    return StatusQuery(number=number, birth_date=query.birth_date, nik_last4=digits)


def public_status(session: Session, query: StatusQuery) -> PublicStatus:
    """The status of the case ``query`` names, or NotFound(NO_MATCH) when the number is
    unknown or the birth date/NIK digits do not match (the same answer for both)."""
    query = check_query(query)
    case = session.scalars(select(Case).where(Case.number == query.number)).first()
    holder = _identity_holder(case) if case is not None else None
    if case is None or holder is None or not _matches(holder, query):
        raise NotFound(NO_MATCH)
    state = CaseState(case.state)
    current, following = PLAIN_STEPS[state]
    return PublicStatus(
        number=case.number,
        program_code=case.program.code,
        program_name=case.program.name,
        initials=initials(case.group.name if case.group is not None else holder.full_name),
        state=state.value,
        state_label=STATE_LABELS[state],
        current_step=current,
        next_step=following,
        due_at=case.due_at if following is not None else None,
        finished=following is None,
        letters=_letters(session, case),
    )


def _identity_holder(case: Case) -> Person | None:
    """Whose birth date or NIK opens the case: the applicant, or a KUBE group's chair."""
    if case.person is not None:
        return case.person
    return case.group.officer(GroupRole.CHAIR) if case.group is not None else None


def _matches(person: Person, query: StatusQuery) -> bool:
    if query.nik_last4:
        return hmac.compare_digest(person.nik[-4:].encode(), query.nik_last4.encode())
    return person.birth_date == query.birth_date


def initials(name: str) -> str:
    """'Siti Rahmawati binti Ali' -> 'S. R. B. A.' (letters only, at most four)."""
    words = [w for w in re.split(r"[\s.\-']+", name) if w and w[0].isalpha()]
    return " ".join(f"{w[0].upper()}." for w in words[:4])


def _letters(session: Session, case: Case) -> list[PublicLetter]:
    """The case's issued, current letters (voided, superseded and unrendered ones are left
    out), once the letters engine (casework.models.letter) is installed."""
    try:
        letter_model: Any = importlib.import_module("casework.models.letter").Letter
        kinds: Any = importlib.import_module("casework.letters.kinds").KINDS
    except (ModuleNotFoundError, AttributeError):
        return []
    rows = session.scalars(
        select(letter_model).where(letter_model.case_id == case.id).order_by(letter_model.id)
    )
    return [
        PublicLetter(
            title=kinds[row.kind].label if row.kind in kinds else row.kind,
            number=row.number,
            letter_date=row.letter_date,
            verify_code=row.verify_code,
        )
        for row in rows
        if row.verification == "valid"
    ]
