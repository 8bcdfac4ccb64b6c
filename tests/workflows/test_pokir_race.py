"""Sixteen approvals at once compete for a pokir quota of five (SQLite and PostgreSQL).

Each thread has its own session and commits when it wins. The data is committed so the
threads see it, and removed afterwards (everything linked to the cases, lines and users).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, Table, delete, or_, select

from casework import clock
from casework.errors import DomainError
from casework.models import Base, Case, CaseState, Commitment, ProgramYear, Role, User
from casework.services.audit import case_history_unlocked
from casework.services.budget import BudgetLineInput, create_budget_line, pokir_usage
from casework.services.demo import drive_to
from casework.services.pokir import (
    MemberInput,
    PokirInput,
    advance_pokir,
    create_member,
    create_pokir_line,
    link_case_to_pokir,
)
from casework.storage import DocumentStore
from tests import factories
from tests.workflows.race_support import new_session
from web.db import make_engine
from workflows.engine import advance
from workflows.pokir import PATH

THREADS = 16
QUOTA = 5
YEAR = 2038
WON = "approved"


@dataclass
class Seeded:
    ids: dict[str, set[int]] = field(default_factory=dict)
    cases: list[int] = field(default_factory=list)
    manager: int = 0
    pokir_line: int = 0


@pytest.fixture()
def race_engine(app: Any, database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=THREADS + 2, max_overflow=0)
    try:
        yield engine
    finally:
        engine.dispose()


def _seed(engine: Engine, store: DocumentStore) -> Seeded:
    seeded = Seeded()
    with new_session(engine) as session:
        wrse = factories.program(session, "WRSE")
        year = ProgramYear(
            fiscal_year=YEAR, unit_value=5_000_000, min_age=18, max_age=59, required_sex="P"
        )
        wrse.years.append(year)
        session.flush()
        staff = {
            r: factories.make_user(session, r)
            for r in (Role.CASEWORKER, Role.VERIFIER, Role.MANAGER, Role.FINANCE)
        }
        manager = staff[Role.MANAGER]
        budget = create_budget_line(
            session,
            BudgetLineInput(YEAR, wrse.id, "RACE-1.06.04", "5.4.02.05.01.0001", 10**10),
            actor=manager,
        )
        member = create_member(
            session, MemberInput("Race Member", "Fraksi", "Dapil"), actor=manager
        )
        line = create_pokir_line(
            session,
            PokirInput(
                fiscal_year=YEAR,
                member_id=member.id,
                sipd_ref="RACE-0001",
                program_id=wrse.id,
                regency_code="64.02",
                quota=QUOTA,
                ceiling=10**9,
                reses_date=clock.today_wita() - timedelta(days=10),
                budget_line_id=budget.id,
            ),
            actor=manager,
        )
        for trigger, _ in PATH:
            advance_pokir(session, line, trigger, actor=manager)
        for _ in range(THREADS):
            case = factories.make_case(session, staff[Role.CASEWORKER], "WRSE", fiscal_year=YEAR)
            drive_to(session, case, CaseState.POKIR_REVIEW, actors=staff, store=store)
            link_case_to_pokir(session, case, line, manager)
            seeded.cases.append(case.id)
        seeded.manager, seeded.pokir_line = manager.id, line.id
        seeded.ids = {
            "cases": set(seeded.cases),
            "users": {u.id for u in staff.values()},
            "pokir_lines": set(
                session.scalars(select(Case.pokir_line_id).where(Case.id.in_(seeded.cases)))
            )
            | {line.id},
            "budget_lines": {budget.id},
            "dprd_members": {member.id},
            "program_years": {year.id},
            "persons": set(
                session.scalars(select(Case.person_id).where(Case.id.in_(seeded.cases)))
            ),
        }
        session.commit()
    with new_session(engine) as session:
        demo_lines = session.scalars(
            select(Base.metadata.tables["pokir_lines"].c.budget_line_id).where(
                Base.metadata.tables["pokir_lines"].c.id.in_(seeded.ids["pokir_lines"])
            )
        )
        seeded.ids["budget_lines"] |= set(demo_lines)
        members = session.scalars(
            select(Base.metadata.tables["pokir_lines"].c.member_id).where(
                Base.metadata.tables["pokir_lines"].c.id.in_(seeded.ids["pokir_lines"])
            )
        )
        seeded.ids["dprd_members"] |= set(members)
    return seeded


def _remove(engine: Engine, seeded: Seeded) -> None:
    """Delete the seeded rows and every row that refers to them, children first."""
    tables = list(Base.metadata.sorted_tables)
    doomed: dict[str, set[Any]] = {name: set(ids) for name, ids in seeded.ids.items()}
    with new_session(engine) as session:
        for table in tables:  # parents first: collect children's ids transitively
            pk = list(table.primary_key.columns)
            if len(pk) != 1:
                continue
            condition = _refers_to(table, doomed)
            if condition is not None:
                found = set(session.scalars(select(pk[0]).where(condition)))
                doomed.setdefault(table.name, set()).update(found)
        with case_history_unlocked(session):  # case events are append-only otherwise
            for table in reversed(tables):
                pk = list(table.primary_key.columns)
                conditions = [c for c in [_refers_to(table, doomed)] if c is not None]
                if len(pk) == 1 and doomed.get(table.name):
                    conditions.append(pk[0].in_(doomed[table.name]))
                if conditions:
                    session.execute(delete(table).where(or_(*conditions)))
        numbers = Base.metadata.tables["case_number_sequences"]
        session.execute(delete(numbers).where(numbers.c.fiscal_year == YEAR))
        session.commit()


def _refers_to(table: Table, doomed: dict[str, set[Any]]) -> Any:
    conditions = [
        fk.parent.in_(doomed[fk.column.table.name])
        for fk in table.foreign_keys
        if doomed.get(fk.column.table.name) and fk.column.table is not table
    ]
    return or_(*conditions) if conditions else None


@pytest.fixture()
def seeded(race_engine: Engine, app: Any) -> Iterator[Seeded]:
    store = DocumentStore(app.config["UPLOAD_DIR"], app.config["MAX_UPLOAD_BYTES"])
    made = Seeded()
    try:
        made = _seed(race_engine, store)
        yield made
    finally:
        _remove(race_engine, made)


def _approve(
    engine: Engine, barrier: threading.Barrier, case_id: int, actor_id: int
) -> str | DomainError:
    barrier.wait(timeout=30)
    with new_session(engine) as session:
        try:
            case = session.get(Case, case_id)
            actor = session.get(User, actor_id)
            assert case is not None and actor is not None
            advance(session, case, "approve", actor=actor)
            session.commit()
        except DomainError as exc:
            session.rollback()
            return exc
    return WON


def test_sixteen_concurrent_approvals_never_exceed_a_pokir_quota_of_five(race_engine, seeded):
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [
            pool.submit(_approve, race_engine, barrier, case_id, seeded.manager)
            for case_id in seeded.cases
        ]
        outcomes = [f.result(timeout=120) for f in futures]

    assert outcomes.count(WON) == QUOTA
    losers = [o for o in outcomes if o != WON]
    assert all(isinstance(o, DomainError) and o.status in (409, 422) for o in losers), losers
    assert all("is full: 5 of 5 recipients" in str(o) for o in losers), losers
    with new_session(race_engine) as session:
        states = list(
            session.scalars(select(Case.state).where(Case.id.in_(seeded.cases)).order_by(Case.id))
        )
        open_rows = list(
            session.scalars(
                select(Commitment).where(
                    Commitment.pokir_line_id == seeded.pokir_line, Commitment.status == "committed"
                )
            )
        )
        usage = pokir_usage(session, seeded.pokir_line)
        approved_amounts = sum(
            session.scalars(
                select(Case.requested_amount).where(
                    Case.id.in_(seeded.cases), Case.state == "approved"
                )
            )
        )
    assert states.count("approved") == QUOTA
    assert states.count("pokir_review") == THREADS - QUOTA
    assert len(open_rows) == usage.recipients == QUOTA
    assert usage.committed == sum(c.amount for c in open_rows) == approved_amounts
    assert {c.case_id for c in open_rows} == {
        cid for cid, s in zip(seeded.cases, states, strict=True) if s == "approved"
    }
