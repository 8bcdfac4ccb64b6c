"""What every API blueprint shares: bearer authentication, role gates, one unit of work
per request, argument parsing with translated per-field errors, and page slicing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import fields as dataclass_fields
from dataclasses import is_dataclass
from typing import Any, TypeVar

import marshmallow as ma
from flask import Response, current_app, g, jsonify, request
from flask_babel import gettext
from flask_smorest import Blueprint
from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from webargs.flaskparser import FlaskParser, abort
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import NotFound, Unauthorized

from casework import policy
from casework.errors import NotAllowed
from casework.i18n import N_
from casework.models.user import User
from casework.policy import declared_action, requires
from casework.services.login import must_set_up_totp
from casework.services.users import user_for_token
from web.db import db

log = logging.getLogger("berdaya.api")
F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["requires"]  # the one decorator every API view declares its action with


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
    if must_set_up_totp(user, current_app.config.get("TOTP_REQUIRED_ROLES", ())):
        raise NotAllowed(
            N_("Your role must use two-step login: set it up on your account page first.")
        )
    g.api_user = user


def enforce_policy() -> None:
    """Refuse (403) what casework/policy.py does not allow the caller's role and region.

    Every API view declares its action with ``@requires``; a view without one is refused
    to everybody (and named by the authorization matrix test). Then every URL argument that
    names a region-bound record is resolved: another kabupaten/kota's record answers 404
    before the view parses (and would refuse with 422) the body.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    action = declared_action(view) if view is not None else None
    if action is None:
        raise NotAllowed()
    policy.require(current_actor(), action)
    _preload(view)
    policy.require_records_in_region(db.current(), current_actor(), request.view_args)


PRELOAD_ATTRIBUTE = "_api_preload"


def preloads(model: Any, argument: str, *options: Any) -> Callable[[F], F]:
    """Declare that the view reads the ``model`` record its URL ``argument`` names, with
    ``options`` (eager loads): the gate reads it once, before its region check, which then
    finds it in the session instead of running a SELECT of its own, and so does the view
    (``session.get``). One statement for the check and the view instead of two."""

    stmt = select(model).where(model.id == bindparam("record_id")).options(*options)

    def declare(view: F) -> F:
        setattr(view, PRELOAD_ATTRIBUTE, (argument, stmt))
        return view

    return declare


def _preload(view: Callable[..., Any] | None) -> None:
    declared = getattr(view, PRELOAD_ATTRIBUTE, None)
    if declared is None:
        return
    argument, stmt = declared
    record_id = (request.view_args or {}).get(argument)
    if isinstance(record_id, int) and 0 < record_id <= INT32_MAX:
        # Held for the request: the session's identity map only keeps objects referenced.
        g.api_preloaded = db.current().scalars(stmt, {"record_id": record_id}).first()


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


# Integers the database can hold: money columns are BIGINT, every other integer column
# (ids, years, versions, counts) is INTEGER; larger values are refused field by field.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
MONEY_WORDS = ("amount", "ceiling", "price", "income", "total")
OUT_OF_RANGE = N_("The number is out of the allowed range.")
NOT_A_STRING = N_("Not a valid string.")


def _integer_limit(name: str) -> int:
    return INT64_MAX if any(word in name for word in MONEY_WORDS) else INT32_MAX


def _storable_problem(name: str, value: Any) -> str | None:
    """Why a parsed value cannot be stored (too large an integer, a NUL character or a lone
    surrogate in text), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return OUT_OF_RANGE if abs(value) > _integer_limit(name) else None
    if isinstance(value, str):
        if "\x00" in value:
            return NOT_A_STRING
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return NOT_A_STRING
    return None


def unstorable_values(data: Any, name: str = "") -> dict[str, list[str]]:
    """Parsed arguments the database would refuse, as ``{"items-0-quantity": [message]}``."""
    if is_dataclass(data) and not isinstance(data, type):
        data = {item.name: getattr(data, item.name) for item in dataclass_fields(data)}
    if isinstance(data, Mapping):
        found: dict[str, list[str]] = {}
        for key, value in data.items():
            found.update(unstorable_values(value, f"{name}-{key}" if name else str(key)))
        return found
    if isinstance(data, list | tuple):
        found = {}
        for index, value in enumerate(data):
            found.update(unstorable_values(value, f"{name}-{index}" if name else str(index)))
        return found
    problem = _storable_problem(name, data)
    return {name or "_schema": [problem]} if problem else {}


def ids_in_range() -> None:
    """A path id beyond what an INTEGER column holds names no record: 404."""
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and abs(value) > INT32_MAX:
            raise NotFound()


_SCHEMA_INSTANCES: dict[type[ma.Schema], ma.Schema] = {}


class ApiParser(FlaskParser):
    """webargs with a ``form_and_files`` location (multipart uploads) and errors whose
    fields are flat and translated, in the shape web/errors.py renders.

    Unknown query parameters are refused (a misspelt filter must not silently return
    every row), and so are values the database could not store (see unstorable_values).
    """

    __location_map__ = {**FlaskParser.__location_map__, "form_and_files": "load_form_and_files"}
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def _get_schema(self, argmap: Any, req: Any) -> ma.Schema:
        """One instance per schema class for the process (webargs makes one per request,
        a tenth of a short request's time; loading does not change a schema)."""
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = _SCHEMA_INSTANCES.get(argmap)
            if schema is None:
                schema = _SCHEMA_INSTANCES.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)

    def _process_location_data(self, location_data: Any, schema: ma.Schema, *args: Any) -> Any:
        data = super()._process_location_data(location_data, schema, *args)
        problems = unstorable_values(data)
        if problems:
            raise ma.ValidationError(problems)
        return data

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
    """A blueprint under /api/v1 whose requests are authenticated, checked against the
    access policy (each view's ``@requires``) and one unit of work.

    ``personal_data`` documents that the blueprint serves personal data; who may read it
    is the policy's answer (casework/policy.py), not this flag.
    """
    bp = ApiBlueprint(name, __name__, url_prefix="/api/v1", description=description)
    bp.before_request(authenticate)
    bp.before_request(enforce_policy)
    bp.before_request(ids_in_range)
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
