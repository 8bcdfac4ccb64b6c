"""API fixtures: a client that carries a bearer token, and a small Indonesian catalogue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import get_babel
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from casework.models import User
from casework.services.users import issue_token
from web.i18n import babel

# Indonesian for the few messages the API tests read; the project's catalogue is still
# being translated, so the tests bring their own and check that the API uses it.
INDONESIAN = {
    "The NIK must have exactly 16 digits; %(count)s were entered.": (
        "NIK harus terdiri dari tepat 16 digit; yang dimasukkan %(count)s digit."
    ),
    "Missing data for required field.": "Wajib diisi.",
    "Not a valid date.": "Tanggal tidak sah.",
    "Please log in or give a valid token.": "Silakan masuk atau berikan token yang sah.",
    "Draft": "Konsep",
}


class ApiClient:
    """The Flask test client speaking to /api/v1 with one user's bearer token."""

    def __init__(self, client: FlaskClient, token: str, language: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        if language:
            self.headers["Accept-Language"] = language

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get("/api/v1" + path, headers=self.headers, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.post("/api/v1" + path, headers=self.headers, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.put("/api/v1" + path, headers=self.headers, **kwargs)


@pytest.fixture()
def api_as(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> Callable[..., ApiClient]:
    """``api_as("caseworker")`` (a key of ``users``, or a User): a client with a fresh token."""

    def make(who: str | User, *, language: str | None = None) -> ApiClient:
        user = users[who] if isinstance(who, str) else who
        return ApiClient(client, issue_token(session, user, label="test"), language)

    return make


@pytest.fixture()
def indonesian(app: Flask, tmp_path: Path) -> Iterator[None]:
    """Add a compiled Indonesian catalogue of INDONESIAN to the app for one test."""
    catalog = Catalog(locale="id")
    for msgid, msgstr in INDONESIAN.items():
        catalog.add(msgid, msgstr, flags=("python-format",) if "%(" in msgid else ())
    folder = tmp_path / "id" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as handle:
        write_mo(handle, catalog)
    directories = get_babel(app).translation_directories
    directories.append(str(tmp_path))
    with app.app_context():
        cache = babel.domain_instance.cache
    cache.clear()
    try:
        yield
    finally:
        directories.remove(str(tmp_path))
        cache.clear()
