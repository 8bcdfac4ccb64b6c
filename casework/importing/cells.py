"""Turning spreadsheet cell values (str, int, float, date, bool, None, …) into typed values.

Every function returns the value or raises :class:`CellProblem` with a message id; nothing
here raises anything else, whatever a cell holds (tests fuzz it with Hypothesis).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from typing import Any

from openpyxl.utils.datetime import from_excel

from casework.i18n import N_

MSG_ROUNDED = N_(
    "Excel stored this number as a number and may have rounded it; format the column as "
    "text and type it again."
)
MSG_DATE = N_("Not a date; write it as DD-MM-YYYY.")
MSG_AMOUNT = N_("Not an amount in whole Rupiah.")
MSG_NEGATIVE = N_("The amount cannot be negative.")
MSG_TOO_LONG = N_("At most %(n)s characters.")
MAX_TEXT = 500
_DATE_PATTERNS = (
    re.compile(r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})"),
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"),
)
# Excel's day numbers from 1900-01-01 up to 9999-12-31.
_EXCEL_DAYS = (1, 2_958_465)


class CellProblem(Exception):
    """A cell that cannot be read as what its column needs; ``message`` is a message id."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message)


def text(value: object) -> str:
    """The cell as stripped text; whole numbers as their digits, floats refused (rounding)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "T"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        raise CellProblem(MSG_ROUNDED)
    if isinstance(value, datetime):
        return value.strftime("%d-%m-%Y")
    shown = str(value).strip()
    if len(shown) > MAX_TEXT:
        raise CellProblem(MSG_TOO_LONG, n=MAX_TEXT)
    return shown


def number_text(value: object) -> str:
    """A NIK or KK cell: digits typed as text.

    A numeric cell is refused: Excel keeps 15 significant digits, so the 16th digit of a
    number typed into a cell not formatted as text is already lost (6.40208E+15).
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellProblem(MSG_ROUNDED)
    return text(value)


def _excel_day(value: float) -> date:
    if not math.isfinite(value) or not _EXCEL_DAYS[0] <= value <= _EXCEL_DAYS[1]:
        raise CellProblem(MSG_DATE)
    converted = from_excel(value)
    if isinstance(converted, datetime):
        return converted.date()
    if isinstance(converted, date):
        return converted
    raise CellProblem(MSG_DATE)


def _date_from_text(raw: str) -> date:
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(raw)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                break
    raise CellProblem(MSG_DATE)


def day(value: object) -> date | None:
    """A date cell (a real date, an Excel day number, or DD-MM-YYYY / YYYY-MM-DD text)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool | timedelta):
        raise CellProblem(MSG_DATE)
    if isinstance(value, int | float):
        return _excel_day(float(value))
    if isinstance(value, str):
        return _date_from_text(value.strip())
    raise CellProblem(MSG_DATE)


def rupiah(value: object) -> int:
    """A whole-Rupiah amount: a number, or text like "Rp 4.500.000" or "4.500.000,00"."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise CellProblem(MSG_AMOUNT)
    if isinstance(value, int):
        amount = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer() or abs(value) > 1e15:
            raise CellProblem(MSG_AMOUNT)
        amount = int(value)
    elif isinstance(value, str):
        amount = _amount_from_text(value)
    else:
        raise CellProblem(MSG_AMOUNT)
    if amount < 0:
        raise CellProblem(MSG_NEGATIVE)
    return amount


def _amount_from_text(raw: str) -> int:
    cleaned = raw.strip().removeprefix("Rp").removeprefix("rp").removeprefix("RP").strip()
    negative = cleaned.startswith("-")
    cleaned = cleaned.removeprefix("-").replace(" ", "").replace(".", "")
    whole, _, cents = cleaned.partition(",")
    if not re.fullmatch(r"[0-9]{1,15}", whole) or cents.strip("0"):
        raise CellProblem(MSG_AMOUNT)
    return -int(whole) if negative else int(whole)
