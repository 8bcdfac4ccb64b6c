"""My account: my language, change my password, set up the TOTP second factor, list and revoke
my API tokens.

Every logged-in user may open it for their own account only; writes go through
casework/services (users, login) and the request commits once.
"""

from __future__ import annotations

from typing import Any

import segno
from flask import flash, redirect, request, session, url_for
from flask_admin import BaseView, expose
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, Optional

from admin.base import show_domain_error
from admin.security import RoleGate, require_actor
from casework import clock
from casework.errors import DomainError
from casework.models.user import User
from casework.services import login as login_service
from casework.services.users import (
    LANGUAGES,
    change_password,
    issue_token,
    revoke_token,
    set_language,
    tokens_of,
)
from web.auth import required_totp_roles
from web.db import db
from web.i18n import TranslatedForm

# Each language is named in itself, whatever the screen language, so anyone finds theirs.
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


class LanguageForm(TranslatedForm):
    locale = RadioField(
        _l("Language"),
        choices=[SelectChoice(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES],
        validators=[InputRequired()],
    )


class PasswordForm(TranslatedForm):
    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(), Length(max=200)]
    )
    password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class CodeForm(TranslatedForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=12)])


class DisableTotpForm(TranslatedForm):
    password = PasswordField(_l("Current password"), validators=[InputRequired(), Length(max=200)])


class TokenForm(TranslatedForm):
    label = StringField(_l("Label"), validators=[Optional(), Length(max=120)])
    days = IntegerField(
        _l("Valid for (days)"), default=90, validators=[InputRequired(), NumberRange(1, 365)]
    )


class AccountView(RoleGate, BaseView):
    """The logged-in user's own login settings."""

    read_action = "profile.read"
    endpoint_actions = {
        "change_language": "profile.write",
        "change_password": "profile.write",
        "totp_start": "profile.write",
        "totp_confirm": "profile.write",
        "totp_disable": "profile.write",
        "token_issue": "profile.write",
        "token_revoke": "profile.write",
    }

    def _page(self, **forms: Any) -> Any:
        user = require_actor()
        qr = None
        if user.totp_secret and not login_service.totp_enabled(user):
            uri = login_service.provisioning_uri(user)
            qr = segno.make(uri, error="m").svg_data_uri(scale=4)
        return self.render(
            "admin/account.html",
            user=user,
            language_form=forms.get("language_form") or LanguageForm(locale=user.locale),
            password_form=forms.get("password_form") or PasswordForm(),
            code_form=forms.get("code_form") or CodeForm(),
            disable_form=forms.get("disable_form") or DisableTotpForm(),
            token_form=forms.get("token_form") or TokenForm(),
            new_token=forms.get("new_token"),
            may_use_totp=login_service.may_use_totp(user),
            totp_required=user.role in required_totp_roles(),
            totp_enabled=login_service.totp_enabled(user),
            qr=qr,
            tokens=tokens_of(db.current(), user),
            now=clock.now(),
        )

    @expose("/")
    def index(self) -> Any:
        return self._page()

    @expose("/language", methods=["POST"])
    def change_language(self) -> Any:
        form = LanguageForm()
        if not form.validate_on_submit():
            return self._page(language_form=form)
        try:
            set_language(db.current(), require_actor(), form.locale.data or "")
        except DomainError as refused:
            show_domain_error(refused, form)
            return self._page(language_form=form)
        db.session.commit()
        session["lang"] = form.locale.data
        with force_locale(form.locale.data):  # the confirmation in the language just chosen
            flash(gettext("Saved."), "success")
        return redirect(url_for(".index", _anchor="language"))

    @expose("/password", methods=["POST"])
    def change_password(self) -> Any:
        form = PasswordForm()
        if not form.validate_on_submit():
            return self._page(password_form=form)
        try:
            change_password(
                db.current(),
                require_actor(),
                current=form.current_password.data or "",
                new=form.password.data or "",
            )
        except DomainError as refused:
            show_domain_error(refused, form)
            return self._page(password_form=form)
        db.session.commit()
        flash(gettext("Your password has been changed."), "success")
        return redirect(url_for(".index"))

    @expose("/totp/start", methods=["POST"])
    def totp_start(self) -> Any:
        if not TranslatedForm().validate_on_submit():
            return redirect(url_for(".index"))
        return self._write(lambda user: login_service.begin_totp(db.current(), user))

    @expose("/totp/confirm", methods=["POST"])
    def totp_confirm(self) -> Any:
        form = CodeForm()
        if not form.validate_on_submit():
            return self._page(code_form=form)
        try:
            login_service.confirm_totp(db.current(), require_actor(), form.code.data or "")
        except DomainError as refused:
            show_domain_error(refused, form)
            return self._page(code_form=form)
        db.session.commit()
        flash(gettext("Two-step login is on: the next login asks for a code."), "success")
        return redirect(url_for(".index"))

    @expose("/totp/disable", methods=["POST"])
    def totp_disable(self) -> Any:
        form = DisableTotpForm()
        if not form.validate_on_submit():
            return self._page(disable_form=form)
        try:
            login_service.disable_totp(
                db.current(), require_actor(), form.password.data or "", required_totp_roles()
            )
        except DomainError as refused:
            show_domain_error(refused, form)
            return self._page(disable_form=form)
        db.session.commit()
        flash(gettext("Two-step login is off."), "info")
        return redirect(url_for(".index"))

    @expose("/tokens", methods=["POST"])
    def token_issue(self) -> Any:
        form = TokenForm()
        if not form.validate_on_submit():
            return self._page(token_form=form)
        try:
            raw = issue_token(
                db.current(), require_actor(), label=form.label.data or "", days=form.days.data or 0
            )
        except DomainError as refused:
            show_domain_error(refused, form)
            return self._page(token_form=form)
        db.session.commit()
        # Shown once, in this response only (never in a flash: the session cookie is readable).
        return self._page(new_token=raw)

    @expose("/tokens/<int:token_id>/revoke", methods=["POST"])
    def token_revoke(self, token_id: int) -> Any:
        if not TranslatedForm().validate_on_submit():
            return redirect(url_for(".index"))
        return self._write(lambda user: revoke_token(db.current(), user, token_id))

    def _write(self, change: Any) -> Any:
        user: User = require_actor()
        try:
            change(user)
        except DomainError as refused:
            show_domain_error(refused)
            return redirect(url_for(".index"))
        db.session.commit()
        flash(gettext("Saved."), "success")
        return redirect(url_for(".index", _anchor=request.form.get("anchor") or None))
