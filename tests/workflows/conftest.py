"""A module-wide "world" for workflow tests: staff made once, every test in a savepoint.

Making the eleven staff users costs half a second (scrypt), and the transition table has
well over a thousand rows, so the workflow modules share one connection and transaction
per module and roll each test (or Hypothesis example) back to a savepoint instead.

A module that uses ``world`` holds the database's write lock (SQLite) for its duration:
it must not also use the function-scoped ``session``/``client`` fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.models import Case, CaseEvent, Role, User
from casework.storage import DocumentStore
from tests import factories


@dataclass
class World:
    session: Session
    users: dict[str, User]
    store: DocumentStore


def make_staff(session: Session) -> dict[str, User]:
    """The same staff as the ``users`` fixture of tests/conftest.py."""
    made = {role.value: factories.make_user(session, role) for role in Role}
    made["kukar_caseworker"] = factories.make_user(session, Role.CASEWORKER, region="64.02")
    made["kukar_verifier"] = factories.make_user(session, Role.VERIFIER, region="64.02")
    made["kukar_manager"] = factories.make_user(session, Role.MANAGER, region="64.02")
    made["samarinda_caseworker"] = factories.make_user(session, Role.CASEWORKER, region="64.72")
    return made


@pytest.fixture(scope="module")
def world(app: Flask, engine: Any) -> Iterator[World]:
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )
    store = DocumentStore(app.config["UPLOAD_DIR"], app.config["MAX_UPLOAD_BYTES"])
    try:
        yield World(session=session, users=make_staff(session), store=store)
    finally:
        session.close()
        outer.rollback()
        connection.close()


@contextmanager
def rolled_back(session: Session) -> Iterator[Session]:
    """Run the block in a savepoint that is always rolled back."""
    savepoint = session.begin_nested()
    try:
        yield session
    finally:
        if savepoint.is_active:
            savepoint.rollback()
        session.expire_all()


@pytest.fixture()
def ws(world: World) -> Iterator[World]:
    """The module's world, with this test's writes rolled back afterwards."""
    with rolled_back(world.session):
        yield world


def snapshot(session: Session, case: Case) -> tuple[str, int, int]:
    """(state, version, number of events) of ``case`` as the database has them now."""
    state, version = session.execute(
        select(Case.state, Case.version).where(Case.id == case.id)
    ).one()
    events = session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)
    )
    return state, version, events or 0


def events_of(session: Session, case: Case) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    )
