"""The public status page (/status): a beneficiary checks their application on a phone.

No login: the case number plus the birth date or the last 4 digits of the NIK open one
case (casework/services/status.py decides what is shown). Lookups are rate-limited per
address; a wrong combination and an unknown number get the same answer.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Flask, Response, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import TooManyRequests
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional

from casework.errors import NotFound, ValidationError
from casework.services.status import PublicStatus, StatusQuery, public_status
from web.db import db
from web.i18n import TranslatedForm, error_fields, error_message
from web.limits import limiter

bp = Blueprint("status", __name__, url_prefix="/status")

LOOKUP_LIMIT_DEFAULT = "10/minute;60/hour"


class StatusForm(TranslatedForm):
    number = StringField(
        _l("Case number"),
        validators=[Length(max=32)],
        description=_l("As written on your receipt, e.g. WRSE-2026-000123."),
        render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"},
    )
    birth_date = DateField(_l("Birth date"), validators=[Optional()])
    nik_last4 = StringField(
        _l("Or: the last 4 digits of your NIK"),
        validators=[Optional(), Length(max=4)],
        render_kw={"inputmode": "numeric", "pattern": "[0-9]{4}", "autocomplete": "off"},
    )


def _lookup_limit() -> str:
    return str(current_app.config.get("STATUS_LOOKUP_LIMIT", LOOKUP_LIMIT_DEFAULT))


@bp.route("/", methods=["GET"])
def form() -> ResponseReturnValue:
    return render_template("status/form.html", form=StatusForm(formdata=None))


@bp.route("/", methods=["POST"])
@limiter.limit(_lookup_limit)
def lookup() -> ResponseReturnValue:
    form = StatusForm()
    if not form.validate():
        expired = gettext("The form has expired; please try again.")
        return _form_again(form, expired if form.csrf_token.errors else None, 422)
    query = StatusQuery(
        number=form.number.data or "",
        birth_date=form.birth_date.data,
        nik_last4=form.nik_last4.data or "",
    )
    try:
        status = public_status(db.current(), query)
    except ValidationError as error:
        for name, messages in error_fields(error).items():
            getattr(form, name).errors = [*getattr(form, name).errors, *messages]
        return _form_again(form, error_message(error), 422)
    except NotFound as error:
        return _form_again(form, error_message(error), 404)
    finally:
        db.session.rollback()  # read only
    return _result(status)


def _form_again(form: StatusForm, message: str | None, status: int) -> ResponseReturnValue:
    return render_template("status/form.html", form=form, message=message), status


def verify_url(code: str) -> str:
    """The public verification page of a letter (served by the letters blueprint)."""
    return "/verify/" + quote(code, safe="")


def _result(status: PublicStatus) -> Response:
    response = Response(render_template("status/result.html", status=status, verify_url=verify_url))
    # Personal: never cached by a shared or back-button cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(TooManyRequests)
def _too_many(_error: TooManyRequests) -> ResponseReturnValue:
    return render_template("status/too_many.html"), 429


def init_status(app: Flask) -> None:
    app.register_blueprint(bp)
