"""Where the engine's time goes: SQL statements per transition and a cProfile summary."""

from __future__ import annotations

import cProfile
import io
import pstats
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from benchmarks.scenarios import (
    Bench,
    advance_each,
    check_moved,
    engine_single,
    prepare_single,
)
from web.db import db


@contextmanager
def statements_counted() -> Iterator[Counter[str]]:
    """Count the SQL statements the app's engine sends, by their first word(s)."""
    counts: Counter[str] = Counter()
    engine = db.engine
    assert engine is not None

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split()
        counts[" ".join(words[:2]) if words[:1] == ["BEGIN"] else words[0]] += 1

    def count_commit(_conn: Any) -> None:
        counts["COMMIT"] += 1

    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "commit", count_commit)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "commit", count_commit)


def statements_per_transition(bench: Bench, count: int = 100) -> dict[str, float]:
    """SQL statements per ``advance`` + commit, averaged over ``count`` transitions."""
    setup = prepare_single(bench, count)
    with statements_counted() as counts:
        advance_each(setup)
    db.session.remove()
    check_moved(setup.ids)
    return {kind: n / count for kind, n in sorted(counts.items())}


def profile_engine_single(bench: Bench, count: int, top: int = 30) -> str:
    """cProfile of ``engine_single``: the top functions by own time and by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    engine_single(bench, count)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()
