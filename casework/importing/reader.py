"""The streaming reader: an .xlsx file to parsed rows, one row in memory at a time.

openpyxl's read-only mode streams the sheet XML, so 10,000 rows read in seconds with flat
memory. The header row is matched to the program's columns; a file that cannot be read, or
lacks a required column, is refused as a whole with one clear message on the "file" field.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from casework.errors import ValidationError, field_error
from casework.i18n import N_
from casework.importing.columns import ImportColumn
from casework.importing.rows import ParsedRow, RowContext, parse_row

Translate = Callable[[str], str]
Progress = Callable[[int, int], None]
PROGRESS_EVERY = 250


@dataclass(frozen=True)
class SheetColumn:
    column: ImportColumn
    index: int

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


def _normal(value: object) -> str:
    return " ".join(str(value or "").split()).casefold()


def match_header(
    header: tuple[Any, ...], columns: tuple[ImportColumn, ...], translate: Translate
) -> list[SheetColumn]:
    """Where each column is in the header row; refuses a sheet missing a required column."""
    positions = {_normal(value): index for index, value in enumerate(header) if value}
    found: list[SheetColumn] = []
    missing: list[str] = []
    for column in columns:
        names = {_normal(translate(column.label)), _normal(column.label), _normal(column.key)}
        index = next((positions[n] for n in names if n in positions), None)
        if index is not None:
            found.append(SheetColumn(column, index))
        elif column.required:
            missing.append(translate(column.label))
    if missing:
        raise field_error(
            "file",
            N_("The sheet has no column %(columns)s; use the template of this program."),
            columns=", ".join(missing),
        )
    return found


def _open(source: IO[bytes]) -> Any:
    try:
        return load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise field_error("file", N_("The file is not an Excel workbook (.xlsx).")) from exc


@dataclass
class SheetRows:
    """The parsed rows of a sheet, with the header's layout for the report."""

    columns: list[SheetColumn]
    rows: list[ParsedRow]


def read_sheet(
    source: IO[bytes],
    columns: tuple[ImportColumn, ...],
    ctx: RowContext,
    *,
    translate: Translate,
    max_rows: int,
    progress: Progress | None = None,
) -> SheetRows:
    """Parse every non-empty row of the first sheet; refuse more than ``max_rows`` rows."""
    book = _open(source)
    try:
        sheet = book.worksheets[0]
        total = max((sheet.max_row or 1) - 1, 0)
        values = sheet.iter_rows(values_only=True)
        header = next(values, None)
        if header is None:
            raise field_error("file", N_("The sheet is empty."))
        layout = match_header(tuple(header), columns, translate)
        rows = list(_parse(values, layout, ctx, max_rows, total, progress))
    except ValidationError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise field_error("file", N_("The file is not an Excel workbook (.xlsx).")) from exc
    finally:
        book.close()
    return SheetRows(layout, rows)


def _parse(
    values: Iterator[tuple[Any, ...]],
    layout: list[SheetColumn],
    ctx: RowContext,
    max_rows: int,
    total: int,
    progress: Progress | None,
) -> Iterator[ParsedRow]:
    count = 0
    for number, raw in enumerate(values, start=2):
        cells = {c.column.key: raw[c.index] if c.index < len(raw) else None for c in layout}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue
        count += 1
        if count > max_rows:
            raise field_error(
                "file",
                N_("The file has more than %(limit)s rows; split it into smaller files."),
                limit=max_rows,
            )
        yield parse_row(number, cells, ctx)
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count, max(total, count))
    if progress is not None:
        progress(count, count)
