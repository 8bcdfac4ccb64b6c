"""Bank files: the transfer CSV we send and the result CSV the bank sends back.

The result file is untrusted input: ``parse_results`` raises ValidationError for anything
malformed (never another exception), naming the line and what is wrong with it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from casework.errors import FieldMessage, ValidationError
from casework.i18n import N_

TRANSFER_HEADER = ("reference", "bank_code", "account_number", "holder_name", "amount")
RESULT_HEADER = ("reference", "status", "reason")
RESULT_STATUSES = ("ok", "failed")
MAX_BYTES = 5 * 1_048_576
MAX_LINES = 100_000


@dataclass(frozen=True)
class TransferLine:
    reference: str
    bank_code: str
    account_number: str
    holder_name: str
    amount: int


@dataclass(frozen=True)
class ResultLine:
    reference: str
    ok: bool
    reason: str


def _safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in free text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def transfer_csv(lines: Iterable[TransferLine]) -> str:
    """The transfer file: a header and one line per payment (UTF-8, comma separated)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TRANSFER_HEADER)
    for line in lines:
        writer.writerow(
            (
                line.reference,
                line.bank_code,
                line.account_number,
                _safe_cell(line.holder_name),
                line.amount,
            )
        )
    return out.getvalue()


def _fail(field: str, message: str, **params: object) -> ValidationError:
    return ValidationError({field: [FieldMessage(message, **params)]})


def _decode(content: bytes) -> str:
    if not content:
        raise _fail("file", N_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise _fail("file", N_("The bank file is too large."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail("file", N_("The bank file is not UTF-8 text.")) from None
    if "\x00" in text:
        raise _fail("file", N_("The bank file is not UTF-8 text."))
    return text


def _rows(text: str) -> list[list[str]]:
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        raise _fail("file", N_("The bank file is not a valid CSV file.")) from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) > MAX_LINES:
        raise _fail("file", N_("The bank file is too large."))
    return rows


def _result_line(
    number: int, row: list[str], errors: dict[str, list[FieldMessage]]
) -> ResultLine | None:
    field = f"line-{number}"
    if len(row) not in (2, 3):
        errors.setdefault(field, []).append(
            FieldMessage(N_("Line %(line)s must have reference, status and reason."), line=number)
        )
        return None
    reference, status = row[0].strip(), row[1].strip().lower()
    reason = row[2].strip() if len(row) == 3 else ""
    if not reference or len(reference) > 40:
        errors.setdefault(field, []).append(
            FieldMessage(N_("Line %(line)s has no valid reference."), line=number)
        )
        return None
    if status not in RESULT_STATUSES:
        errors.setdefault(field, []).append(
            FieldMessage(N_("Line %(line)s: the status must be ok or failed."), line=number)
        )
        return None
    if status == "failed" and not reason:
        errors.setdefault(field, []).append(
            FieldMessage(N_("Line %(line)s: a failed payment needs a reason."), line=number)
        )
        return None
    return ResultLine(reference, status == "ok", reason[:500])


def parse_results(content: bytes) -> list[ResultLine]:
    """The lines of a bank result file; ValidationError (per line) when anything is wrong."""
    rows = _rows(_decode(content))
    first = 1
    if rows and tuple(c.strip().lower() for c in rows[0]) in (RESULT_HEADER, RESULT_HEADER[:2]):
        rows, first = rows[1:], 2
    if not rows:
        raise _fail("file", N_("The bank file has no result lines."))
    errors: dict[str, list[FieldMessage]] = {}
    lines = [_result_line(i, row, errors) for i, row in enumerate(rows, start=first)]
    seen: set[str] = set()
    for number, line in enumerate(lines, start=first):
        if line is not None and line.reference in seen:
            errors.setdefault(f"line-{number}", []).append(
                FieldMessage(N_("Line %(line)s repeats a reference."), line=number)
            )
        if line is not None:
            seen.add(line.reference)
    if errors:
        raise ValidationError(errors)
    return [line for line in lines if line is not None]
