"""/healthz for the load balancer, and the JSON log lines of production."""

from __future__ import annotations

import json
import logging

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from web.logging import JsonFormatter


def test_healthz_answers_ok_without_login_when_the_schema_is_current(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_answers_503_without_details_when_the_schema_is_behind(
    client: FlaskClient, session: Session
) -> None:
    session.execute(text("DELETE FROM alembic_version"))
    session.execute(text("INSERT INTO alembic_version (version_num) VALUES ('f5e6d7c8b9a0')"))
    session.flush()

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}
    assert "f5e6d7c8b9a0" not in response.get_data(as_text=True)


def test_every_response_carries_a_request_id_and_keeps_a_sane_one_it_was_given(
    client: FlaskClient,
) -> None:
    fresh = client.get("/healthz").headers["X-Request-ID"]
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"}).headers["X-Request-ID"]
    refused = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]

    assert len(fresh) == 32
    assert kept == "lb-1234abcd"
    assert refused != "<script>"


def test_a_log_record_in_a_request_is_one_json_line_with_request_and_user(app: Flask) -> None:
    record = logging.LogRecord("berdaya.api", logging.WARNING, __file__, 1, "late %s", ("x",), None)
    with app.test_request_context("/healthz"):
        from flask import g

        g.request_id = "req-12345678"
        line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "WARNING" and entry["logger"] == "berdaya.api"
    assert entry["message"] == "late x"
    assert entry["request_id"] == "req-12345678" and entry["user_id"] is None
    assert entry["time"].endswith("+00:00")
