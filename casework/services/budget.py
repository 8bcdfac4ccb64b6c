"""Budget lines and commitments: a case's claim on a pokir line and a budget line.

Approving a case commits one quota unit and the case's amount against its pokir line and
the pokir line's budget line; rejecting, cancelling or returning it releases them;
delivery or payment realises them. Nothing is committed beyond a quota or a ceiling: the
pokir line and budget line rows are locked (FOR UPDATE on PostgreSQL; SQLite serialises
writers with BEGIN IMMEDIATE) and the sums are checked inside the lock.

The functions called by workflow effects write with Core statements on the session's
connection and never flush the session: the engine is then still writing the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import FieldErrors, GuardFailed
from casework.i18n import N_
from casework.models.budget import (
    OPEN_STATUSES,
    BudgetLine,
    BudgetVersion,
    Commitment,
    CommitmentStatus,
)
from casework.models.case import Case
from casework.models.pokir import PokirLine, PokirState
from casework.models.program import Program
from casework.models.user import Role, User
from casework.services.access import require_role

BUDGET_WRITE_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.FINANCE})
RULE = "pokir_line_valid"

_pokir = cast(Table, PokirLine.__table__)
_budget = cast(Table, BudgetLine.__table__)
_commitments = cast(Table, Commitment.__table__)


def rupiah(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


# --- budget lines -------------------------------------------------------------------------


@dataclass
class BudgetLineInput:
    fiscal_year: int
    program_id: int
    sub_activity_code: str
    account_code: str
    ceiling: int
    version: str = BudgetVersion.MURNI.value
    name: str = ""


def _validate_budget_line(session: Session, data: BudgetLineInput, errors: FieldErrors) -> None:
    if not 2000 <= data.fiscal_year <= 2100:
        errors.add("fiscal_year", N_("Enter a fiscal year between 2000 and 2100."))
    if session.get(Program, data.program_id) is None:
        errors.add("program_id", N_("Choose a program."))
    if data.version not in {v.value for v in BudgetVersion}:
        errors.add("version", N_("Choose the APBD version (murni or perubahan)."))
    if not data.sub_activity_code.strip():
        errors.add("sub_activity_code", N_("Enter the sub-activity code."))
    if not data.account_code.strip():
        errors.add("account_code", N_("Enter the account code (kode rekening)."))
    if data.ceiling <= 0:
        errors.add("ceiling", N_("The ceiling must be more than zero."))


def create_budget_line(session: Session, data: BudgetLineInput, *, actor: User) -> BudgetLine:
    """A budget line of the APBD (murni or perubahan) for one program and fiscal year."""
    require_role(actor, BUDGET_WRITE_ROLES)
    errors = FieldErrors()
    _validate_budget_line(session, data, errors)
    errors.raise_if_any()
    duplicate = session.scalar(
        select(BudgetLine.id).where(
            BudgetLine.fiscal_year == data.fiscal_year,
            BudgetLine.version == BudgetVersion(data.version),
            BudgetLine.sub_activity_code == data.sub_activity_code.strip(),
            BudgetLine.account_code == data.account_code.strip(),
        )
    )
    if duplicate is not None:
        errors.add(
            "account_code",
            N_("This sub-activity and account code already have a budget line in this version."),
        )
        errors.raise_if_any()
    line = BudgetLine(
        fiscal_year=data.fiscal_year,
        program_id=data.program_id,
        version=BudgetVersion(data.version),
        sub_activity_code=data.sub_activity_code.strip(),
        account_code=data.account_code.strip(),
        name=data.name.strip(),
        ceiling=data.ceiling,
    )
    session.add(line)
    session.flush()
    return line


# --- sums ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """What is claimed on a line: open commitments (committed + realised) and realised."""

    recipients: int
    committed: int
    realised: int

    @property
    def open_amount(self) -> int:
        return self.committed + self.realised


def _usage(session: Session, column: Any, line_id: int) -> Usage:
    c = _commitments.c
    row = (
        session.connection()
        .execute(
            select(
                func.count().filter(c.status.in_(OPEN_STATUSES)),
                func.coalesce(
                    func.sum(c.amount).filter(c.status == CommitmentStatus.COMMITTED.value), 0
                ),
                func.coalesce(
                    func.sum(c.amount).filter(c.status == CommitmentStatus.REALISED.value), 0
                ),
            ).where(column == line_id)
        )
        .one()
    )
    return Usage(int(row[0]), int(row[1]), int(row[2]))


def pokir_usage(session: Session, pokir_line_id: int) -> Usage:
    return _usage(session, _commitments.c.pokir_line_id, pokir_line_id)


def budget_usage(session: Session, budget_line_id: int) -> Usage:
    return _usage(session, _commitments.c.budget_line_id, budget_line_id)


# --- the approval rule --------------------------------------------------------------------


def check_pokir_link(session: Session, case: Case) -> PokirLine:
    """The case's pokir line, if it may fund the case: in the APBD, same program and year,
    covering the case's regency (and district/village when the line names one)."""
    cases = cast(Table, Case.__table__)
    line_id = (
        session.connection()
        .execute(select(cases.c.pokir_line_id).where(cases.c.id == case.id))
        .scalar_one_or_none()
    )  # the row as it is now: a link made since the case was loaded counts
    line = session.get(PokirLine, line_id) if line_id is not None else None
    if line is None:
        raise GuardFailed(RULE, N_("The case is not linked to a pokir line."))
    problem = pokir_mismatch(case, line)
    if problem is not None:
        raise GuardFailed(RULE, problem, ref=line.sipd_ref)
    return line


