"""Staff login and logout for the admin (sessions with CSRF-protected forms).

A login is rate-limited per address and per account (failed attempts only count), an
account is locked for LOGIN_LOCK_MINUTES after LOGIN_MAX_FAILURES failures, managers and
administrators who turned on the TOTP second factor give a code after the password, and
every attempt is written to the audit log, which is committed whatever the outcome.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from casework import clock
from casework.models.user import Role, User
from casework.policy import PUBLIC_ENDPOINTS
from casework.services.login import (
    Lockout,
    LoginResult,
    Outcome,
    attempt_code,
    attempt_login,
    must_set_up_totp,
    record_logout,
    totp_roles_from,
)
from casework.services.users import set_language
from web.api.base import ApiBlueprint
from web.db import db
from web.i18n import TranslatedForm, wita_datetime
from web.limits import limiter
from web.security import end_session, mark_active

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.login_message_category = "warning"
login_manager.session_protection = "strong"

bp = Blueprint("auth", __name__)

PENDING_USER = "pending_user"
PENDING_AT = "pending_at"
PENDING_SECONDS = 300


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


class LoginForm(TranslatedForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class CodeForm(TranslatedForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=12)])


def _safe_next(target: str | None) -> str:
    if (
        target
        and not urlsplit(target).netloc
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return url_for("admin.index")


# --- Rate limits ---------------------------------------------------------------------------


def _per_address() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])


def _per_account() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def _account_key() -> str:
    return "login-account:" + (request.form.get("username") or "").strip().lower()[:64]


def _pending_key() -> str:
    return f"login-account-id:{session.get(PENDING_USER)}"


def _failed(response: Response) -> bool:
    """Only failed attempts count: a successful step answers with a redirect."""
    return response.status_code != 302


def _lockout() -> Lockout:
    config = current_app.config
    return Lockout(int(config["LOGIN_MAX_FAILURES"]), int(config["LOGIN_LOCK_MINUTES"]))


# --- Views ---------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_per_address, methods=["POST"], deduct_when=_failed)
@limiter.limit(_per_account, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        result = attempt_login(
            db.current(), form.username.data or "", form.password.data or "", _lockout()
        )
        db.session.commit()
        if result.outcome is Outcome.OK and result.user is not None:
            return _start_session(result.user)
        if result.outcome is Outcome.NEEDS_CODE and result.user is not None:
            session[PENDING_USER] = result.user.id
            session[PENDING_AT] = clock.now().timestamp()
            return redirect(url_for("auth.login_code", next=request.args.get("next")))
        form.password.errors = [_refusal(result)]
    return render_template("auth/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_per_address, methods=["POST"], deduct_when=_failed)
@limiter.limit(_per_account, key_func=_pending_key, methods=["POST"], deduct_when=_failed)
def login_code() -> ResponseReturnValue:
    """The second step for accounts with TOTP: the code of the authenticator app."""
    user = _pending_user()
    if user is None:
        flash(gettext("Please log in again."), "warning")
        return redirect(url_for("auth.login", next=request.args.get("next")))
    form = CodeForm()
    if form.validate_on_submit():
        result = attempt_code(db.current(), user, form.code.data or "", _lockout())
        db.session.commit()
        if result.outcome is Outcome.OK:
            return _start_session(user)
        if result.outcome is Outcome.LOCKED:
            session.pop(PENDING_USER, None)
        form.code.errors = [_refusal(result, code=True)]
    return render_template("auth/code.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if isinstance(user, User):
        record_logout(db.current(), user)
        db.session.commit()
    end_session()
    flash(_l("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>")
def switch_language(code: str) -> ResponseReturnValue:
    """Remember the chosen language for this browser session (and, when logged in, for the
    user: their screens and notifications) and go back."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        _remember_language(code)
    return redirect(_safe_next(request.args.get("next")))


def _remember_language(code: str) -> None:
    user = current_user._get_current_object()
    if isinstance(user, User) and user.locale != code:
        set_language(db.current(), user, code)
        db.session.commit()


def _pending_user() -> User | None:
    user_id, at = session.get(PENDING_USER), session.get(PENDING_AT)
    if not isinstance(user_id, int) or not isinstance(at, int | float):
        return None
    if clock.now().timestamp() - at > PENDING_SECONDS:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def _start_session(user: User) -> ResponseReturnValue:
    """A fresh session (no fixation), remembering only the language, then back to work."""
    end_session()
    session.permanent = True
    login_user(user)
    mark_active()
    return redirect(_safe_next(request.args.get("next")))


def _refusal(result: LoginResult, *, code: bool = False) -> str:
    if result.outcome is Outcome.LOCKED:
        return gettext(
            "Too many failed logins: this account is locked until %(time)s.",
            time=wita_datetime(result.locked_until),
        )
    if code:
        return gettext("The code is not right. Enter the code your app shows now.")
    return gettext("Wrong username or password.")


# What a user who must still set up the second factor may open: their account page's
# language, password and TOTP set-up (and, public anyway, logout and the language switch).
TOTP_SETUP_ENDPOINTS = frozenset(
    {
        "myaccount.index",
        "myaccount.change_language",
        "myaccount.change_password",
        "myaccount.totp_start",
        "myaccount.totp_confirm",
    }
)


def required_totp_roles() -> frozenset[Role]:
    """The roles that must log in with a code (TOTP_REQUIRED_ROLES, parsed by init_auth)."""
    roles: frozenset[Role] = current_app.config["TOTP_REQUIRED_ROLES"]
    return roles


def require_second_factor() -> ResponseReturnValue | None:
    """Keep a logged-in user whose role must use two-step login, and has not set it up,
    on their account page until they have (the API refuses their tokens meanwhile)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS or endpoint in TOTP_SETUP_ENDPOINTS:
        return None
    if isinstance(current_app.blueprints.get(request.blueprint or ""), ApiBlueprint):
        return None  # the API checks its bearer tokens itself (web/api/base.py)
    user = current_user._get_current_object() if current_user.is_authenticated else None
    if not isinstance(user, User) or not must_set_up_totp(user, required_totp_roles()):
        return None
    flash(gettext("Your role must use two-step login: set it up here to go on."), "warning")
    return redirect(url_for("myaccount.index", _anchor="totp"))


def init_auth(app: Flask) -> None:
    config = app.config
    config.setdefault("LOGIN_MAX_FAILURES", 5)
    config.setdefault("LOGIN_LOCK_MINUTES", 15)
    config.setdefault("LOGIN_LIMIT_PER_ADDRESS", "30 per 10 minutes")
    config.setdefault("LOGIN_LIMIT_PER_ACCOUNT", "10 per 10 minutes")
    required = config.get("TOTP_REQUIRED_ROLES", "")  # "admin,manager", or a collection
    names = required if isinstance(required, str) else ",".join(map(str, required))
    try:
        config["TOTP_REQUIRED_ROLES"] = totp_roles_from(names)
    except ValueError as error:
        raise RuntimeError(f"BERDAYA_TOTP_REQUIRED_ROLES: {error}") from None
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.before_request(require_second_factor)
