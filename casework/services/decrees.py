"""Decrees (SK): drafted by a manager, issued all-or-nothing, corrected by an SK perubahan."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import (
    Conflict,
    DomainError,
    Duplicate,
    FieldErrors,
    NotFound,
    field_error,
)
from casework.i18n import N_
from casework.models.case import Case, CaseState
from casework.models.decree import (
    Decree,
    DecreeChange,
    DecreeChangeKind,
    DecreeEntry,
    DecreeKind,
    DecreeNumberSequence,
    DecreeSetting,
    DecreeStatus,
)
from casework.models.program import Program
from casework.models.user import Role, User
from casework.services.access import require_role, scoped

MANAGERS = frozenset({Role.MANAGER})
KIND_CODES = {DecreeKind.GOVERNOR: "SK-GUB", DecreeKind.HEAD_OF_OFFICE: "SK-KADIS"}


@dataclass
class DecreeInput:
    program_id: int | None
    fiscal_year: int | None
    title: str
    decree_date: date | None
    signatory_name: str
    signatory_position: str
    signatory_nip: str
    considerations: list[str] = field(default_factory=list)
    legal_basis: list[str] = field(default_factory=list)


def decree_kind_for(session: Session, program_id: int) -> DecreeKind:
    """The program's configured decree kind (SK Kepala Dinas when none is set)."""
    setting = session.scalars(
        select(DecreeSetting).where(DecreeSetting.program_id == program_id)
    ).first()
    return setting.kind if setting is not None else DecreeKind.HEAD_OF_OFFICE


def set_decree_kind(session: Session, program: Program, kind: str, *, actor: User) -> DecreeSetting:
    """Configure which kind of decree fixes the program's recipients (administrators)."""
    require_role(actor, {Role.ADMIN})
    if kind not in {k.value for k in DecreeKind}:
        raise field_error("kind", N_("Choose the kind of decree."))
    setting = session.scalars(
        select(DecreeSetting).where(DecreeSetting.program_id == program.id)
    ).first()
    if setting is None:
        setting = DecreeSetting(program_id=program.id, kind=DecreeKind(kind))
        session.add(setting)
    setting.kind = DecreeKind(kind)
    session.flush()
    return setting


def _texts(values: list[str]) -> list[str]:
    return [v.strip() for v in values if v and v.strip()]


def _check_input(session: Session, data: DecreeInput, *, corrective: bool) -> None:
    errors = FieldErrors()
    if not corrective:
        if data.program_id is None or session.get(Program, data.program_id) is None:
            errors.add("program_id", N_("Choose a program."))
        if data.fiscal_year is None or not 2000 <= data.fiscal_year <= 2100:
            errors.add("fiscal_year", N_("Enter a fiscal year."))
    if not data.title.strip():
        errors.add("title", N_("This field is required."))
    if data.decree_date is None:
        errors.add("decree_date", N_("This field is required."))
    elif data.decree_date > clock.today_wita():
        errors.add("decree_date", N_("The date cannot be in the future."))
    for name in ("signatory_name", "signatory_position"):
        if not getattr(data, name).strip():
            errors.add(name, N_("This field is required."))
    nip = data.signatory_nip.strip()
    if not (len(nip) == 18 and nip.isdigit()):
        errors.add("signatory_nip", N_("A NIP has 18 digits."))
    if not _texts(data.considerations):
        errors.add("considerations", N_("List at least one consideration (menimbang)."))
    if not _texts(data.legal_basis):
        errors.add("legal_basis", N_("List at least one legal basis (mengingat)."))
    errors.raise_if_any()


def _new_decree(data: DecreeInput, actor: User, **values: object) -> Decree:
    assert data.decree_date is not None
    return Decree(
        title=data.title.strip(),
        decree_date=data.decree_date,
        signatory_name=data.signatory_name.strip(),
        signatory_position=data.signatory_position.strip(),
        signatory_nip=data.signatory_nip.strip(),
        considerations=_texts(data.considerations),
        legal_basis=_texts(data.legal_basis),
        status=DecreeStatus.DRAFT.value,
        created_by_id=actor.id,
        created_at=clock.now(),
        **values,
    )


def create_decree(session: Session, data: DecreeInput, *, actor: User) -> Decree:
    """A manager drafts a decree for one program and fiscal year; its kind is the program's."""
    require_role(actor, MANAGERS)
    _check_input(session, data, corrective=False)
    assert data.program_id is not None
    decree = _new_decree(
        data,
        actor,
        program_id=data.program_id,
        fiscal_year=data.fiscal_year,
        kind=decree_kind_for(session, data.program_id),
    )
    session.add(decree)
    session.flush()
    return decree


def _require_draft(decree: Decree, actor: User) -> None:
    require_role(actor, MANAGERS)
    if not decree.is_draft:
        raise Conflict(N_("An issued decree cannot be changed."))


