"""Reading the letters of a bulk run: the same documents as read one by one, in a number of
SQL statements that does not grow with the letters (no query per letter and per thing its
body shows)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.letters.content import document_for, letterhead
from casework.models import User
from casework.models.decree import Decree
from casework.models.letter import Letter
from casework.models.verification import Assessment, AssessmentItem
from casework.services.letters import _jobs, current_settings, verify_url
from tests.database_support import sql_statements
from tests.letters.test_bulk import decree_of

BASE = "https://berdaya.example"


def _notices(session: Session, manager: User, count: int) -> list[int]:
    """The approval notices of a fresh decree of ``count`` cases; every other case with two
    field assessments (the letter shows the later one's goods)."""
    decree: Decree = decree_of(session, manager, count)
    letters = list(
        session.scalars(
            select(Letter)
            .where(Letter.decree_id == decree.id, Letter.kind == "approval_notice")
            .order_by(Letter.id)
        )
    )
    for n, letter in enumerate(letters):
        assert letter.case_id is not None
        for version in range(1 + n % 2):
            items = [
                AssessmentItem(
                    name=f"Barang {n}-{version}-{k}", quantity=k + 1, unit_price=100_000 * k
                )
                for k in range(2 + version)
            ]
            session.add(
                Assessment(
                    case_id=letter.case_id,
                    feasibility_notes="Layak.",
                    is_feasible=True,
                    assessed_on=clock.today_wita(),
                    assessor_id=manager.id,
                    recorded_at=clock.now(),
                    items=items,
                )
            )
    session.flush()
    session.expire_all()
    return [x.id for x in letters]


def _statements_reading(session: Session, ids: list[int]) -> int:
    session.expire_all()
    with sql_statements() as statements:
        _jobs(session, ids, BASE)
    return len(statements)


def test_a_runs_letters_are_read_in_statements_that_do_not_grow_with_the_letters(
    session: Session, users: dict[str, User]
) -> None:
    ids = _notices(session, users["manager"], 24)

    assert _statements_reading(session, ids[:4]) == _statements_reading(session, ids)
    assert _statements_reading(session, ids) <= 16  # settings, letters, cases, people, places…


def test_a_run_reads_each_letter_as_it_reads_alone(
    session: Session, users: dict[str, User]
) -> None:
    ids = _notices(session, users["manager"], 6)
    settings = current_settings(session)
    assert settings is not None
    head = letterhead(settings)

    session.expire_all()
    together = {job.letter_id: job.document for job in _jobs(session, ids, BASE)}
    session.expire_all()
    alone = {
        letter.id: document_for(session, letter, head, verify_url(BASE, letter.verify_code))
        for letter in session.scalars(select(Letter).where(Letter.id.in_(ids)))
    }

    assert together == alone
    goods = [[item["name"] for item in doc.body["items"]] for doc in together.values()]
    assert all(goods), "every case's letter lists its goods"
    assert any(name.startswith("Barang 1-1-") for names in goods for name in names)
    assert not any(name.startswith("Barang 1-0-") for names in goods for name in names)
