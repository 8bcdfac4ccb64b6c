"""Aggregate reports: budget realisation, the pokir ledger and business outcomes.

Each report is a list of rows computed by set-based GROUP BY queries (one query per
figure, never one per case), with column definitions that the admin table, the Excel
export and the API share. No report carries personal data: the DPRD liaison reads them.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, select
from sqlalchemy.orm import Session, aliased

from casework.errors import NotAllowed, field_error
from casework.i18n import N_
from casework.models.budget import BudgetLine, Commitment, CommitmentStatus
from casework.models.case import Case
from casework.models.followup import SURVIVING, MonitoringVisit, ReportStatus, UsageReport
from casework.models.pokir import DprdMember, PokirLine, PokirState
from casework.models.program import BusinessType, Program
from casework.models.region import Region
from casework.models.user import Role, User
from casework.services.access import require_role

# Aggregates without personal data: every staff role, the DPRD liaison included.
REPORT_ROLES = frozenset(Role)
# Budget figures are provincial: only accounts without a region restriction see them.
BUDGET_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.AUDITOR, Role.DPRD_LIAISON})


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"
    """``text``, ``count``, ``rupiah`` or ``percent`` (a share from 0 to 1)."""


@dataclass
class Report:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)


REALISATION_BY = {
    "program": N_("Program"),
    "budget_line": N_("Budget line"),
    "pokir_line": N_("Pokir line"),
    "regency": N_("Kabupaten/kota"),
}
OUTCOMES_BY = {
    "program": N_("Program"),
    "business_type": N_("Business type"),
    "regency": N_("Kabupaten/kota"),
    "pokir_line": N_("Pokir line"),
}
MONEY_COLUMNS = [
    Column("ceiling", N_("Ceiling"), "rupiah"),
    Column("committed", N_("Committed"), "rupiah"),
    Column("realised", N_("Realised"), "rupiah"),
    Column("remaining", N_("Remaining"), "rupiah"),
]


def _check_dimension(by: str, choices: dict[str, str]) -> None:
    if by not in choices:
        raise field_error("by", N_("Choose one of: %(choices)s."), choices=", ".join(choices))


def _require_provincial(actor: User) -> None:
    require_role(actor, BUDGET_ROLES)
    if actor.region_code is not None:
        raise NotAllowed(N_("Budget reports are for provincial accounts."))


def _amount(status: CommitmentStatus) -> ColumnElement[Any]:
    return func.coalesce(func.sum(Commitment.amount).filter(Commitment.status == status.value), 0)


def _claims(key: Any, year: int) -> Any:
    """Committed and realised amounts per ``key`` for the fiscal year (one GROUP BY)."""
    return (
        select(
            key.label("key"),
            _amount(CommitmentStatus.COMMITTED).label("committed"),
            _amount(CommitmentStatus.REALISED).label("realised"),
        )
        .select_from(Commitment)
        .join(BudgetLine, Commitment.budget_line_id == BudgetLine.id)
        .join(PokirLine, Commitment.pokir_line_id == PokirLine.id)
        .join(Program, BudgetLine.program_id == Program.id)
        .where(BudgetLine.fiscal_year == year)
        .group_by(key)
    )


def _ceilings(by: str, year: int) -> Any:
    """(key, label, ceiling) per group of the dimension ``by``."""
    if by == "program":
        return (
            select(Program.code, Program.name, func.sum(BudgetLine.ceiling))
            .join(BudgetLine, BudgetLine.program_id == Program.id)
            .where(BudgetLine.fiscal_year == year)
            .group_by(Program.code, Program.name)
        )
    if by == "budget_line":
        label = BudgetLine.sub_activity_code + literal(" / ") + BudgetLine.account_code
        return select(BudgetLine.id, label, BudgetLine.ceiling).where(
            BudgetLine.fiscal_year == year
        )
    in_apbd = and_(PokirLine.fiscal_year == year, PokirLine.state == PokirState.IN_APBD.value)
    if by == "pokir_line":
        label = PokirLine.sipd_ref + literal(" — ") + DprdMember.name
        return (
            select(PokirLine.id, label, PokirLine.ceiling)
            .join(DprdMember, PokirLine.member_id == DprdMember.id)
            .where(in_apbd)
        )
    return (
        select(Region.code, Region.name, func.sum(PokirLine.ceiling))
        .join(PokirLine, PokirLine.regency_code == Region.code)
        .where(in_apbd)
        .group_by(Region.code, Region.name)
    )


_CLAIM_KEYS = {
    "program": Program.code,
    "budget_line": BudgetLine.id,
    "pokir_line": PokirLine.id,
    "regency": PokirLine.regency_code,
}


def budget_realisation(session: Session, *, by: str, fiscal_year: int, actor: User) -> Report:
    """Ceiling, committed, realised and remaining per program, budget line, pokir line or
    kabupaten for one fiscal year (provincial accounts only)."""
    _require_provincial(actor)
    _check_dimension(by, REALISATION_BY)
    claims = {
        row.key: (int(row.committed), int(row.realised))
        for row in session.execute(_claims(_CLAIM_KEYS[by], fiscal_year))
    }
    report = Report(
        "budget_realisation",
        N_("Budget realisation"),
        [Column("name", REALISATION_BY[by]), *MONEY_COLUMNS],
    )
    for key, label, ceiling in session.execute(_ceilings(by, fiscal_year)):
        committed, realised = claims.get(key, (0, 0))
        report.rows.append(
            {
                "key": key,
                "name": label,
                "ceiling": int(ceiling or 0),
                "committed": committed,
                "realised": realised,
                "remaining": int(ceiling or 0) - committed - realised,
            }
        )
    report.rows.sort(key=lambda r: str(r["name"]))
    return report


def pokir_ledger(session: Session, *, fiscal_year: int, actor: User) -> Report:
    """Per DPRD member, dapil and kabupaten: pokir lines, quota, ceiling, recipients funded
    (open commitments) and the amounts committed and realised. No personal data."""
    _require_provincial(actor)
    claims = (
        select(
            Commitment.pokir_line_id.label("line_id"),
            func.count().filter(Commitment.status != CommitmentStatus.RELEASED.value).label("n"),
            _amount(CommitmentStatus.COMMITTED).label("committed"),
            _amount(CommitmentStatus.REALISED).label("realised"),
        )
        .group_by(Commitment.pokir_line_id)
        .subquery()
    )
    stmt = (
        select(
            DprdMember.name,
            DprdMember.fraksi,
            DprdMember.dapil,
            Region.name.label("regency"),
            func.count(PokirLine.id),
            func.sum(PokirLine.quota),
            func.sum(PokirLine.ceiling),
            func.coalesce(func.sum(claims.c.n), 0),
            func.coalesce(func.sum(claims.c.committed), 0),
            func.coalesce(func.sum(claims.c.realised), 0),
        )
        .join(PokirLine, PokirLine.member_id == DprdMember.id)
        .join(Region, Region.code == PokirLine.regency_code)
        .outerjoin(claims, claims.c.line_id == PokirLine.id)
        .where(PokirLine.fiscal_year == fiscal_year, PokirLine.state == PokirState.IN_APBD.value)
        .group_by(DprdMember.name, DprdMember.fraksi, DprdMember.dapil, Region.name)
        .order_by(DprdMember.dapil, DprdMember.name, Region.name)
    )
    keys = ("member", "fraksi", "dapil", "regency", "lines", "quota", "ceiling", "recipients")
    report = Report("pokir_ledger", N_("Pokir ledger"), LEDGER_COLUMNS)
    for row in session.execute(stmt):
        values = dict(zip(keys, row[:8], strict=True))
        values |= {"committed": int(row[8]), "realised": int(row[9])}
        for key in ("lines", "quota", "ceiling", "recipients"):
            values[key] = int(values[key] or 0)
        report.rows.append(values)
    return report


LEDGER_COLUMNS = [
    Column("member", N_("DPRD member")),
    Column("fraksi", N_("Fraksi")),
    Column("dapil", N_("Dapil")),
    Column("regency", N_("Kabupaten/kota")),
    Column("lines", N_("Pokir lines"), "count"),
    Column("quota", N_("Quota"), "count"),
    Column("ceiling", N_("Ceiling"), "rupiah"),
    Column("recipients", N_("Recipients"), "count"),
    Column("committed", N_("Committed"), "rupiah"),
    Column("realised", N_("Realised"), "rupiah"),
]
OUTCOME_COLUMNS = [
    Column("cases", N_("Cases with planned visits"), "count"),
    Column("visited_6", N_("Visited at 6 months"), "count"),
    Column("surviving_6", N_("Survival at 6 months"), "percent"),
    Column("visited_12", N_("Visited at 12 months"), "count"),
    Column("surviving_12", N_("Survival at 12 months"), "percent"),
    Column("median_income_change", N_("Median change of monthly income"), "rupiah"),
]


def _outcome_group(by: str) -> tuple[Any, Any, Any]:
    """(key, label, join target and condition) of an outcomes dimension."""
    if by == "program":
        return Program.code, Program.name, (Program, Program.id == Case.program_id)
    if by == "business_type":
        return (
            BusinessType.code,
            BusinessType.name,
            (BusinessType, BusinessType.id == Case.business_type_id),
        )
    if by == "regency":
        return Region.code, Region.name, (Region, Region.code == Case.regency_code)
    return PokirLine.sipd_ref, PokirLine.sipd_ref, (PokirLine, PokirLine.id == Case.pokir_line_id)


def _scoped_cases(stmt: Select[Any], actor: User, fiscal_year: int | None) -> Select[Any]:
    if actor.region_code is not None:
        stmt = stmt.where(Case.regency_code == actor.region_code)
    if fiscal_year is not None:
        stmt = stmt.where(Case.fiscal_year == fiscal_year)
    return stmt


def _survival(session: Session, by: str, actor: User, year: int | None) -> Select[Any]:
    key, label, (target, on) = _outcome_group(by)
    visit = MonitoringVisit
    done = visit.visited_on.is_not(None)
    surviving = and_(done, visit.business_status.in_(SURVIVING))
    stmt = (
        select(
            key.label("key"),
            label.label("label"),
            func.count(func.distinct(Case.id)),
            func.count(visit.id).filter(done, visit.offset_months == 6),
            func.count(visit.id).filter(surviving, visit.offset_months == 6),
            func.count(visit.id).filter(done, visit.offset_months == 12),
            func.count(visit.id).filter(surviving, visit.offset_months == 12),
        )
        .select_from(Case)
        .join(target, on)
        .join(visit, visit.case_id == Case.id)
        .group_by(key, label)
    )
    return _scoped_cases(stmt, actor, year)


def _income_changes(by: str, actor: User, year: int | None) -> Select[Any]:
    """(key, change) per case: income at its latest recorded visit minus the income before
    the aid declared in its accepted LPJ."""
    key, _, (target, on) = _outcome_group(by)
    later = aliased(MonitoringVisit)
    latest = (
        select(func.max(later.offset_months))
        .where(later.case_id == Case.id, later.visited_on.is_not(None))
        .scalar_subquery()
    )
    stmt = (
        select(key, MonitoringVisit.monthly_income - UsageReport.income_before)
        .select_from(Case)
        .join(target, on)
        .join(MonitoringVisit, MonitoringVisit.case_id == Case.id)
        .join(UsageReport, UsageReport.case_id == Case.id)
        .where(
            MonitoringVisit.offset_months == latest,
            UsageReport.status == ReportStatus.ACCEPTED.value,
        )
    )
    return _scoped_cases(stmt, actor, year)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def outcomes(session: Session, *, by: str, actor: User, fiscal_year: int | None = None) -> Report:
    """Business survival at 6 and 12 months (active or growing among visits done) and the
    median change of monthly income since before the aid, per program, business type,
    kabupaten or pokir line. Region-bound accounts see their kabupaten only."""
    require_role(actor, REPORT_ROLES)
    _check_dimension(by, OUTCOMES_BY)
    changes: dict[Any, list[int]] = defaultdict(list)
    for key, change in session.execute(_income_changes(by, actor, fiscal_year)):
        changes[key].append(int(change))
    report = Report("outcomes", N_("Outcomes"), [Column("name", OUTCOMES_BY[by]), *OUTCOME_COLUMNS])
    for key, label, cases, v6, s6, v12, s12 in session.execute(
        _survival(session, by, actor, fiscal_year)
    ):
        median = statistics.median(changes[key]) if changes.get(key) else None
        report.rows.append(
            {
                "key": key,
                "name": label,
                "cases": int(cases),
                "visited_6": int(v6),
                "surviving_6": _share(int(s6), int(v6)),
                "visited_12": int(v12),
                "surviving_12": _share(int(s12), int(v12)),
                "median_income_change": int(median) if median is not None else None,
            }
        )
    report.rows.sort(key=lambda r: str(r["name"]))
    return report