def add_cases(session: Session, decree: Decree, case_ids: Iterable[int], *, actor: User) -> int:
    """List approved cases of the decree's program and year in a draft decree.

    Every id must be a case the actor's region covers, in state approved, of the decree's
    program and fiscal year, not yet in an issued decree; otherwise nothing is added.
    """
    _require_draft(decree, actor)
    if decree.corrects_id is not None:
        raise Conflict(N_("A corrective decree lists changes, not new recipients."))
    ids = sorted(set(case_ids))
    cases = _scoped_cases(session, ids, actor)
    listed = set(
        session.scalars(select(DecreeEntry.case_id).where(DecreeEntry.decree_id == decree.id))
    )
    issued = _issued_case_ids(session, ids)
    errors = FieldErrors()
    for case_id in ids:
        case = cases.get(case_id)
        if case is None:
            errors.add("case_ids", N_("Case %(id)s was not found."), id=case_id)
        elif case.state != CaseState.APPROVED.value:
            errors.add("case_ids", N_("Case %(number)s is not approved."), number=case.number)
        elif (case.program_id, case.fiscal_year) != (decree.program_id, decree.fiscal_year):
            errors.add(
                "case_ids",
                N_("Case %(number)s belongs to another program or fiscal year."),
                number=case.number,
            )
        elif case_id in issued:
            errors.add(
                "case_ids",
                N_("Case %(number)s is already in an issued decree."),
                number=case.number,
            )
    if not ids:
        errors.add("case_ids", N_("Choose at least one case."))
    errors.raise_if_any()
    new = [i for i in ids if i not in listed]
    session.add_all(
        DecreeEntry(decree_id=decree.id, case_id=i, amount=cases[i].requested_amount) for i in new
    )
    session.flush()
    session.expire(decree, ["entries"])
    return len(new)


def _scoped_cases(session: Session, ids: list[int], actor: User) -> dict[int, Case]:
    found: dict[int, Case] = {}
    for start in range(0, len(ids), 500):
        stmt = scoped(select(Case).where(Case.id.in_(ids[start : start + 500])), Case, actor)
        found.update((c.id, c) for c in session.scalars(stmt))
    return found


