"""The applicant template (.xlsx) of a program: data sheet, instructions and valid codes.

Identity columns are formatted as text so Excel keeps all 16 digits (a number would become
6.40208E+15); lists of valid values are offered as drop-downs where they are short, and
village and business type codes are listed on the codes sheet the drop-downs refer to.
"""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from casework.i18n import N_
from casework.importing.columns import ImportColumn, columns_for
from casework.importing.reader import Translate
from casework.importing.service import find_program
from casework.models.person import MARITAL_LABELS, GroupRole
from casework.models.program import ApplicantKind, BusinessType
from casework.models.region import Region, RegionLevel
from casework.models.user import User

TEXT = "@"
DATE = "DD-MM-YYYY"
RUPIAH = '"Rp"#,##0'
TEMPLATE_ROWS = 10_000  # rows the drop-downs and formats cover
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _lists(program_kind: ApplicantKind) -> dict[str, list[str]]:
    lists = {
        "sex": ["L", "P"],
        "marital_status": [m.value for m in MARITAL_LABELS],
        "is_breadwinner": ["Y", "T"],
    }
    if program_kind == ApplicantKind.GROUP:
        lists["member_role"] = [r.value for r in GroupRole]
    return lists


def _data_sheet(
    sheet: Worksheet, columns: tuple[ImportColumn, ...], translate: Translate
) -> dict[str, str]:
    """Headers, widths and formats; returns column key -> letter."""
    sheet.append([translate(c.label) for c in columns])
    letters = {}
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        letters[column.key] = letter
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        dimension.number_format = {"date": DATE, "rupiah": RUPIAH}.get(column.kind, TEXT)
    sheet.freeze_panes = "A2"
    return letters


def _validate(sheet: Worksheet, letter: str, formula: str, translate: Translate) -> None:
    rule = DataValidation(type="list", formula1=formula, allow_blank=True)
    rule.error = translate(N_("Choose a value from the list."))
    rule.showErrorMessage = True
    sheet.add_data_validation(rule)
    rule.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")


def _codes_sheet(
    book: Workbook, session: Session, actor: User, translate: Translate
) -> tuple[Worksheet, int, int]:
    """The codes sheet; returns it with its numbers of business types and villages."""
    codes = book.create_sheet(translate(N_("Codes"))[:31])
    codes.append(
        [
            translate(N_("Business type code")),
            translate(N_("Business type")),
            "",
            translate(N_("Village code")),
            translate(N_("Village")),
            translate(N_("District")),
        ]
    )
    for cell in codes[1]:
        cell.font = Font(bold=True)
    types = list(
        session.execute(
            select(BusinessType.code, BusinessType.name)
            .where(BusinessType.active)
            .order_by(BusinessType.code)
        )
    )
    villages = _villages(session, actor)
    for index in range(max(len(types), len(villages))):
        left = list(types[index]) if index < len(types) else ["", ""]
        right = list(villages[index]) if index < len(villages) else ["", "", ""]
        codes.append([*left, "", *right])
    for letter, width in (("A", 20), ("B", 28), ("D", 16), ("E", 28), ("F", 28)):
        codes.column_dimensions[letter].width = width
    codes.sheet_properties.tabColor = "A6A6A6"
    return codes, len(types), len(villages)


def _villages(session: Session, actor: User) -> list[tuple[str, str, str]]:
    district = aliased(Region)
    stmt = (
        select(Region.code, Region.name, district.name)
        .join(district, district.code == Region.parent_code)
        .where(Region.level == RegionLevel.VILLAGE)
        .order_by(Region.code)
    )
    if actor.region_code is not None:
        stmt = stmt.where(Region.code.startswith(actor.region_code + "."))
    return [(code, name, parent) for code, name, parent in session.execute(stmt)]


def _instructions(
    book: Workbook, columns: tuple[ImportColumn, ...], lines: list[str], translate: Translate
) -> None:
    sheet = book.create_sheet(translate(N_("Instructions"))[:31])
    for line in lines:
        sheet.append([line])
    sheet.append([])
    sheet.append(
        [translate(N_("Column")), translate(N_("Required")), translate(N_("How to fill it"))]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in columns:
        required = translate(N_("Yes")) if column.required else translate(N_("No"))
        sheet.append(
            [translate(column.label), required, translate(column.hint) if column.hint else ""]
        )
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 10
    sheet.column_dimensions["C"].width = 70


def applicant_template(
    session: Session, *, program_code: str, fiscal_year: int, actor: User, translate: Translate
) -> bytes:
    """The template of a program and fiscal year, headers in the reader's language."""
    program, rules = find_program(session, program_code, fiscal_year)
    columns = columns_for(program.applicant_kind)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = translate(N_("Applicants"))[:31]
    letters = _data_sheet(sheet, columns, translate)
    for key, values in _lists(program.applicant_kind).items():
        _validate(sheet, letters[key], '"' + ",".join(values) + '"', translate)
    codes, type_count, village_count = _codes_sheet(book, session, actor, translate)
    quoted = "'" + codes.title.replace("'", "''") + "'"
    if type_count:
        _validate(sheet, letters["business_type"], f"={quoted}!$A$2:$A${type_count + 1}", translate)
    if village_count:
        _validate(
            sheet, letters["village_code"], f"={quoted}!$D$2:$D${village_count + 1}", translate
        )
    lines = [
        translate(N_("Applicant import: %(program)s, fiscal year %(year)s"))
        % {"program": f"{program.code} — {program.name}", "year": fiscal_year},
        translate(N_("Fill one row per applicant on the first sheet; do not rename the headers."))
        if program.applicant_kind == ApplicantKind.PERSON
        else translate(
            N_(
                "Fill one row per KUBE member; rows with the same KUBE name form one group. "
                "Business type, package and amount are read from the chair's (ketua) row."
            )
        ),
        translate(N_("Unit value: Rp%(value)s."))
        % {"value": f"{rules.unit_value:,}".replace(",", ".")},
        translate(N_("Codes of villages and business types are on the codes sheet.")),
    ]
    _instructions(book, columns, lines, translate)
    book.move_sheet(book.worksheets[-1], offset=-1)  # instructions second, codes last
    out = BytesIO()
    book.save(out)
    return out.getvalue()