def pokir_mismatch(case: Case, line: PokirLine) -> str | None:
    """Why ``line`` cannot fund ``case`` (a message id with %(ref)s), or None."""
    if line.state != PokirState.IN_APBD.value:
        return N_("Pokir line %(ref)s is not in the APBD.")
    if line.program_id != case.program_id or line.fiscal_year != case.fiscal_year:
        return N_("Pokir line %(ref)s is for another program or fiscal year.")
    if not f"{case.village_code}.".startswith(f"{line.target_code}."):
        return N_("Pokir line %(ref)s does not cover the case's region.")
    return None


def _raise(message: str, **params: Any) -> None:
    raise GuardFailed(RULE, message, **params)


def _lock_lines(session: Session, pokir_line_id: int) -> tuple[Any, Any]:
    """Lock the pokir line, then its budget line (always in this order: no deadlock)."""
    connection = session.connection()
    pokir = connection.execute(
        select(_pokir.c.id, _pokir.c.sipd_ref, _pokir.c.quota, _pokir.c.ceiling)
        .add_columns(_pokir.c.budget_line_id)
        .where(_pokir.c.id == pokir_line_id)
        .with_for_update()
    ).one()
    if pokir.budget_line_id is None:
        _raise(N_("Pokir line %(ref)s has no budget line."), ref=pokir.sipd_ref)
    budget = connection.execute(
        select(_budget.c.id, _budget.c.ceiling)
        .where(_budget.c.id == pokir.budget_line_id)
        .with_for_update()
    ).one()
    return pokir, budget


def check_capacity(session: Session, case: Case) -> None:
    """Lock the case's pokir line and budget line and refuse when the case does not fit.

    The locks are held until the transaction ends, so the commitment written after this
    check cannot be overtaken by a concurrent approval.
    """
    line = check_pokir_link(session, case)
    amount = case.requested_amount
    if amount <= 0:
        _raise(N_("The case has no amount to commit."))
    pokir, budget = _lock_lines(session, line.id)
    used = pokir_usage(session, pokir.id)
    if used.recipients + 1 > pokir.quota:
        _raise(
            N_("Pokir line %(ref)s is full: %(used)s of %(quota)s recipients are committed."),
            ref=pokir.sipd_ref,
            used=used.recipients,
            quota=pokir.quota,
        )
    if used.open_amount + amount > pokir.ceiling:
        _raise(
            N_("Rp%(amount)s exceeds what is left of pokir line %(ref)s's ceiling (Rp%(left)s)."),
            amount=rupiah(amount),
            ref=pokir.sipd_ref,
            left=rupiah(pokir.ceiling - used.open_amount),
        )
    spent = budget_usage(session, budget.id)
    if spent.open_amount + amount > budget.ceiling:
        _raise(
            N_("Rp%(amount)s exceeds what is left of the budget line's ceiling (Rp%(left)s)."),
            amount=rupiah(amount),
            left=rupiah(budget.ceiling - spent.open_amount),
        )


# --- commit, release, realise -------------------------------------------------------------


def open_commitment(session: Session, case_id: int) -> Any:
    c = _commitments.c
    return (
        session.connection()
        .execute(select(c.id, c.status).where(c.case_id == case_id, c.status.in_(OPEN_STATUSES)))
        .one_or_none()
    )


