"""The case list and its searches are answered by indexes, never by a full scan.

The SQL a page really runs is captured (with its parameters) and explained: EXPLAIN QUERY
PLAN on SQLite, EXPLAIN on PostgreSQL with ``enable_seqscan = off`` (so a sequential scan
in the plan means no index can answer the query, whatever the table sizes).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from benchmarks.scale import captured
from casework.models import Case, User
from tests.admin.helpers import login
from tests.factories import make_case

FULL_SCAN = re.compile(r"^(SCAN (cases|persons|groups)\b|.*Seq Scan on (cases|persons|groups)\b)")


def plan(connection: Connection, statement: str, parameters: Any) -> list[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return [str(row[-1]) for row in rows]
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    try:
        return [
            str(row[0]).strip()
            for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        ]
    finally:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = on")


def list_query_plans(client: FlaskClient, connection: Connection, url: str) -> list[list[str]]:
    """Plans of the page's SELECTs on cases (the list query and its search subqueries)."""
    with captured() as statements:
        response = client.get(url)
    assert response.status_code == 200
    main = [
        (s, p)
        for s, p in statements
        if s.lstrip().upper().startswith("SELECT") and re.search(r"\bFROM cases\b", s)
    ]
    assert main, "the page ran no query on cases"
    return [plan(connection, s, p) for s, p in main]


@pytest.fixture()
def cases(session: Session, users: dict[str, User]) -> list[Case]:
    made = [make_case(session, users["caseworker"], code) for code in ("WRSE", "UEP", "KUBE")]
    session.flush()
    return made


@pytest.fixture()
def manager(client: FlaskClient, users: dict[str, User]) -> FlaskClient:
    login(client, users["manager"])
    return client


def full_scans(plans: list[list[str]]) -> list[str]:
    return [line for lines in plans for line in lines if FULL_SCAN.search(line)]


def test_the_first_page_walks_the_primary_key_newest_first_without_sorting(
    manager: FlaskClient, connection: Connection, cases: list[Case]
) -> None:
    plans = list_query_plans(manager, connection, "/admin/case/")

    text = "\n".join(line for lines in plans for line in lines)
    assert "TEMP B-TREE" not in text and not re.search(r"\bSort\b", text), text
    if connection.dialect.name == "postgresql":
        assert re.search(r"Index (Only )?Scan Backward using pk_cases", text), text
    else:
        assert re.search(r"SCAN cases( USING INTEGER PRIMARY KEY)?$", text, re.M), text


@pytest.mark.parametrize(
    "query",
    [
        "flt0_1=admin_verification&flt1_2=64.02&flt2_3=1",
        "flt0_2=64.02",
    ],
    ids=["state + kabupaten + overdue", "kabupaten"],
)
def test_the_filtered_list_searches_an_index(
    manager: FlaskClient, connection: Connection, cases: list[Case], query: str
) -> None:
    plans = list_query_plans(manager, connection, f"/admin/case/?{query}")

    assert full_scans(plans) == []


def test_a_case_number_search_uses_the_number_index(
    manager: FlaskClient, connection: Connection, cases: list[Case]
) -> None:
    plans = list_query_plans(manager, connection, f"/admin/case/?search={cases[0].number}")

    assert full_scans(plans) == []
    assert "number" in "\n".join(line for lines in plans for line in lines)


def test_a_nik_search_finds_the_person_by_an_index(
    manager: FlaskClient, connection: Connection, cases: list[Case]
) -> None:
    person = cases[0].person
    assert person is not None

    plans = list_query_plans(manager, connection, f"/admin/case/?search={person.nik}")

    assert full_scans(plans) == []
    assert re.search(r"persons", "\n".join(line for lines in plans for line in lines))


def test_a_name_prefix_search_uses_the_name_key_indexes(
    manager: FlaskClient, connection: Connection, cases: list[Case]
) -> None:
    plans = list_query_plans(manager, connection, "/admin/case/?search=Warga")

    text = "\n".join(line for lines in plans for line in lines)
    assert full_scans(plans) == []
    if connection.dialect.name == "sqlite":
        assert "ix_persons_name_key" in text and "ix_groups_name_key" in text, text
    else:
        # On a handful of rows PostgreSQL may reach one of the two tables through its
        # primary key instead (the choice follows the statistics the suite left behind);
        # at a million cases both use their name index (docs/benchmarks.md, "At scale").
        assert "ix_persons_name_key" in text or "ix_groups_name_key" in text, text
