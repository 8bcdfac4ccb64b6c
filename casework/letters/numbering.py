"""Letter numbers: one sequence per unit per year, taken atomically, no gaps, never reused.

The number is taken in the caller's transaction with one ``UPDATE … RETURNING`` (the row
stays locked until commit; SQLite serialises writers with BEGIN IMMEDIATE), so a rolled
back transition gives its number back and concurrent issues queue on the row. The first
issue of a year creates the row with ``INSERT … ON CONFLICT DO NOTHING`` so two first
issues do not fail on the unique key.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from casework.models.letter import LetterNumberSequence

FIELDS = frozenset({"kka", "seq", "unit", "year", "month", "roman_month"})
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def reserve(session: Session, unit: str, year: int, count: int = 1) -> int:
    """Take ``count`` consecutive numbers of (unit, year); return the first of them."""
    if count < 1:
        raise ValueError("count must be positive")
    last = _increment(session, unit, year, count)
    if last is None:
        module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(
            module.insert(LetterNumberSequence)
            .values(unit=unit, year=year, last_value=0)
            .on_conflict_do_nothing()
        )
        last = _increment(session, unit, year, count)
    assert last is not None
    return int(last) - count + 1


def _increment(session: Session, unit: str, year: int, count: int) -> int | None:
    return session.execute(
        update(LetterNumberSequence)
        .where(LetterNumberSequence.unit == unit, LetterNumberSequence.year == year)
        .values(last_value=LetterNumberSequence.last_value + count)
        .returning(LetterNumberSequence.last_value)
    ).scalar_one_or_none()


def template_fields(template: str) -> set[str]:
    """The field names a number template uses (ValueError when it is malformed)."""
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def format_number(template: str, *, kka: str, seq: int, unit: str, year: int, month: int) -> str:
    """The letter number from the template, e.g. ``400.9/15/Dinsos/2026``."""
    return template.format(
        kka=kka, seq=seq, unit=unit, year=year, month=f"{month:02d}", roman_month=ROMAN[month - 1]
    )
