"""32 concurrent issues, each in its own session and connection, get 32 distinct,
consecutive numbers (SQLite serialises writers; PostgreSQL queues on the sequence row)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from casework.letters.numbering import reserve
from casework.models.letter import LetterNumberSequence
from web.db import make_engine

THREADS = 32


@pytest.fixture()
def race_engine(app: Any, database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=THREADS + 2, max_overflow=0)
    try:
        yield engine
    finally:
        engine.dispose()


def _take(engine: Engine, barrier: threading.Barrier, unit: str, fail: bool) -> int:
    barrier.wait(timeout=30)
    with Session(bind=engine) as session:
        seq = reserve(session, unit, 2039)
        if fail:
            session.rollback()  # a transition that rolled back: its number is given back
            return -1
        session.commit()
        return seq


def test_concurrent_issues_get_distinct_consecutive_numbers(race_engine: Engine) -> None:
    unit = f"race-{uuid.uuid4().hex[:8]}"
    barrier = threading.Barrier(THREADS + 4)
    try:
        with ThreadPoolExecutor(THREADS + 4) as pool:
            futures = [
                pool.submit(_take, race_engine, barrier, unit, i >= THREADS)
                for i in range(THREADS + 4)
            ]
            taken = [f.result(timeout=120) for f in futures]
        numbers = sorted(n for n in taken if n != -1)
        assert numbers == list(range(1, THREADS + 1))
        with Session(bind=race_engine) as session:
            assert reserve(session, unit, 2039) == THREADS + 1  # no number lost to rollbacks
            session.rollback()
    finally:
        with Session(bind=race_engine) as session:
            session.execute(delete(LetterNumberSequence).where(LetterNumberSequence.unit == unit))
            session.commit()
