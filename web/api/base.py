"""What every API blueprint shares: bearer authentication, role gates, one unit of work
per request, argument parsing with translated per-field errors, and page slicing."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Response, current_app, g, jsonify, request
from flask_babel import gettext
from flask_smorest import Blueprint
from sqlalchemy import Select
from sqlalchemy.exc import SQLAlchemyError
from webargs.flaskparser import FlaskParser, abort
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import Unauthorized

from casework.errors import NotAllowed
from casework.i18n import N_
from casework.models.user import Role, User
from casework.services.users import user_for_token
from web.db import db

log = logging.getLogger("berdaya.api")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY_ROLES = frozenset({Role.AUDITOR, Role.DPRD_LIAISON})

# marshmallow's own messages, marked so that the translator finds them in the catalogue.
SCHEMA_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid type."),
    N_("Invalid input type."),
    N_("Unknown field."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Invalid JSON body."),
)


def current_actor() -> User:
    """The user the request's bearer token belongs to (set by the blueprint hook)."""
    actor: User = g.api_user
    return actor


def _bearer_token() -> str | None:
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    raw = raw.strip()
    return raw if scheme.lower() == "bearer" and raw else None


def authenticate() -> None:
    """Find the user of the bearer token; 401 when it is missing, unknown, expired or revoked.

    ``user_for_token`` stamps the token's last use; the request's commit keeps it.
    """
    raw = _bearer_token()
    user = user_for_token(db.current(), raw) if raw else None
    if user is None:
        raise Unauthorized()
    g.api_user = user


def require_personal_data_role() -> None:
    """Persons, groups, cases and documents are closed to roles without personal data."""
    if not current_actor().sees_personal_data:
        raise NotAllowed()


def refuse_writes_of_read_only_roles() -> None:
    """Auditors (and DPRD liaisons) read; they never write, whatever the endpoint."""
    actor = current_actor()
    if request.method not in READ_METHODS and actor.role in READ_ONLY_ROLES:
        raise NotAllowed()


def finish_unit_of_work(response: Response) -> Response:
    """Commit once when the request succeeded, roll back otherwise."""
    session = db.current()
    if response.status_code >= 400:
        session.rollback()
        return response
    try:
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.exception("commit failed on %s %s", request.method, request.path)
        failed = jsonify(
            {
                "error": {
                    "code": "internal_error",
                    "message": gettext(
                        "Something went wrong on our side. The error has been logged."
                    ),
                }
            }
        )
        failed.status_code = 500
        return failed
    return response


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested marshmallow messages as flat, translated fields: ``items-0-name``."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = f"{prefix}-{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
        return flat
    items = messages if isinstance(messages, list) else [messages]
    texts = [m for m in items if isinstance(m, str)]
    nested = [m for m in items if not isinstance(m, str)]
    flat = {prefix or "_schema": [gettext(m) for m in texts]} if texts else {}
    for value in nested:
        flat.update(_flatten(value, prefix))
    return flat


class ApiParser(FlaskParser):
    """webargs with a ``form_and_files`` location (multipart uploads) and errors whose
    fields are flat and translated, in the shape web/errors.py renders."""

    __location_map__ = {**FlaskParser.__location_map__, "form_and_files": "load_form_and_files"}

    def load_form_and_files(self, req: Any, schema: ma.Schema) -> MultiDictProxy:
        return MultiDictProxy(CombinedMultiDict([req.form, req.files]), schema)

    def handle_error(
        self,
        error: ma.ValidationError,
        req: Any,
        schema: ma.Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> Any:
        messages = error.messages
        by_location = messages if isinstance(messages, Mapping) else {"body": messages}
        abort(
            error_status_code or self.DEFAULT_VALIDATION_STATUS,
            exc=error,
            messages={loc: _flatten(msgs) for loc, msgs in by_location.items()},
            schema=schema,
            headers=error_headers,
        )


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ApiParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "form_and_files": "multipart/form-data",
    }


def make_blueprint(name: str, description: str, *, personal_data: bool) -> ApiBlueprint:
    """A blueprint under /api/v1 whose requests are authenticated and one unit of work."""
    bp = ApiBlueprint(name, __name__, url_prefix="/api/v1", description=description)
    bp.before_request(authenticate)
    if personal_data:
        bp.before_request(require_personal_data_role)
    bp.before_request(refuse_writes_of_read_only_roles)
    bp.after_request(finish_unit_of_work)
    return bp


def page_size(per_page: int) -> int:
    """``per_page`` capped by API_PAGE_SIZE_MAX."""
    return max(1, min(per_page, int(current_app.config["API_PAGE_SIZE_MAX"])))


def paginate(stmt: Select[Any], page: int, per_page: int) -> dict[str, Any]:
    """One page of ``stmt`` (ordered by the caller): fetch one row more to know ``has_next``;
    no COUNT of the whole result."""
    per_page = page_size(per_page)
    rows = list(db.current().scalars(stmt.limit(per_page + 1).offset((page - 1) * per_page)))
    return {
        "items": rows[:per_page],
        "page": page,
        "per_page": per_page,
        "has_next": len(rows) > per_page,
    }
