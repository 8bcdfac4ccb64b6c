"""Structured logs for production: one JSON object per line on stdout.

Fields: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, and inside a request
``request_id`` (the ``X-Request-ID`` header when it is a sane token, else a new one; it
is echoed in the response) and ``user_id`` (the logged-in staff member or API token
owner). Exceptions add ``exception`` (the formatted traceback). Enabled with
``LOG_FORMAT=json`` (``BERDAYA_LOG_FORMAT``); gunicorn.conf.py does it for gunicorn.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Libraries that log routine steps at INFO: WeasyPrint's rendering steps and fontTools'
# font subsetting (a dozen lines per letter), transitions' every state change, ...
NOISY_LOGGERS = (
    "weasyprint",
    "fontTools",
    "transitions",
    "alembic.runtime.plugins",
    "apscheduler.executors",
)


def quiet_noisy_loggers() -> None:
    """Only warnings and errors from the libraries of ``NOISY_LOGGERS``."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _user_id() -> int | None:
    api_user = g.get("api_user")
    if api_user is not None:
        return int(api_user.id)
    try:
        from flask_login import current_user
    except ImportError:  # pragma: no cover
        return None
    if getattr(current_user, "is_authenticated", False):
        return int(current_user.id)
    return None


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line (non-ASCII kept, keys in a fixed order)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = g.get("request_id")
            entry["user_id"] = _user_id()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_json_logging(level: int = logging.INFO) -> None:
    """Every log record of the process as JSON lines on stdout (replaces root handlers)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_noisy_loggers()


def _assign_request_id() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex


def _echo_request_id(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def init_logging(app: Flask) -> None:
    """Request ids always; JSON lines when ``LOG_FORMAT`` is ``json``."""
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    chosen = app.config.get("LOG_FORMAT") or os.environ.get("BERDAYA_LOG_FORMAT", "")
    if str(chosen).lower() == "json":
        configure_json_logging()
