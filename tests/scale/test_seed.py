"""The benchmark data generator writes rows the application could have written."""

from __future__ import annotations

import itertools
import random
from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.seed import BatchBuilder, fast_nik, make_plan, read_counters, write_rows
from casework import clock
from casework.identity import build_nik, parse_nik
from casework.models import Case, CaseEvent, Person
from casework.models.verification import Document
from casework.search import prefix_match, upper_bound


@given(
    st.dates(date(1960, 1, 1), date(2005, 12, 31)),
    st.sampled_from("LP"),
    st.integers(1, 9999),
)
def test_the_fast_nik_is_the_nik_build_nik_makes(birth: date, sex: str, serial: int) -> None:
    assert fast_nik("640208", birth, sex, serial) == build_nik(
        district_code="64.02.08", birth_date=birth, sex=sex, serial=serial
    )


def test_the_prefix_upper_bound_is_just_above_every_string_with_the_prefix() -> None:
    assert upper_bound("wrse-2026") == "wrse-2027"
    assert upper_bound("siti") > "siti\U0010ffff" > "siti"
    assert upper_bound("siti") <= "sitj"


def test_a_seeded_batch_is_consistent_and_searchable(session: Session) -> None:
    plan = make_plan(session)
    counters = read_counters(session, plan.creator_id)
    builder = BatchBuilder(plan, counters, random.Random(1), clock.now())
    for _ in range(300):
        builder.add_case()
    write_rows(session, builder.rows)
    session.expire_all()

    cases = list(session.scalars(select(Case).where(Case.created_by_id == plan.creator_id)))
    assert len(cases) == 300
    assert len({c.state for c in cases}) >= 12
    for case in cases:
        events = list(
            session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
            )
        )
        if case.state == "draft":
            assert events == [] and case.version == 1
            continue
        assert events[-1].to_state == case.state
        assert events[-1].case_version == case.version
        assert all(a.to_state == b.from_state for a, b in itertools.pairwise(events))
        assert (case.person_id is None) != (case.group_id is None)
    person = session.scalars(select(Person).where(Person.created_by_id == plan.creator_id)).first()
    assert person is not None
    assert parse_nik(person.nik).birth_date == person.birth_date
    dialect = session.get_bind().dialect.name
    found = session.scalar(
        select(func.count()).where(prefix_match(Person.name_key, person.name_key[:5], dialect))
    )
    assert found and found >= 1
    documents = session.scalar(
        select(func.count())
        .select_from(Document)
        .where(Document.case_id.in_([c.id for c in cases]))
    )
    assert documents and documents >= sum(1 for c in cases if c.state != "draft")
