"""SQL statements per page do not grow with the rows shown (no N+1 queries).

Each page is rendered with 5 and then with 50 cases in the database (the list shows up to
50 per page): the number of statements must be the same both times and stay under a
fixed cap. Statements are counted on the engine (``before_cursor_execute``), savepoints
of the test harness included, so the caps are generous but constant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from casework.models import Case, User
from casework.services.users import issue_token
from tests.admin.helpers import login
from tests.database_support import sql_statements
from tests.factories import make_case

LIST_CAP = 20
DETAILS_CAP = 30
DASHBOARD_CAP = 20
API_CAP = 12


def add_cases(session: Session, actor: User, count: int) -> list[Case]:
    """Cases of persons and of KUBE groups, so both applicant kinds are on the page."""
    made = [make_case(session, actor, "KUBE" if n % 4 == 0 else "WRSE") for n in range(count)]
    session.flush()
    return made


def statements_for(request: Callable[[], Any]) -> int:
    with sql_statements() as statements:
        response = request()
    assert response.status_code == 200, response.status_code
    return len(statements)


def counts_at_5_and_50(
    session: Session, users: dict[str, User], request: Callable[[], Any]
) -> tuple[int, int]:
    add_cases(session, users["caseworker"], 5)
    request()  # warm: per-process caches (filters, translations) are not per page
    small = statements_for(request)
    add_cases(session, users["caseworker"], 45)
    large = statements_for(request)
    return small, large


@pytest.fixture()
def manager_client(client: FlaskClient, users: dict[str, User]) -> FlaskClient:
    login(client, users["manager"])
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/case/?page_size=50",
        "/admin/case/?page_size=50&flt0_1=draft&flt1_2=64.02&flt2_3=1&search=W",
        "/admin/case/?page_size=50&page=1",
    ],
)
def test_the_case_list_runs_the_same_few_statements_for_5_and_for_50_cases(
    manager_client: FlaskClient, session: Session, users: dict[str, User], url: str
) -> None:
    small, large = counts_at_5_and_50(session, users, lambda: manager_client.get(url))

    assert small == large
    assert large <= LIST_CAP


def test_a_kabupaten_caseworkers_case_list_does_not_grow_with_the_rows(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    login(client, users["kukar_caseworker"])

    small, large = counts_at_5_and_50(
        session, users, lambda: client.get("/admin/case/?page_size=50")
    )

    assert small == large <= LIST_CAP


def test_the_case_page_runs_a_fixed_number_of_statements(
    manager_client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case = add_cases(session, users["caseworker"], 1)[0]
    url = f"/admin/case/details/?id={case.id}"
    manager_client.get(url)

    small, large = counts_at_5_and_50(session, users, lambda: manager_client.get(url))

    assert small == large <= DETAILS_CAP


def test_the_dashboard_runs_a_fixed_number_of_statements(
    manager_client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    small, large = counts_at_5_and_50(session, users, lambda: manager_client.get("/admin/"))

    assert small == large <= DASHBOARD_CAP


def test_the_api_case_list_loads_a_page_of_50_with_a_fixed_number_of_statements(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    headers = {"Authorization": f"Bearer {issue_token(session, users['manager'], label='t')}"}

    small, large = counts_at_5_and_50(
        session, users, lambda: client.get("/api/v1/cases?per_page=50", headers=headers)
    )

    assert small == large <= API_CAP