def _issued_case_ids(session: Session, ids: list[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        stmt = select(DecreeEntry.issued_case_id).where(
            DecreeEntry.issued_case_id.in_(ids[start : start + 500])
        )
        found.update(i for i in session.scalars(stmt) if i is not None)
    return found


def remove_cases(session: Session, decree: Decree, case_ids: Iterable[int], *, actor: User) -> int:
    """Take cases off a draft decree; returns how many were listed."""
    _require_draft(decree, actor)
    ids = set(case_ids)
    entries = [e for e in decree.entries if e.case_id in ids]
    for entry in entries:
        decree.entries.remove(entry)
    session.flush()
    return len(entries)


def _next_number(session: Session, decree: Decree) -> str:
    """The next number of the decree's kind and year; rolled back with a failed issue."""
    year = decree.decree_date.year
    kind = decree.kind.value
    sequence = session.scalars(
        select(DecreeNumberSequence)
        .where(DecreeNumberSequence.kind == kind, DecreeNumberSequence.year == year)
        .with_for_update()
    ).first()
    if sequence is None:
        sequence = DecreeNumberSequence(kind=kind, year=year, last_value=0)
        session.add(sequence)
    sequence.last_value += 1
    session.flush()
    template = (
        session.scalars(
            select(DecreeSetting.number_template).where(
                DecreeSetting.program_id == decree.program_id
            )
        ).first()
        or "{seq}/{kind}/DINSOS/{year}"
    )
    return template.format(
        seq=f"{sequence.last_value:03d}", kind=KIND_CODES[decree.kind], year=year
    )


class DecreeRefused(DomainError):
    """Issuing was refused because some listed cases could not move; nothing was written."""

    code = "decree_refused"
    status = 409

    def __init__(self, refused: dict[int, DomainError]) -> None:
        self.refused = refused
        super().__init__(
            N_("%(count)s listed cases could not be decreed; nothing was issued."),
            count=len(refused),
        )


def issue_decree(session: Session, decree: Decree, *, actor: User) -> Decree:
    """Issue a draft decree: number it and move every listed case in ONE all-or-nothing step.

    A refused case, or any failure on the way, rolls back every move and the number.
    """
    _require_draft(decree, actor)
    if decree.corrects_id is None and not decree.entries:
        raise field_error("case_ids", N_("The decree lists no cases."))
    if decree.corrects_id is not None and not decree.changes:
        raise field_error("changes", N_("The corrective decree lists no changes."))
    savepoint = session.begin_nested()
    try:
        _issue(session, decree, actor)
    except IntegrityError as exc:
        savepoint.rollback()
        raise Duplicate(N_("A listed case is already in an issued decree.")) from exc
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return decree


def _issue(session: Session, decree: Decree, actor: User) -> None:
    from casework.letters.decree import issue_decree_letter
    from workflows.engine import advance_many

    number = _next_number(session, decree)
    if decree.corrects_id is None:
        ids = [e.case_id for e in decree.entries]
        result = advance_many(session, ids, "decree", actor=actor)
        if result.refused:
            raise DecreeRefused(result.refused)
        session.execute(
            update(DecreeEntry)
            .where(DecreeEntry.decree_id == decree.id)
            .values(issued_case_id=DecreeEntry.case_id)
            .execution_options(synchronize_session=False)
        )
    else:
        _apply_corrections(session, decree, number, actor)
    decree.number = number
    decree.status = DecreeStatus.ISSUED.value
    decree.issued_at = clock.now()
    decree.issued_by_id = actor.id
    session.flush()
    issue_decree_letter(session, decree, actor=actor)  # the SK, rendered after commit
    session.expire(decree, ["entries"])


def create_corrective_decree(
    session: Session, original: Decree, data: DecreeInput, *, actor: User
) -> Decree:
    """Draft an SK perubahan of an issued decree (same program, year and kind)."""
    require_role(actor, MANAGERS)
    if original.is_draft:
        raise Conflict(N_("Only an issued decree can be corrected."))
    _check_input(session, data, corrective=True)
    decree = _new_decree(
        data,
        actor,
        program_id=original.program_id,
        fiscal_year=original.fiscal_year,
        kind=original.kind,
        corrects_id=original.id,
    )
    session.add(decree)
    session.flush()
    return decree


def add_correction(
    session: Session,
    corrective: Decree,
    case_id: int,
    *,
    remove: bool,
    new_amount: int | None,
    reason: str,
    actor: User,
) -> DecreeChange:
    """List one change in a draft corrective decree: remove the recipient or correct the amount."""
    _require_draft(corrective, actor)
    if corrective.corrects_id is None:
        raise Conflict(N_("Only a corrective decree lists changes."))
    entry = _original_entry(session, corrective, case_id, actor)
    errors = FieldErrors()
    if not reason.strip():
        errors.add("reason", N_("A reason is required for this action."))
    if not remove and new_amount is None:
        errors.add("new_amount", N_("Remove the recipient or give the corrected amount."))
    if new_amount is not None and new_amount < 0:
        errors.add("new_amount", N_("The amount cannot be negative."))
    if any(c.case_id == case_id for c in corrective.changes):
        errors.add("case_id", N_("This case already has a change in this decree."))
    errors.raise_if_any()
    change = DecreeChange(
        case_id=case_id,
        kind=DecreeChangeKind.REMOVE if remove else DecreeChangeKind.AMOUNT,
        old_amount=entry.amount,
        new_amount=None if remove else new_amount,
        reason=reason.strip(),
    )
    corrective.changes.append(change)
    session.flush()
    return change


def _original_entry(session: Session, corrective: Decree, case_id: int, actor: User) -> DecreeEntry:
    entry = session.scalars(
        select(DecreeEntry).where(
            DecreeEntry.decree_id == corrective.corrects_id,
            DecreeEntry.case_id == case_id,
            DecreeEntry.revoked.is_(False),
        )
    ).first()
    if entry is None or not actor.covers(entry.case.regency_code):
        raise field_error("case_id", N_("The case is not a recipient of the original decree."))
    return entry


def _apply_corrections(session: Session, decree: Decree, number: str, actor: User) -> None:
    from workflows.engine import advance

    for change in decree.changes:
        entry = _original_entry(session, decree, change.case_id, actor)
        if change.kind == DecreeChangeKind.REMOVE:
            reason = f"{number}: {change.reason}"
            advance(session, entry.case, "revoke_by_corrective_decree", actor=actor, reason=reason)
            entry.revoked = True
        else:
            assert change.new_amount is not None
            entry.amount = change.new_amount
            entry.case.requested_amount = change.new_amount
    session.flush()


def issued_entry_for(session: Session, case_id: int) -> DecreeEntry | None:
    """The entry of the issued decree that lists the case, if any."""
    return session.scalars(select(DecreeEntry).where(DecreeEntry.issued_case_id == case_id)).first()


def candidate_cases(decree: Decree, actor: User) -> Select[Any]:
    """Approved cases the draft decree could list: its program and year, the actor's region,
    not listed in it yet and not in an issued decree; oldest first."""
    listed = select(DecreeEntry.case_id).where(DecreeEntry.decree_id == decree.id)
    issued = select(DecreeEntry.issued_case_id).where(DecreeEntry.issued_case_id.is_not(None))
    stmt = select(Case).where(
        Case.state == CaseState.APPROVED.value,
        Case.program_id == decree.program_id,
        Case.fiscal_year == decree.fiscal_year,
        Case.id.not_in(listed),
        Case.id.not_in(issued),
    )
    return scoped(stmt, Case, actor).order_by(Case.id)


def get_decree(session: Session, decree_id: int) -> Decree:
    decree = session.get(Decree, decree_id)
    if decree is None:
        raise NotFound()
    return decree
