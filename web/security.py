"""Web hardening in one place: security headers, the audit context of each request, the
idle-session timeout, and trusting a reverse proxy's forwarded headers when configured.

Content-Security-Policy: scripts only from this origin (vendored files under /static and
Flask-Admin's own static files; no CDN, no inline script, no eval), no framing by anybody.
Styles also allow inline ``style`` attributes, which Flask-Admin's and Bootstrap's markup
and the generated workflow diagrams use; scripts never get 'unsafe-inline'.
HSTS is sent only on requests that arrived over TLS (directly, or as told by a trusted
proxy's X-Forwarded-Proto), and only when ``HSTS_SECONDS`` is positive.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from casework import audit_context, clock
from casework.models.user import User

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)
STATIC_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}
SEEN_AT = "seen_at"


def init_security(app: Flask) -> None:
    """Install the proxy fix (when configured) and the per-request hooks."""
    app.config.setdefault("TRUSTED_PROXIES", 0)
    app.config.setdefault("HSTS_SECONDS", 0)
    app.config.setdefault("IDLE_TIMEOUT_MINUTES", 30)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
    app.before_request(_bind_audit_context)
    app.before_request(_expire_idle_session)
    app.after_request(_security_headers)
    app.teardown_request(_unbind_audit_context)


# --- Headers -----------------------------------------------------------------------------


def _security_headers(response: Response) -> Response:
    for name, value in STATIC_HEADERS.items():
        response.headers.setdefault(name, value)
    seconds = _config("HSTS_SECONDS")
    if seconds > 0 and request.is_secure:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={seconds}; includeSubDomains"
        )
    if request.endpoint not in ("static", "admin.static"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _config(name: str) -> int:
    return int(current_app.config[name])


# --- Audit context -----------------------------------------------------------------------


def _bind_audit_context() -> None:
    """Writes of this request are recorded with its address, request id and user.

    The request id is the one web/logging.py assigns (and echoes as X-Request-ID), looked
    up when a row is written, so the audit log and the application log agree.
    """
    audit_context.bind(
        audit_context.AuditContext(
            ip=request.remote_addr, find_actor=_request_actor, find_request_id=_request_id
        )
    )


def _request_id() -> str | None:
    found = g.get("request_id") if has_request_context() else None
    return str(found) if found else None


def _unbind_audit_context(_exc: BaseException | None) -> None:
    audit_context.bind(None)


def _request_actor() -> audit_context.Actor | None:
    """The API token's user, else the logged-in user, of the current request."""
    if not has_request_context():
        return None
    user = g.get("api_user")
    if user is None and current_user and current_user.is_authenticated:
        user = current_user._get_current_object()
    if isinstance(user, User):
        return audit_context.Actor(user.id, user.username)
    return None


# --- Idle timeout --------------------------------------------------------------------------


def mark_active() -> None:
    """Remember that the logged-in user did something now (the idle clock restarts)."""
    session[SEEN_AT] = clock.now().timestamp()


def _expire_idle_session() -> ResponseReturnValue | None:
    """Log out a session idle longer than IDLE_TIMEOUT_MINUTES; otherwise restart its clock."""
    if request.path.startswith("/api/") or request.endpoint in ("static", "admin.static"):
        return None
    if "_user_id" not in session:
        return None
    minutes = _config("IDLE_TIMEOUT_MINUTES")
    seen = session.get(SEEN_AT)
    now = clock.now()
    if isinstance(seen, int | float) and minutes > 0:
        idle = now - datetime.fromtimestamp(seen, tz=now.tzinfo)
        if idle.total_seconds() > minutes * 60:
            return _log_out_idle(minutes)
    mark_active()
    return None


def end_session() -> None:
    """Log out and forget the session, keeping only the chosen language."""
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang


def _log_out_idle(minutes: int) -> ResponseReturnValue:
    end_session()
    flash(
        gettext("You were logged out after %(minutes)s minutes without activity.", minutes=minutes),
        "warning",
    )
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))
