"""Applicant import: the dry run (a report of every row) and the all-or-nothing import."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import FieldMessage, ValidationError, field_error
from casework.i18n import N_
from casework.importing.checks import (
    group_rows,
    mark_database_duplicates,
    mark_file_duplicates,
    mark_group_problems,
)
from casework.importing.columns import columns_for
from casework.importing.loader import ImportResult, write_rows
from casework.importing.reader import SheetColumn, Translate, read_sheet
from casework.importing.rows import ParsedRow, RowContext
from casework.models.program import ApplicantKind, BusinessType, Program, ProgramYear
from casework.models.region import Region, RegionLevel
from casework.models.user import CASEWORK_WRITE_ROLES, User
from casework.services.access import require_role
from casework.services.registry import DEFAULT_GROUP_BOUNDS

Progress = Callable[[str, int, int], None]
"""Called with a stage ("read" or "write"), rows done and rows in all."""


@dataclass(frozen=True)
class CellError:
    row: int
    letter: str
    header: str
    """The column's label (a message id: translate it to show it)."""
    message: FieldMessage


@dataclass
class ImportReport:
    program_code: str
    fiscal_year: int
    columns: list[SheetColumn]
    rows: list[ParsedRow]

    @property
    def valid_rows(self) -> list[ParsedRow]:
        return [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[ParsedRow]:
        return [r for r in self.rows if not r.valid]

    def errors_of(self, row: ParsedRow) -> list[CellError]:
        """The row's errors in column order, each with its column letter and header."""
        where = {c.column.key: c for c in self.columns}
        found = []
        for key, messages in row.errors.fields.items():
            column = where.get(key)
            letter = column.letter if column else ""
            header = column.column.label if column else key
            found += [CellError(row.row, letter, header, m) for m in messages]
        return sorted(found, key=lambda e: (len(e.letter), e.letter))


def find_program(session: Session, code: str, fiscal_year: int) -> tuple[Program, ProgramYear]:
    """The active program with ``code`` and its rules for the year, or a field error."""
    program = session.scalar(select(Program).where(Program.code == code.strip().upper()))
    if program is None or not program.active:
        raise field_error("program", N_("Choose an active program."))
    rules = program.rules_for(fiscal_year)
    if rules is None:
        raise field_error(
            "fiscal_year",
            N_("Program %(program)s has no rules for fiscal year %(year)s."),
            program=program.code,
            year=fiscal_year,
        )
    return program, rules


def row_context(session: Session, program: Program, rules: ProgramYear, actor: User) -> RowContext:
    """Villages, business types and the program year's rules, loaded once for the file."""
    codes = session.scalars(select(Region.code).where(Region.level == RegionLevel.VILLAGE))
    types = session.execute(select(BusinessType.code, BusinessType.id).where(BusinessType.active))
    return RowContext(
        villages={code: ".".join(code.split(".")[:2]) for code in codes},
        business_types={code.lower(): type_id for code, type_id in types},
        unit_value=rules.unit_value,
        today=clock.today_wita(),
        region_code=actor.region_code,
        is_group=program.applicant_kind == ApplicantKind.GROUP,
        min_age=rules.min_age,
        max_age=rules.max_age,
        required_sex=rules.required_sex,
        program_code=program.code,
    )


def dry_run(
    session: Session,
    source: IO[bytes],
    *,
    program_code: str,
    fiscal_year: int,
    actor: User,
    translate: Translate,
    max_rows: int,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row of the file and report each one's errors by column; writes nothing.

    Rules: the actor may write casework; the program is active with rules for the year;
    rows are checked as the registry and the program require (casework.importing.rows);
    a NIK twice in the file, or already applying in the program and year, is refused;
    a registered NIK is reused (inside the actor's region only); a KUBE is checked whole.
    """
    require_role(actor, CASEWORK_WRITE_ROLES)
    program, rules = find_program(session, program_code, fiscal_year)
    ctx = row_context(session, program, rules, actor)
    sheet = read_sheet(
        source,
        columns_for(program.applicant_kind),
        ctx,
        translate=translate,
        max_rows=max_rows,
        progress=(lambda done, total: progress("read", done, total)) if progress else None,
    )
    mark_file_duplicates(sheet.rows)
    mark_database_duplicates(
        session, sheet.rows, program_id=program.id, fiscal_year=fiscal_year, actor=actor
    )
    if ctx.is_group:
        bounds = (
            rules.group_min_members or DEFAULT_GROUP_BOUNDS[0],
            rules.group_max_members or DEFAULT_GROUP_BOUNDS[1],
        )
        mark_group_problems(sheet.rows, bounds)
    return ImportReport(program.code, fiscal_year, sheet.columns, sheet.rows)


def _chosen(report: ImportReport, confirmed: Collection[int] | None) -> list[ParsedRow]:
    if confirmed is None:
        chosen = report.valid_rows
    else:
        wanted = set(confirmed)
        chosen = [r for r in report.rows if r.row in wanted]
        broken = sorted(wanted - {r.row for r in chosen if r.valid})
        if broken:
            raise field_error(
                "rows",
                N_("Rows %(rows)s are not valid (any more); check the file again."),
                rows=", ".join(str(n) for n in broken[:20]),
            )
        for members in group_rows(report.rows).values():
            inside = [m.row for m in members if m.row in wanted]
            if inside and len(inside) != len(members):
                raise field_error("rows", N_("A KUBE is imported with all its rows or not at all."))
    if not chosen:
        raise ValidationError({"rows": [FieldMessage(N_("There is no valid row to import."))]})
    return chosen


def import_applicants(
    session: Session,
    source: IO[bytes],
    *,
    program_code: str,
    fiscal_year: int,
    actor: User,
    translate: Translate,
    max_rows: int,
    confirmed: Collection[int] | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check the file again and import the confirmed valid rows (all valid rows by default).

    All or nothing: a confirmed row that is not valid now refuses the whole import; the
    caller's transaction holds every write (the boundary commits once, or rolls back).
    """
    report = dry_run(
        session,
        source,
        program_code=program_code,
        fiscal_year=fiscal_year,
        actor=actor,
        translate=translate,
        max_rows=max_rows,
        progress=progress,
    )
    chosen = _chosen(report, confirmed)
    program, _rules = find_program(session, program_code, fiscal_year)
    return write_rows(
        session,
        chosen,
        program=program,
        fiscal_year=fiscal_year,
        actor=actor,
        is_group=program.applicant_kind == ApplicantKind.GROUP,
        progress=(lambda done, total: progress("write", done, total)) if progress else None,
    )
