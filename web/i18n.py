"""Language selection (Bahasa Indonesia by default, English selectable) and formatting."""

from __future__ import annotations

from datetime import date, datetime

from babel.numbers import format_decimal
from flask import Flask, current_app, request, session
from flask_babel import Babel, format_date, format_datetime, get_translations, gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.meta import DefaultMeta

from casework.clock import WITA
from casework.errors import DomainError, ValidationError

babel = Babel()


def select_locale() -> str:
    """?lang= (remembered in the session), then the user's choice, then Indonesian.

    API clients choose with Accept-Language; screens stay Indonesian unless switched.
    """
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return str(chosen)
    if request.path.startswith("/api/"):
        return str(request.accept_languages.best_match(languages) or "id")
    if session.get("lang") in languages:
        return str(session["lang"])
    user_locale = getattr(current_user, "locale", None) if current_user else None
    return str(user_locale) if user_locale in languages else "id"


def translate(message: str) -> str:
    """Translate a domain message id for the current request's language."""
    return gettext(message) if message else message


def error_message(error: DomainError) -> str:
    return error.render(translate)


def error_fields(error: ValidationError) -> dict[str, list[str]]:
    return error.render_fields(translate)


def rupiah(amount: int | None) -> str:
    """Rp5.000.000 — Indonesian grouping whatever the screen language."""
    if amount is None:
        return ""
    return "Rp" + format_decimal(amount, format="#,##0", locale="id")


def wita_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value.astimezone(WITA), "d MMM yyyy HH:mm") + " WITA"


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(WITA).date()
    return format_date(value, "d MMMM yyyy")


class FormTranslations:
    """WTForms' own messages ("This field is required.", "Not a valid date value.", ...)
    through our catalogue: WTForms ships no Indonesian, so messages.po translates them."""

    def gettext(self, string: str) -> str:
        return str(get_translations().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ungettext(singular, plural, n))


FORM_TRANSLATIONS = FormTranslations()


class TranslatedForm(FlaskForm):
    """A Flask-WTF form whose built-in validator messages follow the screen language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: object) -> FormTranslations:
            return FORM_TRANSLATIONS


class TranslatedSubform(Form):
    """A plain WTForms form (a FormField's rows, no CSRF of its own), translated likewise."""

    class Meta(DefaultMeta):
        def get_translations(self, form: object) -> FormTranslations:
            return FORM_TRANSLATIONS


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Makassar")
    app.jinja_env.filters.update(
        rupiah=rupiah, wita=wita_datetime, long_date=long_date, tr=translate
    )

    @app.context_processor
    def _language() -> dict[str, object]:
        from flask_babel import get_locale

        return {"current_language": str(get_locale() or "id"), "languages": app.config["LANGUAGES"]}
