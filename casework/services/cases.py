"""Opening cases and keeping their details; states move only through workflows.engine."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import Duplicate, FieldErrors, NotFound, ValidationError, VersionConflict
from casework.i18n import N_
from casework.models.case import Case, CaseNumberSequence, CaseState
from casework.models.person import Group, Person
from casework.models.program import ApplicantKind, BusinessType, Program
from casework.models.user import CASEWORK_WRITE_ROLES, User
from casework.services.access import require_region, require_role
from workflows.engine import start

# A case in one of these states does not block a new application of the same applicant.
ENDED_STATES = (CaseState.REJECTED.value, CaseState.CANCELLED.value)
EDITABLE_STATES = (CaseState.DRAFT.value, CaseState.RETURNED.value)


@dataclass
class CaseInput:
    program_id: int
    fiscal_year: int
    business_type_id: int
    person_id: int | None = None
    group_id: int | None = None
    requested_package: str = ""
    requested_amount: int = 0


def next_case_number(session: Session, program_code: str, fiscal_year: int) -> str:
    """The next number for the program and year, e.g. ``WRSE-2026-000123`` (atomic)."""
    row = session.execute(
        update(CaseNumberSequence)
        .where(
            CaseNumberSequence.program_code == program_code,
            CaseNumberSequence.fiscal_year == fiscal_year,
        )
        .values(last_value=CaseNumberSequence.last_value + 1)
        .returning(CaseNumberSequence.last_value)
    ).scalar_one_or_none()
    if row is None:
        session.add(
            CaseNumberSequence(program_code=program_code, fiscal_year=fiscal_year, last_value=1)
        )
        session.flush()
        row = 1
    return f"{program_code}-{fiscal_year}-{row:06d}"


def _validate(
    session: Session, data: CaseInput, errors: FieldErrors
) -> tuple[Program | None, Person | Group | None]:
    program = session.get(Program, data.program_id)
    applicant: Person | Group | None = None
    if program is None or not program.active:
        errors.add("program_id", N_("Choose an active program."))
    elif program.rules_for(data.fiscal_year) is None:
        errors.add(
            "fiscal_year",
            N_("Program %(program)s has no rules for fiscal year %(year)s."),
            program=program.code,
            year=data.fiscal_year,
        )
    if program is not None:
        if program.applicant_kind == ApplicantKind.GROUP:
            applicant = session.get(Group, data.group_id) if data.group_id else None
            if applicant is None:
                errors.add(
                    "group_id",
                    N_("Program %(program)s needs a KUBE group as applicant."),
                    program=program.code,
                )
        else:
            applicant = session.get(Person, data.person_id) if data.person_id else None
            if applicant is None:
                errors.add(
                    "person_id",
                    N_("Program %(program)s needs a person as applicant."),
                    program=program.code,
                )
    business = session.get(BusinessType, data.business_type_id)
    if business is None or not business.active:
        errors.add("business_type_id", N_("Choose an active business type."))
    if data.requested_amount < 0:
        errors.add("requested_amount", N_("The amount cannot be negative."))
    elif (
        program is not None
        and (rules := program.rules_for(data.fiscal_year)) is not None
        and data.requested_amount > rules.unit_value
    ):
        errors.add(
            "requested_amount",
            N_("The amount is above the unit value of Rp%(limit)s."),
            limit=f"{rules.unit_value:,}".replace(",", "."),
        )
    return program, applicant


def open_case(session: Session, data: CaseInput, *, actor: User) -> Case:
    """Open a draft case for an applicant.

    Rules: an active program with rules for the fiscal year; the applicant is a person or a
    KUBE group as the program requires, and lies in the actor's region; an active business
    type; amount between 0 and the unit value; one open case per applicant, program and
    year. The case's region is the applicant's village.
    """
    require_role(actor, CASEWORK_WRITE_ROLES)
    errors = FieldErrors()
    program, applicant = _validate(session, data, errors)
    errors.raise_if_any()
    assert program is not None and applicant is not None
    require_region(actor, applicant.regency_code)
    is_group = isinstance(applicant, Group)
    owner = Case.group_id if is_group else Case.person_id
    existing = session.scalar(
        select(Case).where(
            owner == applicant.id,
            Case.program_id == program.id,
            Case.fiscal_year == data.fiscal_year,
            Case.state.not_in(ENDED_STATES),
        )
    )
    if existing is not None:
        raise Duplicate(
            N_("This applicant already has case %(number)s in this program and year."),
            existing_id=existing.id,
            number=existing.number,
        )
    case = Case(
        number=next_case_number(session, program.code, data.fiscal_year),
        program=program,
        fiscal_year=data.fiscal_year,
        person_id=None if is_group else applicant.id,
        group_id=applicant.id if is_group else None,
        village_code=applicant.village_code,
        regency_code=applicant.regency_code,
        business_type_id=data.business_type_id,
        requested_package=data.requested_package.strip(),
        requested_amount=data.requested_amount,
        created_by_id=actor.id,
        created_at=clock.now(),
    )
    start(case)
    session.add(case)
    session.flush()
    return case


def update_case_details(
    session: Session,
    case: Case,
    *,
    business_type_id: int,
    requested_package: str,
    requested_amount: int,
    actor: User,
    expected_version: int | None = None,
) -> Case:
    """Change what a draft or returned case asks for (never its state)."""
    require_role(actor, CASEWORK_WRITE_ROLES)
    require_region(actor, case.regency_code)
    if case.state not in EDITABLE_STATES:
        raise ValidationError({"state": []}, N_("Only a draft or returned case can be edited."))
    errors = FieldErrors()
    data = CaseInput(
        program_id=case.program_id,
        fiscal_year=case.fiscal_year,
        business_type_id=business_type_id,
        person_id=case.person_id,
        group_id=case.group_id,
        requested_package=requested_package,
        requested_amount=requested_amount,
    )
    _validate(session, data, errors)
    errors.raise_if_any()
    if expected_version is not None and expected_version != case.version:
        raise VersionConflict(N_("The case was changed by someone else. Reload it and try again."))
    case.business_type_id = business_type_id
    case.requested_package = requested_package.strip()
    case.requested_amount = requested_amount
    session.flush()
    return case


def get_case_by_number(session: Session, number: str) -> Case:
    case = session.scalar(select(Case).where(Case.number == number.strip().upper()))
    if case is None:
        raise NotFound()
    return case
