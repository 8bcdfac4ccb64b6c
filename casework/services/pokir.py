"""The pokir register: DPRD members, pokir lines, their lifecycle and links to cases.

A pokir line's state moves only through workflows/records.py (``advance_pokir``).
Who may do what: administrators and managers keep the register, enter the lines the DPRD
secretariat (Setwan) sends and record every step; the DPRD liaison reads the register
and its aggregates but writes nothing (as everywhere in Berdaya); every staff role may
read the register.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

import workflows.pokir  # noqa: F401  (registers the pokir line workflow with the records engine)
from casework import clock
from casework.errors import FieldErrors, NotFound, ValidationError, VersionConflict, field_error
from casework.i18n import N_
from casework.models.budget import BudgetLine
from casework.models.case import Case, CaseState
from casework.models.pokir import DprdMember, PokirEvent, PokirLine, PokirState
from casework.models.program import Program
from casework.models.region import Region, RegionLevel
from casework.models.user import Role, User
from casework.services.access import require_region, require_role
from casework.services.budget import pokir_mismatch
from workflows.records import advance_record

REGISTER_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
ENTRY_ROLES = REGISTER_ROLES
LINK_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.CASEWORKER})
# A line can be edited until TAPD validates it; its budget line until it is in the APBD.
EDITABLE_STATES: tuple[str, ...] = (
    PokirState.INPUT.value,
    PokirState.VERIFIED_SETWAN.value,
    PokirState.VALIDATED_BAPPEDA.value,
    PokirState.VALIDATED_OPD.value,
)
BUDGET_EDITABLE_STATES = (*EDITABLE_STATES, PokirState.VALIDATED_TAPD.value)
# A case may be linked to (or moved to another) pokir line until it is approved.
LINKABLE_CASE_STATES = tuple(
    s.value
    for s in (
        CaseState.DRAFT,
        CaseState.SUBMITTED,
        CaseState.ADMIN_VERIFICATION,
        CaseState.DTSEN_CHECK,
        CaseState.FIELD_ASSESSMENT,
        CaseState.RECOMMENDED,
        CaseState.POKIR_REVIEW,
        CaseState.RETURNED,
    )
)


# --- DPRD members -------------------------------------------------------------------------


@dataclass
class MemberInput:
    name: str
    fraksi: str
    dapil: str
    komisi: str = ""


def create_member(session: Session, data: MemberInput, *, actor: User) -> DprdMember:
    """A DPRD member: name, fraksi and dapil are required, komisi optional."""
    require_role(actor, REGISTER_ROLES)
    errors = FieldErrors()
    for name in ("name", "fraksi", "dapil"):
        if not getattr(data, name).strip():
            errors.add(name, N_("This field is required."))
    errors.raise_if_any()
    member = DprdMember(
        name=data.name.strip(),
        fraksi=data.fraksi.strip(),
        dapil=data.dapil.strip(),
        komisi=data.komisi.strip(),
    )
    session.add(member)
    session.flush()
    return member


# --- pokir lines --------------------------------------------------------------------------


@dataclass
class PokirInput:
    fiscal_year: int
    member_id: int
    sipd_ref: str
    program_id: int
    regency_code: str
    quota: int
    ceiling: int
    reses_date: date
    district_code: str | None = None
    village_code: str | None = None
    proposal: str = ""
    budget_line_id: int | None = None


def _region(session: Session, code: str | None, level: RegionLevel) -> Region | None:
    region = session.get(Region, code) if code else None
    return region if region is not None and region.level == level else None


def _validate_regions(session: Session, data: PokirInput, errors: FieldErrors) -> None:
    regency = _region(session, data.regency_code, RegionLevel.REGENCY)
    if regency is None:
        errors.add("regency_code", N_("Choose a kabupaten/kota."))
    district = _region(session, data.district_code, RegionLevel.DISTRICT)
    if data.district_code and district is None:
        errors.add("district_code", N_("Choose a kecamatan."))
    elif district is not None and regency is not None and district.parent_code != regency.code:
        errors.add("district_code", N_("The kecamatan does not lie in the kabupaten/kota."))
    village = _region(session, data.village_code, RegionLevel.VILLAGE)
    if data.village_code and village is None:
        errors.add("village_code", N_("Choose a desa/kelurahan."))
    elif village is not None and district is None:
        errors.add("district_code", N_("Choose the kecamatan of the desa/kelurahan."))
    elif village is not None and district is not None and village.parent_code != district.code:
        errors.add("village_code", N_("The desa/kelurahan does not lie in the kecamatan."))


def _validate_budget_line(
    session: Session, data: PokirInput, errors: FieldErrors, *, program: Program | None
) -> None:
    if data.budget_line_id is None:
        return
    budget = session.get(BudgetLine, data.budget_line_id)
    if budget is None:
        errors.add("budget_line_id", N_("Choose a budget line."))
    elif program is not None and (
        budget.program_id != program.id or budget.fiscal_year != data.fiscal_year
    ):
        errors.add(
            "budget_line_id", N_("The budget line belongs to another program or fiscal year.")
        )


def _validate(
    session: Session, data: PokirInput, errors: FieldErrors, *, line_id: int | None = None
) -> None:
    if not 2000 <= data.fiscal_year <= 2100:
        errors.add("fiscal_year", N_("Enter a fiscal year between 2000 and 2100."))
    member = session.get(DprdMember, data.member_id)
    if member is None or not member.active:
        errors.add("member_id", N_("Choose an active DPRD member."))
    ref = data.sipd_ref.strip()
    if not ref:
        errors.add("sipd_ref", N_("Enter the SIPD reference."))
    elif (
        session.scalar(
            select(PokirLine.id).where(
                PokirLine.fiscal_year == data.fiscal_year,
                PokirLine.sipd_ref == ref,
                PokirLine.id != (line_id or 0),
            )
        )
        is not None
    ):
        errors.add("sipd_ref", N_("This SIPD reference is already used in this fiscal year."))
    program = session.get(Program, data.program_id)
    if program is None:
        errors.add("program_id", N_("Choose a program."))
    _validate_regions(session, data, errors)
    if data.quota <= 0:
        errors.add("quota", N_("The quota must be at least one recipient."))
    if data.ceiling <= 0:
        errors.add("ceiling", N_("The ceiling must be more than zero."))
    if data.reses_date > clock.today_wita():
        errors.add("reses_date", N_("The reses date cannot be in the future."))
    _validate_budget_line(session, data, errors, program=program)


def _apply(line: PokirLine, data: PokirInput) -> None:
    line.fiscal_year = data.fiscal_year
    line.member_id = data.member_id
    line.sipd_ref = data.sipd_ref.strip()
    line.program_id = data.program_id
    line.regency_code = data.regency_code
    line.district_code = data.district_code or None
    line.village_code = data.village_code or None
    line.quota = data.quota
    line.ceiling = data.ceiling
    line.reses_date = data.reses_date
    line.proposal = data.proposal.strip()
    line.budget_line_id = data.budget_line_id


def create_pokir_line(session: Session, data: PokirInput, *, actor: User) -> PokirLine:
    """A pokir line in state ``input``; every field checked, all errors at once."""
    require_role(actor, ENTRY_ROLES)
    errors = FieldErrors()
    _validate(session, data, errors)
    errors.raise_if_any()
    require_region(actor, data.regency_code)
    line = PokirLine(created_by_id=actor.id, created_at=clock.now())
    _apply(line, data)
    session.add(line)
    session.flush()
    return line


def update_pokir_line(
    session: Session, line: PokirLine, data: PokirInput, *, actor: User
) -> PokirLine:
    """Change a line before TAPD validates it."""
    require_role(actor, ENTRY_ROLES)
    require_region(actor, line.regency_code)
    if line.state not in EDITABLE_STATES:
        raise ValidationError(
            {"state": []}, N_("A pokir line cannot be changed once TAPD has validated it.")
        )
    errors = FieldErrors()
    _validate(session, data, errors, line_id=line.id)
    errors.raise_if_any()
    _apply(line, data)
    session.flush()
    return line


def assign_budget_line(
    session: Session, line: PokirLine, budget_line: BudgetLine, *, actor: User
) -> PokirLine:
    """Name the APBD budget line that funds the pokir line (before it is in the APBD)."""
    require_role(actor, REGISTER_ROLES)
    require_region(actor, line.regency_code)
    if line.state not in BUDGET_EDITABLE_STATES:
        raise ValidationError(
            {"budget_line_id": []},
            N_("The budget line cannot be changed once the pokir line is in the APBD."),
        )
    if budget_line.program_id != line.program_id or budget_line.fiscal_year != line.fiscal_year:
        raise ValidationError(
            {"budget_line_id": []},
            N_("The budget line belongs to another program or fiscal year."),
        )
    line.budget_line = budget_line
    session.flush()
    return line


def advance_pokir(
    session: Session,
    line: PokirLine,
    trigger: str,
    *,
    actor: User,
    note: str | None = None,
    expected_version: int | None = None,
) -> PokirEvent:
    """One lifecycle step of a pokir line (who, when and the note go to pokir_events)."""
    event: PokirEvent = advance_record(
        session, line, trigger, actor=actor, reason=note, expected_version=expected_version
    )
    return event


def get_pokir_line(session: Session, line_id: int) -> PokirLine:
    line = session.get(PokirLine, line_id)
    if line is None:
        raise NotFound()
    return line


# --- linking cases ------------------------------------------------------------------------


def link_case_to_pokir(session: Session, case: Case, pokir_line: PokirLine, actor: User) -> Case:
    """Name the pokir line that is to fund the case (until the case is approved).

    The line must be in the APBD, of the case's program and fiscal year, and cover the
    case's region; the approval checks it again, with the quota and ceilings.
    """
    require_role(actor, LINK_ROLES)
    require_region(actor, case.regency_code)
    if case.state not in LINKABLE_CASE_STATES:
        raise ValidationError(
            {"pokir_line_id": []},
            N_("The pokir line of a case cannot be changed once it is approved."),
        )
    problem = pokir_mismatch(case, pokir_line)
    if problem is not None:
        raise field_error("pokir_line_id", problem, ref=pokir_line.sipd_ref)
    # The link is checked against the case's version but does not bump it: a case's
    # version counts its workflow events (tests/workflows/test_stateful.py); the approval
    # reads the link again under its row lock.
    session.flush()
    cases = cast(Table, Case.__table__)
    result = session.connection().execute(
        update(cases)
        .where(cases.c.id == case.id, cases.c.version == case.version)
        .values(pokir_line_id=pokir_line.id)
    )
    if result.rowcount != 1:
        raise VersionConflict(N_("The case was changed by someone else. Reload it and try again."))
    set_committed_value(case, "pokir_line_id", pokir_line.id)
    return case


# --- demo ---------------------------------------------------------------------------------

DEMO_PREFIX = "DEMO"


def _demo_budget_line(session: Session, case: Case, actor: User) -> BudgetLine:
    from casework.services.budget import BudgetLineInput, create_budget_line

    found = session.scalar(
        select(BudgetLine).where(
            BudgetLine.fiscal_year == case.fiscal_year,
            BudgetLine.program_id == case.program_id,
            BudgetLine.sub_activity_code == f"{DEMO_PREFIX}-{case.program.code}",
        )
    )
    if found is not None:
        return found
    return create_budget_line(
        session,
        BudgetLineInput(
            fiscal_year=case.fiscal_year,
            program_id=case.program_id,
            sub_activity_code=f"{DEMO_PREFIX}-{case.program.code}",
            account_code="5.4.02.05.01.0001",
            ceiling=10**13,
            name="Belanja hibah barang kepada masyarakat",
        ),
        actor=actor,
    )


def _demo_member(session: Session, actor: User) -> DprdMember:
    found = session.scalar(select(DprdMember).where(DprdMember.name == "Hj. Demo Anggota DPRD"))
    if found is not None:
        return found
    data = MemberInput("Hj. Demo Anggota DPRD", "Fraksi Demo", "Dapil Kaltim Demo", "IV")
    member = DprdMember(name=data.name, fraksi=data.fraksi, dapil=data.dapil, komisi=data.komisi)
    session.add(member)
    session.flush()
    return member


def fund_case_for_demo(session: Session, case: Case, *, actor: User) -> PokirLine | None:
    """Link the case to a demo pokir line in the APBD with room left, made if needed
    (nothing once the case is past approval).

    For the demo seed and tests (``drive_to``): the line goes through its lifecycle by
    the record engine like any other, with ``actor`` (a manager) recording every step.
    """
    from casework.services.budget import pokir_usage

    if case.state not in LINKABLE_CASE_STATES:
        return None
    candidates = session.scalars(
        select(PokirLine).where(
            PokirLine.fiscal_year == case.fiscal_year,
            PokirLine.program_id == case.program_id,
            PokirLine.regency_code == case.regency_code,
            PokirLine.district_code.is_(None),
            PokirLine.state == PokirState.IN_APBD.value,
            PokirLine.sipd_ref.startswith(f"{DEMO_PREFIX}-"),
        )
    )
    line = next((c for c in candidates if pokir_usage(session, c.id).recipients < c.quota), None)
    if line is None:
        line = _new_demo_line(session, case, actor)
    link_case_to_pokir(session, case, line, actor)
    return line


def _new_demo_line(session: Session, case: Case, actor: User) -> PokirLine:
    from workflows.pokir import PATH

    serial = len(
        list(
            session.scalars(
                select(PokirLine.id).where(
                    PokirLine.fiscal_year == case.fiscal_year,
                    PokirLine.sipd_ref.startswith(f"{DEMO_PREFIX}-"),
                )
            )
        )
    )
    line = PokirLine(
        fiscal_year=case.fiscal_year,
        member_id=_demo_member(session, actor).id,
        sipd_ref=f"{DEMO_PREFIX}-{case.program.code}-{case.regency_code}-{serial + 1}",
        program_id=case.program_id,
        regency_code=case.regency_code,
        quota=100_000,
        ceiling=10**12,
        reses_date=clock.today_wita(),
        proposal="Bantuan usaha ekonomi produktif hasil reses.",
        budget_line_id=_demo_budget_line(session, case, actor).id,
        created_by_id=actor.id,
    )
    session.add(line)
    session.flush()
    for trigger, _ in PATH:
        advance_pokir(session, line, trigger, actor=actor, note="Demo")
    return line
