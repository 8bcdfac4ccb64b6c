"""Logging in through the real form, and reading CSRF tokens from pages."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from werkzeug.test import TestResponse

from casework.models import User
from tests.factories import PASSWORD

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    """The first CSRF token on the page."""
    match = _TOKEN.search(html)
    assert match is not None, "no csrf_token on the page"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, user: User | str, password: str = PASSWORD) -> TestResponse:
    """Log in with the login form (its CSRF token parsed from the page)."""
    username = user if isinstance(user, str) else user.username
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )


def page_token(client: FlaskClient, url: str) -> str:
    """A CSRF token from the page at ``url`` (any form on it)."""
    return csrf_token(client.get(url).get_data(as_text=True))


def translated(app: Flask, message: str, locale: str = "id") -> str:
    """``message`` as the catalogue renders it in ``locale`` (the expected text on screen)."""
    with app.test_request_context(), force_locale(locale):
        return gettext(message)
