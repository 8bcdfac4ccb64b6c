"""The public letter verification page (/verify/<code>), and rendering letters after commit.

Anyone holding a letter (the QR code on it links here) sees its number, date, kind, the
recipient's name with the NIK masked, the SHA-256 of the issued PDF and whether it is
valid, superseded by a newer version or voided; an uploaded PDF is compared byte for byte
with the stored one. No login; lookups are rate-limited per address.

``init_letters`` also renders the letters a request issued once its response has gone out
(at most LETTERS_RENDER_AFTER_REQUEST_MAX; the scheduler's job picks up whatever this misses).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.exceptions import TooManyRequests

from casework.letters.kinds import KINDS
from casework.letters.store import LetterStore
from casework.models.letter import Letter
from casework.services.letters import (
    ISSUED_KEY,
    is_identical,
    letter_for_code,
    render_pending_letters,
)
from web.db import db
from web.i18n import TranslatedForm
from web.limits import limiter

log = logging.getLogger("berdaya.letters")
bp = Blueprint("verify", __name__, url_prefix="/verify")
COMMITTED_KEY = "berdaya.letters_committed"
LOOKUP_LIMIT = "30/minute;300/hour"
STATUS_LABELS = {
    "valid": _l("Valid: this is the letter as issued."),
    "pending": _l("Issued; the PDF is being prepared."),
    "superseded": _l("Superseded: a newer version of this letter was issued."),
    "voided": _l("Voided: this letter is no longer valid."),
}


class UploadForm(TranslatedForm):
    file = FileField(_l("PDF file"), validators=[FileRequired()])


def letter_store(app: Flask | None = None) -> LetterStore:
    """The directory of issued PDFs (LETTER_DIR)."""
    return LetterStore((app or current_app).config["LETTER_DIR"])


def _page(letter: Letter, form: UploadForm, **extra: Any) -> Response:
    kind = KINDS.get(letter.kind)
    response = Response(
        render_template(
            "verify/letter.html",
            letter=letter,
            kind_label=gettext(kind.label) if kind else letter.kind,
            status=letter.verification,
            status_label=STATUS_LABELS[letter.verification],
            form=form,
            **extra,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<string:code>", methods=["GET"])
@limiter.limit(LOOKUP_LIMIT)
def show(code: str) -> ResponseReturnValue:
    try:
        letter = letter_for_code(db.current(), code[:64])
    finally:
        db.session.rollback()  # read only
    return _page(letter, UploadForm(formdata=None))


@bp.route("/<string:code>", methods=["POST"])
@limiter.limit(LOOKUP_LIMIT)
def compare(code: str) -> ResponseReturnValue:
    try:
        letter = letter_for_code(db.current(), code[:64])
    finally:
        db.session.rollback()
    form = UploadForm()
    if not form.validate():
        return _page(letter, form), 422
    limit = int(current_app.config["LETTER_VERIFY_MAX_BYTES"])
    content = form.file.data.read(limit + 1)
    if len(content) > limit:
        form.file.errors = [
            gettext("The file is larger than %(mb)s MB.", mb=round(limit / 1_048_576, 1))
        ]
        return _page(letter, form), 413
    return _page(
        letter,
        UploadForm(formdata=None),
        identical=is_identical(letter, content),
        uploaded_sha256=hashlib.sha256(content).hexdigest(),
    )


@bp.errorhandler(TooManyRequests)
def _too_many(_error: TooManyRequests) -> ResponseReturnValue:
    return render_template("verify/too_many.html"), 429


# --- rendering after commit -------------------------------------------------------------


def _promote(session: Session) -> None:
    """After a commit, the letters issued in it are safe to render."""
    issued = session.info.pop(ISSUED_KEY, None)
    if issued:
        session.info.setdefault(COMMITTED_KEY, []).extend(issued)


def _forget(session: Session) -> None:
    session.info.pop(ISSUED_KEY, None)


@contextmanager
def _own_unit_of_work() -> Iterator[Session]:
    """A session of its own (the request's may hold objects the view still uses)."""
    session = db.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def render_for_app(app: Flask, ids: list[int] | None = None, limit: int = 200) -> int:
    """Render pending letters with the app's settings (the request hook and the scheduler)."""
    return render_pending_letters(
        _own_unit_of_work,
        letter_store(app),
        base_url=app.config["PUBLIC_BASE_URL"],
        ids=ids,
        limit=limit,
    )


def _render_after_close(app: Flask, ids: list[int], limit: int) -> None:
    """Render the letters a request issued, once its response went out; never raises (a
    letter left pending is the scheduler's ``render_letters`` job's to render)."""
    try:
        with app.app_context():
            render_for_app(app, ids, limit)
    except Exception:
        log.exception("rendering letters %s after the request failed", ids)


def _render_committed(response: Response) -> Response:
    """Hand the letters this request committed to ``_render_after_close``: called when the
    server closes the response, after its last byte went out, so nobody waits for WeasyPrint
    (a sync gunicorn worker then closes the connection; under gthread a keep-alive
    connection's next request waits for it)."""
    if not db.session.registry.has():
        return response
    ids = db.session().info.pop(COMMITTED_KEY, None)
    if ids and current_app.config["LETTERS_RENDER_AFTER_REQUEST"]:
        limit = int(current_app.config["LETTERS_RENDER_AFTER_REQUEST_MAX"])
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(partial(_render_after_close, app, ids[:limit], limit))
    return response


def init_letters(app: Flask) -> None:
    """Register the verify page and the after-commit rendering of issued letters."""
    app.register_blueprint(bp)
    if not event.contains(db.session_factory, "after_commit", _promote):
        event.listen(db.session_factory, "after_commit", _promote)
        event.listen(db.session_factory, "after_rollback", _forget)
    app.after_request(_render_committed)
