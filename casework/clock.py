"""The one clock (ARCHITECTURE.md rule 5): timezone-aware UTC, freezable by tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

WITA = ZoneInfo("Asia/Makassar")

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return _source()


def today_wita() -> date:
    """Today's date in Kalimantan Timur (WITA)."""
    return now().astimezone(WITA).date()


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze ``now()`` at ``at`` (aware) for the duration of the block."""
    global _source
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    previous = _source
    _source = lambda: at  # noqa: E731
    try:
        yield
    finally:
        _source = previous
