"""The base of every Berdaya model view: login and role gate, Flask-WTF CSRF, domain errors."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from flask import flash
from flask_admin.contrib.sqla import ModelView
from wtforms import Form

from admin.exports import XlsxExportMixin
from admin.security import RoleGate
from casework.errors import DomainError, ValidationError
from web.db import db
from web.i18n import TranslatedForm, error_fields, error_message


class AdminForm(TranslatedForm):
    """Every admin form carries Flask-WTF's CSRF token, the one CSRFProtect checks globally.

    (flask_admin.form.SecureForm signs its own token format, which the global
    CSRFProtect would refuse; one token for all forms keeps both checks agreeing.)
    """


def show_domain_error(
    error: DomainError, form: Form | None = None, field_map: Mapping[str, str] | None = None
) -> None:
    """Flash the translated error and put field messages next to the form's fields."""
    db.session.rollback()
    flash(error_message(error), "error")
    if not isinstance(error, ValidationError):
        return
    for name, messages in error_fields(error).items():
        field = getattr(form, (field_map or {}).get(name, name), None) if form else None
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            for message in messages:
                flash(message, "error")


class BerdayaModelView(RoleGate, XlsxExportMixin, ModelView):
    """Model view on the request's session; writes go through services, never populate_obj."""

    form_base_class = AdminForm
    simple_list_pager = True
    page_size = 20
    can_set_page_size = True
    can_view_details = True
    list_template = "admin/model/list.html"

    def __init__(self, model: type, **kwargs: Any) -> None:
        # Flask-Admin 2 prefers a Flask-SQLAlchemy object and warns about a plain session;
        # Berdaya has no Flask-SQLAlchemy, and the scoped session is exactly what it needs.
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Passing a session object directly", category=DeprecationWarning
            )
            super().__init__(model, db.session, **kwargs)

    def get_list(
        self, page: Any, sort_column: Any, sort_desc: Any, search: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """The list, searched for the text a person could have typed: control characters
        (a NUL, which PostgreSQL refuses in a string) are dropped before any query."""
        if search:
            search = "".join(ch for ch in search if ch.isprintable() or ch == " ")
        return super().get_list(page, sort_column, sort_desc, search, *args, **kwargs)

    @property
    def can_create(self) -> bool:
        return self.may_edit

    @property
    def can_edit(self) -> bool:
        return self.may_edit

    @property
    def can_delete(self) -> bool:
        return False

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, DomainError):
            show_domain_error(exc)
            return True
        return super().handle_view_exception(exc)