def commit_for_case(session: Session, case: Case, *, actor: User) -> int:
    """Commit one quota unit and the case's amount; return the commitment's id.

    GuardFailed (422) when the case has no valid pokir line or does not fit; an open
    commitment already there is kept (approving twice never counts twice).
    """
    check_capacity(session, case)
    existing = open_commitment(session, case.id)
    if existing is not None:
        return int(existing.id)
    line = check_pokir_link(session, case)
    assert line.budget_line_id is not None
    return int(
        session.connection()
        .execute(
            insert(_commitments)
            .values(
                case_id=case.id,
                pokir_line_id=line.id,
                budget_line_id=line.budget_line_id,
                amount=case.requested_amount,
                status=CommitmentStatus.COMMITTED.value,
                committed_at=clock.now(),
                committed_by_id=actor.id,
            )
            .returning(_commitments.c.id)
        )
        .scalar_one()
    )


def _move(
    session: Session, case: Case, source: CommitmentStatus, dest: CommitmentStatus, actor: User
) -> int | None:
    c = _commitments.c
    stamp = "released" if dest == CommitmentStatus.RELEASED else "realised"
    row = (
        session.connection()
        .execute(
            update(_commitments)
            .where(c.case_id == case.id, c.status == source.value)
            .values({"status": dest.value, f"{stamp}_at": clock.now(), f"{stamp}_by_id": actor.id})
            .returning(c.id)
        )
        .first()
    )
    return None if row is None else int(row[0])


def release_for_case(session: Session, case: Case, *, actor: User) -> int | None:
    """Give back the case's committed quota unit and amount (nothing when none is open)."""
    return _move(session, case, CommitmentStatus.COMMITTED, CommitmentStatus.RELEASED, actor)


def realise_for_case(session: Session, case: Case, *, actor: User) -> int | None:
    """Mark the case's commitment as spent (delivery or payment); idempotent."""
    return _move(session, case, CommitmentStatus.COMMITTED, CommitmentStatus.REALISED, actor)


# --- year end -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LapseRow:
    """A ceiling at year end: what is claimed and the uncommitted remainder that lapses."""

    kind: str
    """``budget`` or ``pokir``."""
    label: str
    ceiling: int
    committed: int
    realised: int

    @property
    def lapsing(self) -> int:
        return max(self.ceiling - self.committed - self.realised, 0)


@dataclass
class YearEnd:
    fiscal_year: int
    open_commitments: list[Commitment] = field(default_factory=list)
    lines: list[LapseRow] = field(default_factory=list)

    @property
    def total_lapsing(self) -> int:
        return sum(r.lapsing for r in self.lines if r.kind == "budget")


def year_end(session: Session, fiscal_year: int) -> YearEnd:
    """Open (not yet realised) commitments and every ceiling's lapsing remainder."""
    report = YearEnd(fiscal_year)
    report.open_commitments = list(
        session.scalars(
            select(Commitment)
            .join(BudgetLine, Commitment.budget_line_id == BudgetLine.id)
            .where(
                BudgetLine.fiscal_year == fiscal_year,
                Commitment.status == CommitmentStatus.COMMITTED.value,
            )
            .order_by(Commitment.id)
        )
    )
    for budget in session.scalars(
        select(BudgetLine).where(BudgetLine.fiscal_year == fiscal_year).order_by(BudgetLine.id)
    ):
        use = budget_usage(session, budget.id)
        report.lines.append(
            LapseRow("budget", str(budget), budget.ceiling, use.committed, use.realised)
        )
    for pokir in session.scalars(
        select(PokirLine)
        .where(PokirLine.fiscal_year == fiscal_year, PokirLine.state == PokirState.IN_APBD.value)
        .order_by(PokirLine.id)
    ):
        use = pokir_usage(session, pokir.id)
        report.lines.append(
            LapseRow("pokir", str(pokir), pokir.ceiling, use.committed, use.realised)
        )
    return report


def year_end_text(report: YearEnd) -> str:
    """The year-end report as plain text (the CLI prints it)."""
    lines = [f"Year end {report.fiscal_year}", "", "Open commitments:"]
    for c in report.open_commitments:
        lines.append(f"  case {c.case_id}  pokir {c.pokir_line_id}  Rp{rupiah(c.amount)}")
    if not report.open_commitments:
        lines.append("  (none)")
    lines += ["", "Ceilings (ceiling / committed / realised / lapsing):"]
    for r in report.lines:
        lines.append(
            f"  {r.kind:6} {r.label}: Rp{rupiah(r.ceiling)} / Rp{rupiah(r.committed)} / "
            f"Rp{rupiah(r.realised)} / Rp{rupiah(r.lapsing)}"
        )
    lines += ["", f"Lapsing in budget lines: Rp{rupiah(report.total_lapsing)}"]
    return "\n".join(lines)
