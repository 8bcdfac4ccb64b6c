"""Errors as the user should see them: translated, JSON for the API, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from casework.errors import (
    DomainError,
    Duplicate,
    GuardFailed,
    InvalidTransition,
    ValidationError,
)
from casework.i18n import N_
from web.db import db
from web.i18n import error_fields, error_message

log = logging.getLogger("berdaya")


def domain_error_body(error: DomainError) -> dict[str, Any]:
    """The API's error object for a domain error."""
    body: dict[str, Any] = {"code": error.code, "message": error_message(error)}
    if isinstance(error, ValidationError):
        body["fields"] = error_fields(error)
    if isinstance(error, InvalidTransition):
        body["allowed_triggers"] = error.allowed_triggers
    if isinstance(error, GuardFailed):
        body["rule"] = error.rule
    if isinstance(error, Duplicate) and error.existing_id is not None:
        body["existing_id"] = error.existing_id
    return body


def json_error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message, **extra}}), status


def _wants_json() -> bool:
    return request.path.startswith("/api/")


HTTP_MESSAGES = {
    400: N_("The request could not be understood."),
    401: N_("Please log in or give a valid token."),
    403: N_("You are not allowed to do this."),
    404: N_("The page or record was not found."),
    405: N_("This method is not allowed here."),
    409: N_("The request conflicts with the current state."),
    413: N_("The upload is too large."),
    422: N_("Some fields are not valid."),
    429: N_("Too many requests; please wait a moment."),
    500: N_("Something went wrong on our side. The error has been logged."),
}


def init_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Any:
        db.session.rollback()
        if _wants_json():
            return jsonify({"error": domain_error_body(error)}), error.status
        return render_template(
            "errors/error.html", status=error.status, message=error_message(error)
        ), error.status

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        status = error.code or 500
        message = gettext(HTTP_MESSAGES.get(status, N_("The request could not be completed.")))
        if _wants_json():
            extra: dict[str, Any] = {}
            data = getattr(error, "data", None)
            if status == 422 and isinstance(data, dict) and "messages" in data:
                extra["fields"] = _flatten(data["messages"])
            code = {422: "validation_error"}.get(
                status, (error.name or "error").lower().replace(" ", "_")
            )
            response, _ = json_error(status, code, message, **extra)
            if status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="berdaya"'
            return response, status
        return render_template("errors/error.html", status=status, message=message), status

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = gettext(HTTP_MESSAGES[500])
        if _wants_json():
            return json_error(500, "internal_error", message)
        return render_template("errors/error.html", status=500, message=message), 500


def _flatten(messages: Any) -> dict[str, list[str]]:
    """webargs nests errors by location ({"json": {"field": [...]}}); clients want fields."""
    fields: dict[str, list[str]] = {}
    if not isinstance(messages, dict):
        return {"_": [str(messages)]}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            for name, errs in location_errors.items():
                fields[str(name)] = (
                    [str(e) for e in errs] if isinstance(errs, list) else [str(errs)]
                )
    return fields
