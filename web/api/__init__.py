"""The JSON API v1 under /api/v1, documented at /api/v1/openapi.json.

Errors keep the one shape of web/errors.py (``{"error": {"code", "message", ...}}``):
flask-smorest's own error handler is not installed, so web/errors.py answers every
HTTPException and DomainError, and the document describes that shape.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from web.api import (
    cases,
    decrees,
    disbursement,
    followup,
    letters,
    persons,
    pokir,
    privacy,
    reference,
    reports,
    verification,
)
from web.api.schemas import ErrorSchema

BEARER_SCHEME = "bearerAuth"


class BerdayaApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """Leave error rendering to web/errors.py (one shape for the whole API)."""


def init_api(app: Flask) -> None:
    """Register the API blueprints, exempt them from CSRF (bearer tokens, no cookies)."""
    from web.app import csrf

    api = BerdayaApi(app, spec_kwargs={"security": [{BEARER_SCHEME: []}]})
    api.spec.components.security_scheme(
        BEARER_SCHEME,
        {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token issued to a staff account (`flask users token USERNAME`).",
        },
    )
    for module in (
        reference,
        persons,
        cases,
        verification,
        followup,
        reports,
        pokir,
        decrees,
        disbursement,
        privacy,
        letters,
    ):
        api.register_blueprint(module.bp)
        csrf.exempt(module.bp)
    app.extensions["berdaya_api"] = api
