"""Excel (.xlsx) exports of reports and lists: translated headers, Rupiah and date formats,
personal numbers masked unless the reader may see them, bounded by an export limit."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from casework.clock import WITA
from casework.errors import DomainError
from casework.i18n import N_
from casework.identity import mask_number
from casework.services.reports import Report

# Excel number formats; the thousands separator follows the reader's locale (Indonesian
# Excel shows "Rp 1.500.000").
FORMATS = {
    "rupiah": '"Rp" #,##0;-"Rp" #,##0',
    "count": "#,##0",
    "percent": "0.0%",
}


def report_xlsx(report: Report, *, translate: Callable[[str], str], subtitle: str = "") -> bytes:
    """The report as one worksheet: a title row, a header row, then one row per group.

    ``translate`` turns the English column labels into the reader's language (the web
    layer passes gettext, so headers are Indonesian by default).
    """
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = translate(report.title)[:31]
    sheet.append([translate(report.title) + (f" — {subtitle}" if subtitle else "")])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([translate(c.label) for c in report.columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in report.rows:
        sheet.append([row.get(c.key) for c in report.columns])
    for index, column in enumerate(report.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 34 if column.kind == "text" else 20
        number_format = FORMATS.get(column.kind)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cell.number_format = number_format
    sheet.freeze_panes = "A3"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


# --- lists ---------------------------------------------------------------------------

# Columns holding a NIK, a No. KK or a bank account: masked unless the reader may see them.
IDENTITY_COLUMNS = frozenset({"nik", "kk_number", "account_number"})
# Integer Rupiah columns across the models (shown with the Rupiah number format).
MONEY_COLUMNS = frozenset(
    {
        "amount",
        "requested_amount",
        "unit_value",
        "total",
        "ceiling",
        "committed",
        "realised",
        "remaining",
        "income_before",
        "income_after",
        "unit_price",
        "price",
    }
)
DATE_FORMAT = "DD-MM-YYYY"
DATETIME_FORMAT = "DD-MM-YYYY HH:MM"


class ExportTooLarge(DomainError):
    """More rows than the export limit: refused, never cut short silently."""

    code = "export_too_large"
    status = 422


def check_export_limit(count: int, limit: int) -> None:
    """Refuse an export of more than ``limit`` rows with a message that says what to do."""
    if count > limit:
        raise ExportTooLarge(
            N_(
                "The export is limited to %(limit)s rows and this list has more. Narrow it "
                "with filters or a search and download again."
            ),
            limit=f"{limit:,}".replace(",", "."),
        )


def cell_value(key: str, value: Any, *, show_identity: bool) -> tuple[Any, str | None]:
    """A value as an Excel cell holds it, with its number format (None: general)."""
    if value is None:
        return None, None
    if key in IDENTITY_COLUMNS:
        shown = str(value)
        return (shown if show_identity else mask_number(shown)), "@"
    if isinstance(value, bool):
        return value, None
    if isinstance(value, enum.Enum):
        return str(value.value), None
    if isinstance(value, datetime):
        return value.astimezone(WITA).replace(tzinfo=None), DATETIME_FORMAT
    if isinstance(value, date):
        return value, DATE_FORMAT
    if isinstance(value, int) and key in MONEY_COLUMNS:
        return value, FORMATS["rupiah"]
    if isinstance(value, int | float):
        return value, None
    return str(value), None


def table_xlsx(
    title: str,
    headers: Sequence[str],
    keys: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    show_identity: bool,
) -> bytes:
    """A list as one streamed worksheet: translated headers, then one row per record.

    Dates are real dates (WITA), Rupiah integers carry a Rupiah number format, NIK, KK and
    account numbers are masked unless ``show_identity`` (casework.services.access).
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31] or "Data")
    for index, key in enumerate(keys, start=1):
        wide = key in IDENTITY_COLUMNS or key in {"full_name", "name", "title", "applicant"}
        sheet.column_dimensions[get_column_letter(index)].width = 26 if wide else 16
    sheet.freeze_panes = "A2"
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for key, raw in zip(keys, row, strict=True):
            value, number_format = cell_value(key, raw, show_identity=show_identity)
            cell = WriteOnlyCell(sheet, value=value)
            if number_format:
                cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
