"""The worker of the multi-process race, in a module of its own so that a spawned process
imports only what it needs (starting four interpreters is most of that test's time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from casework.models.user import User
from web.db import make_engine
from workflows.engine import advance_many


def bulk_worker(
    url: str, case_ids: Sequence[int], actor_id: int, barrier: Any, results: Any
) -> None:
    """Run in a spawned process: fire ``start_verification`` on ``case_ids`` and commit."""
    engine = make_engine(url)
    try:
        barrier.wait(timeout=60)
        with Session(bind=engine, expire_on_commit=False, autoflush=False) as session:
            actor = session.get(User, actor_id)
            assert actor is not None
            result = advance_many(session, case_ids, "start_verification", actor=actor)
            session.commit()
        results.put((sorted(result.moved), sorted(result.refused)))
    except BaseException as exc:  # report, never hang the parent
        results.put(("error", repr(exc)))
    finally:
        engine.dispose()
