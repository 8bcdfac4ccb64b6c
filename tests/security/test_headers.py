"""Security headers on every kind of page, a CSP without inline scripts, HSTS only over
TLS, and error pages (HTML and JSON) that never show a stack trace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from casework import policy
from casework.models import User
from casework.services.users import issue_token
from tests.admin.helpers import login, translated
from web.db import db

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _directives(csp: str) -> dict[str, list[str]]:
    parts = [p.split() for p in csp.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def _assert_hardened(headers: Any) -> None:
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, name
    assert "camera=()" in headers["Permissions-Policy"]
    csp = _directives(headers["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]


def test_the_login_page_is_hardened(client: FlaskClient) -> None:
    response = client.get("/login")
    _assert_hardened(response.headers)
    assert response.headers["Cache-Control"] == "no-store"


def test_admin_pages_are_hardened(client: FlaskClient, users: dict[str, User]) -> None:
    login(client, users["admin"])
    for url in ("/admin/", "/admin/case/", "/admin/auditlog/", "/admin/myaccount/"):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_hardened(response.headers)


def test_api_answers_are_hardened(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    raw = issue_token(session, users["caseworker"])
    session.flush()
    ok = client.get("/api/v1/persons", headers={"Authorization": f"Bearer {raw}"})
    refused = client.get("/api/v1/persons")
    assert (ok.status_code, refused.status_code) == (200, 401)
    _assert_hardened(ok.headers)
    _assert_hardened(refused.headers)
    _assert_hardened(client.get("/api/v1/openapi.json").headers)


def test_error_pages_are_hardened(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    _assert_hardened(response.headers)


def test_static_files_are_hardened_but_cacheable(client: FlaskClient) -> None:
    response = client.get("/static/berdaya.css")
    assert response.status_code == 200
    _assert_hardened(response.headers)
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


def test_the_csp_never_allows_inline_or_evaluated_scripts(client: FlaskClient) -> None:
    csp = client.get("/login").headers["Content-Security-Policy"]
    scripts = _directives(csp)["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert not any(source.startswith(("http:", "https:", "*")) for source in scripts)


def test_our_pages_carry_no_inline_script(client: FlaskClient, users: dict[str, User]) -> None:
    login(client, users["manager"])
    for url in ("/login", "/admin/", "/admin/case/", "/admin/person/", "/admin/myaccount/"):
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (url, tag)


def test_hsts_is_sent_only_over_tls(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "HSTS_SECONDS", 31_536_000)
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://berdaya.test")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.fixture()
def failing_app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """A second app on the same database with test-only routes that raise.

    Routes cannot be added to the suite's app once it has served requests; building
    another app re-binds the shared ``db`` object, which is put back afterwards. The
    test-only routes are public for the time of the test (web/access.py refuses a view
    outside the policy).
    """
    monkeypatch.setattr(policy, "PUBLIC_ENDPOINTS", policy.PUBLIC_ENDPOINTS | {"boom", "api_boom"})
    from web import create_app

    saved_engine = db.engine
    saved = {k: db.session_factory.kw.get(k) for k in ("bind", "join_transaction_mode")}
    overrides = {
        key: app.config[key]
        for key in (
            "TESTING",
            "SECRET_KEY",
            "DATABASE_URL",
            "SCHEDULER_ENABLED",
            "UPLOAD_DIR",
            "DATA_KEYS",  # the keyring is process-wide: keep the suite's keys
            "HMAC_KEY",
        )
    }
    failing = create_app(overrides | {"SERVER_NAME": "berdaya.test"})
    db.session_factory.configure(join_transaction_mode="rollback_only")

    def explode() -> str:
        raise RuntimeError("secret internals: /srv/berdaya/casework/services/x.py line 42")

    failing.add_url_rule("/boom", "boom", explode)
    failing.add_url_rule("/api/v1/boom", "api_boom", explode)
    try:
        yield failing
    finally:
        new_engine = db.engine
        db.engine = saved_engine
        db.session.remove()
        db.session_factory.configure(**saved)
        if new_engine is not None and new_engine is not saved_engine:
            new_engine.dispose()


def test_an_unexpected_error_shows_a_translated_page_without_a_stack_trace(
    failing_app: Flask,
) -> None:
    with failing_app.test_client() as browser:
        response = browser.get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    expected = translated(
        failing_app, "Something went wrong on our side. The error has been logged."
    )
    assert expected in html
    assert "Traceback" not in html and "secret internals" not in html
    _assert_hardened(response.headers)


def test_an_unexpected_api_error_answers_json_without_a_stack_trace(failing_app: Flask) -> None:
    with failing_app.test_client() as browser:
        response = browser.get("/api/v1/boom")
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"]["code"] == "internal_error"
    assert "secret internals" not in response.get_data(as_text=True)
    _assert_hardened(response.headers)
