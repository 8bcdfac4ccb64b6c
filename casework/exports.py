"""Excel (.xlsx) export of a report: translated headers, Rupiah and percent formats."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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
