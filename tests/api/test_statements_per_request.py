"""A case read, a page of the case list and a transition run a fixed, small number of SQL
statements, whatever the size of the page, and a read writes nothing.

Counted on the engine, without the savepoints the test harness wraps each request in:
the bearer token (with its user), then what the view needs. Under load at 1M cases each
statement was a measurable part of a request (docs/scaling.md, "The API under load").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from casework.models import CaseState
from tests import factories
from tests.database_support import sql_statements

HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements of the block (filled when it ends), the harness's savepoints
    left out."""
    found: list[str] = []
    with sql_statements() as every:
        yield found
    found.extend(s for s in every if not s.upper().startswith(HARNESS))


def kinds(found: list[str]) -> list[str]:
    """Each statement's verb and main table: ``SELECT api_tokens``, ``UPDATE cases``."""
    named = []
    for statement in found:
        verb = statement.split()[0].upper()
        if verb == "SELECT":
            table = statement.split(" FROM ", 1)[1].split()[0].strip("(")
        elif verb == "INSERT":
            table = statement.split()[2]
        else:
            table = statement.split()[1]
        named.append(f"{verb} {table}")
    return named


def test_a_case_read_runs_two_statements_and_writes_nothing(api_as, session, users):
    case = factories.make_case(session, users["caseworker"], "KUBE")
    api = api_as("caseworker")
    api.get(f"/cases/{case.id}")  # the token's first use is recorded once

    with statements() as found:
        response = api.get(f"/cases/{case.id}")

    assert response.status_code == 200
    assert response.get_json()["applicant"]["kind"] == "group"
    assert kinds(found) == ["SELECT api_tokens", "SELECT cases"]


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_page_of_cases_runs_three_statements_for_5_and_for_50_cases(
    api_as, session, users, language
):
    api = api_as("manager", language=language)
    counted = []
    for more in (5, 45):
        for n in range(more):
            factories.make_case(session, users["caseworker"], "KUBE" if n % 4 == 0 else "WRSE")
        session.flush()
        api.get("/cases", query_string={"per_page": 50})
        with statements() as found:
            response = api.get("/cases", query_string={"per_page": 50})
        assert response.status_code == 200
        counted.append((len(response.get_json()["items"]), kinds(found)))

    assert [size for size, _ in counted] == [5, 50]
    assert counted[0][1] == counted[1][1] == ["SELECT api_tokens", "SELECT cases", "SELECT cases"]


def test_a_transition_runs_six_statements_one_update_and_one_event(api_as, session, users, store):
    case = factories.case_in_state(session, users, store, CaseState.SUBMITTED)
    api = api_as("verifier")
    api.get(f"/cases/{case.id}")

    with statements() as found:
        response = api.post(f"/cases/{case.id}/transitions", json={"trigger": "start_verification"})

    assert response.status_code == 200
    assert response.get_json()["state"] == CaseState.ADMIN_VERIFICATION.value
    assert kinds(found) == [
        "SELECT api_tokens",  # the bearer token and its user
        "SELECT cases",  # the case, its applicant and business type (the region check too)
        "SELECT cases",  # its row lock (FOR UPDATE on PostgreSQL)
        "SELECT extra_days_off",  # the working calendar: days off and SLA overrides
        "UPDATE cases",
        "INSERT case_events",
    ]
