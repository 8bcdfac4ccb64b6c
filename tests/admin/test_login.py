"""Login, logout, language and error pages of the admin."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy.orm import Session

from casework import clock
from casework.models import User
from casework.storage import DocumentStore
from tests import factories
from tests.admin.helpers import csrf_token, login, page_token, translated


def test_admin_pages_redirect_anonymous_visitors_to_login_with_next(client: FlaskClient) -> None:
    response = client.get("/admin/case/?page=1")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    assert "admin/case" in response.headers["Location"]


def test_dashboard_requires_login(client: FlaskClient) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_with_the_right_password_opens_the_requested_page(
    client: FlaskClient, users: dict[str, User]
) -> None:
    page = client.get("/login?next=/admin/person/")
    response = client.post(
        "/login?next=/admin/person/",
        data={
            "username": users["caseworker"].username,
            "password": factories.PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/person/")
    assert client.get("/admin/person/").status_code == 200


def test_wrong_password_shows_the_message_and_stays_logged_out(
    app: Flask, client: FlaskClient, users: dict[str, User]
) -> None:
    response = login(client, users["caseworker"], password="not-the-password")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert escape(translated(app, "Wrong username or password.")) in html
    assert client.get("/admin/").status_code == 302


def test_navbar_shows_user_role_and_a_logout_form_with_csrf(
    app: Flask, client: FlaskClient, users: dict[str, User]
) -> None:
    login(client, users["verifier"])
    html = client.get("/admin/").get_data(as_text=True)
    assert users["verifier"].full_name in html
    assert escape(translated(app, "Verifier")) in html
    assert 'action="/logout"' in html
    assert "/lang/en?next=/admin/" in html


def test_logout_is_a_post_and_ends_the_session(client: FlaskClient, users: dict[str, User]) -> None:
    login(client, users["verifier"])
    token = page_token(client, "/admin/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_post_without_csrf_token_is_refused(client: FlaskClient, users: dict[str, User]) -> None:
    login(client, users["verifier"])
    response = client.post("/logout", data={})
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200  # still logged in


def test_pages_are_indonesian_by_default_and_english_after_switching(
    client: FlaskClient,
    session: Session,
    users: dict[str, User],
    store: DocumentStore,
) -> None:
    # An event in August: the timeline shows "Agu" in Indonesian and "Aug" in English.
    with clock.frozen(datetime(2026, 8, 3, 2, 0, tzinfo=UTC)):
        case = factories.make_case(session, users["caseworker"], fiscal_year=2026)
        from workflows.engine import advance

        advance(session, case, "cancel", actor=users["caseworker"], reason="Salah input")
    login(client, users["caseworker"])
    url = f"/admin/case/details/?id={case.id}"
    html = client.get(url).get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "3 Agu 2026" in html
    client.get(f"/lang/en?next={url}")
    html = client.get(url).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "3 Aug 2026" in html


def test_an_unknown_record_shows_a_translated_404_page_without_trace(
    app: Flask, client: FlaskClient, users: dict[str, User]
) -> None:
    login(client, users["manager"])
    response = client.get("/admin/case/details/?id=999999")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert escape(translated(app, "The record was not found.")) in html
    assert "Traceback" not in html
