"""Committed data for the race tests: made, committed, and removed again afterwards.

The race tests need data other connections can see, so they commit it: everything is made
under a fiscal year no other test uses and removed again by ``remove``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from casework.models import Case, CaseEvent, Person, Program, ProgramYear, Role
from casework.models.case import CaseNumberSequence
from casework.models.letter import Letter
from casework.models.user import User
from casework.services.audit import case_history_unlocked
from tests import factories
from workflows.engine import advance

RACE_YEAR = 2039
ROLES = (Role.CASEWORKER, Role.VERIFIER, Role.MANAGER)


@dataclass
class Committed:
    """Ids of what a race test committed, so it can be removed afterwards."""

    users: dict[str, int] = field(default_factory=dict)
    cases: list[int] = field(default_factory=list)
    persons: list[int] = field(default_factory=list)


def new_session(engine: Engine) -> Session:
    return Session(bind=engine, expire_on_commit=False, autoflush=False)


def prepare(engine: Engine, *, cases: int) -> Committed:
    """Commit staff, a WRSE year ``RACE_YEAR`` and ``cases`` submitted cases."""
    made = Committed()
    with new_session(engine) as session:
        wrse = factories.program(session, "WRSE")
        wrse.years.append(
            ProgramYear(
                fiscal_year=RACE_YEAR,
                unit_value=5_000_000,
                min_age=18,
                max_age=59,
                required_sex="P",
                max_decile=5,
            )
        )
        session.flush()
        staff = {role: factories.make_user(session, role) for role in ROLES}
        made.users = {role.value: user.id for role, user in staff.items()}
        for _ in range(cases):
            case = factories.make_case(
                session, staff[Role.CASEWORKER], "WRSE", fiscal_year=RACE_YEAR
            )
            advance(session, case, "submit", actor=staff[Role.CASEWORKER])
            made.persons.append(case.person_id or 0)
            made.cases.append(case.id)
        session.commit()
    return made


def remove(engine: Engine, made: Committed) -> None:
    """Delete what ``prepare`` committed (and the events the race wrote)."""
    with new_session(engine) as session:
        with case_history_unlocked(session):  # case events are append-only otherwise
            session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(made.cases)))
        # the letters a winning transition issued (a rejection notice, say) refer to the case
        session.execute(delete(Letter).where(Letter.case_id.in_(made.cases)))
        session.execute(delete(Case).where(Case.id.in_(made.cases)))
        session.execute(
            delete(CaseNumberSequence).where(CaseNumberSequence.fiscal_year == RACE_YEAR)
        )
        wrse = session.scalars(select(Program).where(Program.code == "WRSE")).one()
        session.execute(
            delete(ProgramYear).where(
                ProgramYear.program_id == wrse.id, ProgramYear.fiscal_year == RACE_YEAR
            )
        )
        session.execute(delete(Person).where(Person.id.in_(made.persons)))
        session.execute(delete(User).where(User.id.in_(made.users.values())))
        session.commit()
