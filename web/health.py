"""``GET /healthz`` for load balancers and process supervisors: no login, no details.

200 ``{"status": "ok"}`` when the database answers ``SELECT 1`` and its schema is at the
migrations' head revision(s); 503 ``{"status": "unavailable"}`` otherwise. What failed is
logged, never shown: the probe is public.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from web.db import db

log = logging.getLogger("berdaya.health")
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

bp = Blueprint("health", __name__)


@cache
def expected_revisions() -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code (read once)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_problem() -> str | None:
    """Why the database is not fit to serve, or None (read on the request's session)."""
    session = db.current()
    try:
        session.execute(text("SELECT 1"))
        found = set(session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError as error:
        return f"database unreachable: {type(error).__name__}"
    finally:
        session.rollback()
    if found != expected_revisions():
        return f"schema at {sorted(found)}, code expects {sorted(expected_revisions())}"
    return None


@bp.get("/healthz")
def healthz() -> Response:
    problem = database_problem()
    if problem is not None:
        log.warning("health check failed: %s", problem)
        response = jsonify(status="unavailable")
        response.status_code = 503
    else:
        response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


def init_health(app: Flask) -> None:
    app.register_blueprint(bp)
    from web.limits import limiter

    limiter.exempt(bp)
