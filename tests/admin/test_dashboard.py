"""The managers' overdue dashboard: every number is the size of the list it links to.

The clock is frozen on Wednesday 12 March 2025, 10:00 WITA, unless a test says otherwise.
Working days back from then: 12, 11, 10, 7, 6, 5 March (the 6th), ... 12 February (the 21st).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import url_for
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy.orm import Session

from admin.filters import case_filters
from casework import clock
from casework.calendar import end_of_day_wita
from casework.models import Case, CaseState, Program, User
from casework.services.deadlines import add_day_off
from casework.services.overdue import Ageing, AgeingBounds, ageing_bounds
from casework.services.users import issue_token
from casework.storage import DocumentStore
from tests import factories
from tests.admin.helpers import login
from tests.casework.test_pokir import make_pokir_line

NOW = datetime(2025, 3, 12, 2, 0, tzinfo=UTC)  # Wednesday 10:00 WITA
KUKAR, SAMARINDA = "64.02", "64.72"
NUMBER = re.compile(r"\b[A-Z]+-\d{4}-\d{6}\b")
LINK = re.compile(r'<a href="(/admin/case/[^"]*)">(\d+)</a>')
FILTER_KEYS = [f.key for f in case_filters()]
API_NAMES = {"year": "fiscal_year"}


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def wita(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=clock.WITA)


def case_due(
    session: Session,
    users: dict[str, User],
    due: date | None,
    *,
    village: str = factories.KOTA_BANGUN_LIANG,
    assignee: User | None = None,
    fiscal_year: int | None = None,
) -> Case:
    """A draft case with the deadline ``due`` (end of that day, WITA) and an assignee."""
    case = factories.make_case(
        session, users["caseworker"], village=village, fiscal_year=fiscal_year
    )
    case.due_at = end_of_day_wita(due) if due else None
    case.assignee_id = assignee.id if assignee else None
    session.flush()
    return case


def in_state(
    session: Session,
    users: dict[str, User],
    store: DocumentStore,
    state: CaseState,
    due: date,
    assignee: User | None = None,
) -> Case:
    case = factories.case_in_state(session, users, store, state)
    case.due_at = end_of_day_wita(due)
    case.assignee_id = assignee.id if assignee else None
    session.flush()
    return case


@pytest.fixture()
def province(session: Session, users: dict[str, User], store: DocumentStore) -> dict[str, Case]:
    """Cases of every kind the dashboard tells apart, in Kutai Kartanegara and Samarinda."""
    verifier, kukar_cw = users["verifier"], users["kukar_caseworker"]
    sub = CaseState.SUBMITTED
    cases = {
        "due_today": in_state(session, users, store, sub, date(2025, 3, 12), verifier),
        "due_friday": in_state(session, users, store, sub, date(2025, 3, 14)),
        "due_monday": in_state(session, users, store, sub, date(2025, 3, 17), verifier),
        "late_5": case_due(session, users, date(2025, 3, 5), assignee=kukar_cw),
        "late_6": case_due(session, users, date(2025, 3, 4)),
        "late_20": case_due(session, users, date(2025, 2, 12), assignee=verifier),
        "late_21": case_due(session, users, date(2025, 2, 11)),
        "no_deadline": case_due(session, users, None),
        "last_year": case_due(session, users, None, fiscal_year=2024),
        "samarinda_late_4": case_due(
            session,
            users,
            date(2025, 3, 6),
            village=factories.SAMARINDA_VILLAGE,
            assignee=users["samarinda_caseworker"],
        ),
        "samarinda_late_50": case_due(
            session, users, date(2025, 1, 2), village=factories.SAMARINDA_VILLAGE
        ),
    }
    cancelled = factories.case_in_state(session, users, store, CaseState.CANCELLED)
    cancelled.due_at = end_of_day_wita(date(2025, 2, 3))  # long past, but no longer open
    cases["cancelled"] = cancelled
    # Three Kutai Kartanegara cases came through one pokir line (one of them late, one
    # cancelled), one through another; the rest through none.
    first = make_pokir_line(session, users["manager"], fiscal_year=2025, sipd_ref="SIPD-A-1")
    second = make_pokir_line(session, users["manager"], fiscal_year=2025, sipd_ref="SIPD-B-2")
    for name in ("due_today", "late_5", "cancelled"):
        cases[name].pokir_line_id = first.id
    cases["late_21"].pokir_line_id = second.id
    session.flush()
    return cases


def dashboard(client: FlaskClient, user: User) -> str:
    login(client, user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def links(html: str) -> list[tuple[str, int]]:
    return [(url.replace("&amp;", "&"), int(n)) for url, n in LINK.findall(html)]


def list_rows(client: FlaskClient, url: str) -> set[str]:
    """Case numbers on the case list at ``url`` (one page of up to 100 rows)."""
    joiner = "&" if "?" in url else "?"
    response = client.get(f"{url}{joiner}page_size=100")
    assert response.status_code == 200, url
    return set(NUMBER.findall(response.get_data(as_text=True)))


def api_query(session: Session, url: str) -> dict[str, str]:
    """The API query with the same filters as an admin list link."""
    query = {"per_page": "100"}
    for name, value in parse_qsl(urlsplit(url).query):
        key = FILTER_KEYS[int(name.split("_", 1)[1])]
        if key == "program":
            program = session.get(Program, int(value))
            assert program is not None
            value = program.code
        elif key in ("overdue", "open"):
            value = "true" if value == "1" else "false"
        query[API_NAMES.get(key, key)] = value
    return query


def api_rows(client: FlaskClient, session: Session, user: User, url: str) -> set[str]:
    token = issue_token(session, user, label="dashboard test")
    response = client.get(
        "/api/v1/cases",
        query_string=api_query(session, url),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["has_next"] is False
    return {item["number"] for item in body["items"]}


def cell(html: str, marker: str, column: int) -> str:
    """The text of the ``column``-th cell (0: the label) of the row marked ``marker``."""
    row = html.split(marker, 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    return re.sub(r"<[^>]+>", "", cells[column]).strip()


def test_every_number_on_the_managers_dashboard_is_the_size_of_the_list_it_links_to(
    client: FlaskClient, session: Session, users: dict[str, User], province: dict[str, Case]
) -> None:
    manager = users["manager"]
    found = links(dashboard(client, manager))
    assert len(found) >= 25
    for url, n in found:
        rows = list_rows(client, url)
        assert len(rows) == n, url
        assert api_rows(client, session, manager, url) == rows, url


def test_ageing_buckets_count_open_cases_by_working_days_overdue(
    client: FlaskClient, users: dict[str, User], province: dict[str, Case]
) -> None:
    html = dashboard(client, users["manager"])
    numbers = {bucket: cell(html, f'data-ageing="{bucket.value}"', 1) for bucket in Ageing}
    assert numbers == {
        Ageing.DUE_SOON: "2",  # due today (not yet passed) and on Friday, not on Monday
        Ageing.DAYS_1_5: "2",  # due 5 and 6 March (Kukar, Samarinda)
        Ageing.DAYS_6_20: "2",  # due 4 March and 12 February
        Ageing.OVER_20: "2",  # due 11 February and 2 January; the cancelled case not at all
    }
    assert 'class="h3 text-danger overdue-count"><a href=' in html
    assert ">6</a>" in html.split("overdue-count", 1)[1].split("</div>", 1)[0]


def test_the_workload_table_lists_open_and_overdue_cases_per_assignee_and_unassigned_last(
    client: FlaskClient, users: dict[str, User], province: dict[str, Case]
) -> None:
    html = dashboard(client, users["manager"])
    verifier = users["verifier"]
    assert cell(html, f'data-assignee="{verifier.id}"', 0) == str(escape(verifier.full_name))
    assert cell(html, f'data-assignee="{verifier.id}"', 1) == "3"
    assert cell(html, f'data-assignee="{verifier.id}"', 2) == "1"
    # due_friday, late_6, late_21, no_deadline, last_year, samarinda_late_50
    assert cell(html, 'data-assignee="none"', 1) == "6"
    assert cell(html, 'data-assignee="none"', 2) == "3"
    table = html.split("workload-table", 1)[1].split("</table>", 1)[0]
    assert table.rindex("data-assignee=") == table.index('data-assignee="none"')


def test_the_pokir_table_counts_the_cases_of_each_pokir_line_most_overdue_first(
    client: FlaskClient, users: dict[str, User], province: dict[str, Case]
) -> None:
    html = dashboard(client, users["manager"])
    first = str(province["late_5"].pokir_line_id)
    second = str(province["late_21"].pokir_line_id)
    table = html.split("pokir-line-table", 1)[1].split("</table>", 1)[0]
    assert cell(table, f'data-pokir-line="{first}"', 1) == "SIPD-A-1"
    assert cell(table, f'data-pokir-line="{first}"', 2) == "WRSE"
    # all, open, overdue: due_today + late_5 + cancelled; late_5 alone is overdue
    assert [cell(table, f'data-pokir-line="{first}"', n) for n in (4, 5, 6)] == ["3", "2", "1"]
    assert [cell(table, f'data-pokir-line="{second}"', n) for n in (4, 5, 6)] == ["1", "1", "1"]
    # the other eight are open; late_6, late_20 and both Samarinda cases are overdue
    assert [cell(table, 'data-pokir-line="none"', n) for n in (1, 2, 3)] == ["8", "8", "4"]
    assert table.index(f'data-pokir-line="{first}"') < table.index('data-pokir-line="none"')


def test_the_regency_table_has_a_row_per_kabupaten_and_a_column_per_state(
    client: FlaskClient, users: dict[str, User], province: dict[str, Case]
) -> None:
    html = dashboard(client, users["manager"])
    kukar_row = html.split(f'data-regency="{KUKAR}"', 1)[1].split("</tr>", 1)[0]
    assert "Kutai Kartanegara" in kukar_row
    assert re.search(r'data-state="submitted"><a [^>]*>3</a>', kukar_row)
    assert re.search(r'class="row-total"><strong><a [^>]*>10</a>', kukar_row)
    samarinda_row = html.split(f'data-regency="{SAMARINDA}"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'class="row-total"><strong><a [^>]*>2</a>', samarinda_row)
    assert 'class="h3 total-count"><a href="/admin/case/">12</a>' in html


def test_a_kabupaten_manager_sees_only_her_kabupaten(
    client: FlaskClient, session: Session, users: dict[str, User], province: dict[str, Case]
) -> None:
    manager = users["kukar_manager"]
    html = dashboard(client, manager)
    assert f'data-regency="{KUKAR}"' in html
    assert f'data-regency="{SAMARINDA}"' not in html
    assert str(escape(users["samarinda_caseworker"].full_name)) not in html
    assert 'class="h3 total-count"><a href="/admin/case/">10</a>' in html
    assert cell(html, f'data-ageing="{Ageing.OVER_20.value}"', 1) == "1"
    for url, n in links(html):
        rows = list_rows(client, url)
        assert len(rows) == n, url
        assert api_rows(client, session, manager, url) == rows, url
        assert province["samarinda_late_50"].number not in rows


def test_the_dprd_liaison_sees_the_aggregates_without_names_or_links(
    client: FlaskClient, users: dict[str, User], province: dict[str, Case]
) -> None:
    html = dashboard(client, users["dprd_liaison"])
    assert cell(html, f'data-ageing="{Ageing.OVER_20.value}"', 1) == "2"
    assert f'data-regency="{SAMARINDA}"' in html
    assert "workload-table" not in html
    for user in (users["verifier"], users["kukar_caseworker"], users["samarinda_caseworker"]):
        assert str(escape(user.full_name)) not in html
    assert "/admin/case/" not in html
    assert not any(case.number in html for case in province.values())


def test_other_roles_keep_the_table_of_their_cases_by_state_and_program(
    client: FlaskClient, users: dict[str, User], province: dict[str, Case]
) -> None:
    html = dashboard(client, users["caseworker"])
    assert "regency-state-table" not in html
    assert 'data-state="submitted"' in html
    assert 'class="h3 text-danger overdue-count"><a href=' in html


def test_charts_come_from_vendored_static_files_with_the_figures_of_the_tables(
    client: FlaskClient, users: dict[str, User], province: dict[str, Case]
) -> None:
    html = dashboard(client, users["manager"])
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert all(body.strip() == "" for _, body in scripts)  # no inline script (CSP)
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts]  # type: ignore[union-attr]
    assert all(src.startswith("/") for src in sources)  # nothing from a CDN
    assert "/static/vendor/chart.umd.min.js" in sources and "/static/dashboard.js" in sources
    for src in ("/static/vendor/chart.umd.min.js", "/static/dashboard.js"):
        with client.get(src) as served:
            assert served.status_code == 200
    charts = [json.loads(str(c)) for c in re.findall(r"data-chart='([^']*)'", html)]
    ageing = charts[0]
    assert ageing["values"] == [2, 2, 2, 2]
    assert len(ageing["links"]) == 4 and ageing["links"][0].startswith("/admin/case/?")


def test_the_due_soon_and_ageing_boundaries_on_a_plain_week(session: Session) -> None:
    bounds = ageing_bounds(session)
    assert bounds == AgeingBounds(
        now=NOW,
        soon_until=wita(date(2025, 3, 15)),  # due by the end of Friday 14 March
        six_days=wita(date(2025, 3, 5)),
        twenty_one_days=wita(date(2025, 2, 12)),
    )


def test_the_boundaries_skip_idul_fitri_and_its_collective_leave(session: Session) -> None:
    # Thursday 27 March 2025: 28 March to 7 April are holidays or cuti bersama.
    soon = ageing_bounds(session, datetime(2025, 3, 27, 2, 0, tzinfo=UTC))
    assert soon.soon_until == wita(date(2025, 4, 10))  # due by 9 April is "soon"
    # Tuesday 8 April 2025: the 6th most recent working day is Friday 21 March.
    after = ageing_bounds(session, datetime(2025, 4, 8, 2, 0, tzinfo=UTC))
    assert after.six_days == wita(date(2025, 3, 21))


def test_an_added_day_off_moves_a_case_back_into_the_first_overdue_bucket(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    late = case_due(session, users, date(2025, 3, 4))
    before = dashboard(client, users["manager"])
    assert cell(before, f'data-ageing="{Ageing.DAYS_6_20.value}"', 1) == "1"
    add_day_off(session, date(2025, 3, 10), "Hari jadi kabupaten")
    after = client.get("/admin/").get_data(as_text=True)
    assert cell(after, f'data-ageing="{Ageing.DAYS_1_5.value}"', 1) == "1"
    row = after.split(f'data-ageing="{Ageing.DAYS_1_5.value}"', 1)[1].split("</tr>", 1)[0]
    assert list_rows(client, links(row)[0][0]) == {late.number}


def test_on_saturday_a_case_due_on_friday_is_overdue_in_the_first_bucket(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    case_due(session, users, date(2025, 3, 14))
    with clock.frozen(datetime(2025, 3, 15, 2, 0, tzinfo=UTC)):
        html = dashboard(client, users["manager"])
    assert cell(html, f'data-ageing="{Ageing.DAYS_1_5.value}"', 1) == "1"
    assert cell(html, f'data-ageing="{Ageing.DUE_SOON.value}"', 1) == "0"


def test_the_api_lists_cases_without_a_deadline_as_not_overdue(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    free = case_due(session, users, None)
    late = case_due(session, users, date(2025, 3, 3))
    token = issue_token(session, users["manager"], label="test")
    headers = {"Authorization": f"Bearer {token}"}
    not_late = client.get("/api/v1/cases?overdue=false", headers=headers).get_json()
    assert {i["number"] for i in not_late["items"]} == {free.number}
    unassigned = client.get("/api/v1/cases?assignee=none&open=true", headers=headers).get_json()
    assert {i["number"] for i in unassigned["items"]} == {free.number, late.number}
    bad = client.get("/api/v1/cases?ageing=ancient", headers=headers)
    assert bad.status_code == 422
    assert "ageing" in bad.get_json()["error"]["fields"]


def test_the_list_filters_by_ageing_bucket_and_unassigned_cases(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    soon = case_due(session, users, date(2025, 3, 13), assignee=users["verifier"])
    late = case_due(session, users, date(2025, 2, 3))
    ageing, assignee = FILTER_KEYS.index("ageing"), FILTER_KEYS.index("assignee")
    login(client, users["manager"])
    assert list_rows(client, f"/admin/case/?flt0_{ageing}=due_soon") == {soon.number}
    assert list_rows(client, f"/admin/case/?flt0_{ageing}=over_20") == {late.number}
    assert list_rows(client, f"/admin/case/?flt0_{assignee}=none") == {late.number}


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"overdue": "1"},
        {"state": "submitted", "regency": KUKAR},
        {"pokir_line": "none", "open": "1"},
        {"program": "1", "year": "2025", "overdue": "1"},
        {"assignee": "7", "ageing": Ageing.DAYS_6_20.value},
    ],
)
def test_the_dashboards_link_builder_makes_the_same_urls_as_url_for(
    client: FlaskClient, filters: dict[str, str]
) -> None:
    from admin.cases import CaseView

    view = next(
        v for v in client.application.extensions["admin"][0]._views if isinstance(v, CaseView)
    )
    with client.application.test_request_context("/admin/"):
        args: dict[str, str] = {}
        for index, flt in enumerate(view._filters):
            if flt.key in filters:
                args[f"flt{len(args)}_{view.get_filter_arg(index, flt)}"] = filters[flt.key]
        expected = url_for("case.index_view", **args)
        assert view.list_url_builder()(**filters) == expected
