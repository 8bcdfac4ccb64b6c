"""Letters in the admin: the list (scoped to the user's region), download, void and re-issue,
and the letter settings (letterhead, numbering, signatory) for administrators.

Thin views: every write goes through casework.services.letters; errors are shown translated.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from wtforms import StringField, TextAreaField

from admin.base import AdminForm, BerdayaModelView, show_domain_error
from admin.security import RoleGate, require_actor
from casework.errors import DomainError, NotFound
from casework.i18n import N_
from casework.letters.kinds import KINDS
from casework.models.case import Case
from casework.models.letter import Letter
from casework.policy import allows
from casework.services.letters import (
    LetterSettingsInput,
    current_settings,
    get_letter,
    reissue_letter,
    update_letter_settings,
    void_letter,
)
from web.api.letters import pdf_name
from web.db import db
from web.verify import STATUS_LABELS, letter_store

VERIFICATION_LABELS = {
    "valid": N_("Valid"),
    "pending": N_("Being prepared"),
    "superseded": N_("Superseded"),
    "voided": N_("Voided"),
}


class ReasonForm(AdminForm):
    reason = TextAreaField(_l("Reason"))


def kind_label(kind: str) -> str:
    return gettext(KINDS[kind].label) if kind in KINDS else kind


def verification_label(letter: Letter) -> str:
    return gettext(VERIFICATION_LABELS[letter.verification])


def download_url(letter: Letter) -> str:
    return url_for("letter.download_view", letter_id=letter.id)


def may_manage_letters() -> bool:
    """Whether the logged-in user may void and re-issue letters."""
    from admin.security import actor

    return allows(actor(), "letter.write")


def letter_context() -> dict[str, Any]:
    """What the letter sections of pages need (the case page includes one)."""
    return {
        "letter_kind_label": kind_label,
        "letter_verification_label": verification_label,
        "letter_download_url": download_url,
        "may_manage_letters": may_manage_letters(),
        "letter_reason_form": ReasonForm(formdata=None),
    }


def _link(letter: Letter) -> Markup | str:
    if letter.file_path is None:
        return str(letter)
    return Markup('<a href="{}">{}</a>').format(download_url(letter), str(letter))


class LetterView(BerdayaModelView):
    read_action = "letter.read"
    edit_action = None
    endpoint_actions = {
        "download_view": "letter.read",
        "void_view": "letter.write",
        "reissue_view": "letter.write",
    }
    details_template = "admin/letter_details.html"
    column_list = ("number", "kind", "recipient_name", "case", "letter_date", "verification")
    column_default_sort = ("id", True)
    column_filters = ("kind", "status", "letter_date", "year")
    column_searchable_list = ("number",)
    column_labels = {
        "number": _l("Number"),
        "kind": _l("Kind"),
        "recipient_name": _l("Recipient"),
        "case": _l("Case"),
        "letter_date": _l("Date"),
        "verification": _l("Status"),
        "status": _l("Status"),
        "year": _l("Year"),
    }
    column_formatters = {
        "number": lambda v, c, m, p: _link(m),
        "kind": lambda v, c, m, p: kind_label(m.kind),
        "case": lambda v, c, m, p: m.case.number if m.case else "",
        "verification": lambda v, c, m, p: verification_label(m),
    }

    @property
    def can_create(self) -> bool:
        return False

    @property
    def can_edit(self) -> bool:
        return False

    def _scoped(self, query: Any) -> Any:
        user = require_actor()
        if user.region_code is None:
            return query
        cases = select(Case.id).where(Case.regency_code == user.region_code)
        return query.filter(Letter.case_id.in_(cases))

    def get_query(self) -> Any:
        return self._scoped(super().get_query())

    def get_count_query(self) -> Any:
        return self._scoped(super().get_count_query())

    def get_one(self, id: Any) -> Any:
        letter = get_letter(db.current(), int(id), require_actor())
        return letter

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and kwargs.get("model") is not None:
            letter = kwargs["model"]
            kwargs.update(
                letter_context(), letter=letter, status_text=STATUS_LABELS[letter.verification]
            )
        return super().render(template, **kwargs)

    def _back(self, letter: Letter) -> ResponseReturnValue:
        target = request.form.get("next") or ""
        if target.startswith("/admin/") and not target.startswith("//"):
            return redirect(target)
        return redirect(self.get_url(".details_view", id=letter.id))

    @expose("/download/<int:letter_id>")
    def download_view(self, letter_id: int) -> ResponseReturnValue:
        letter = get_letter(db.current(), letter_id, require_actor())
        if letter.file_path is None:
            raise NotFound(N_("The PDF of this letter is not ready yet."))
        return send_file(
            letter_store().path(letter.file_path),
            mimetype="application/pdf",
            as_attachment=True,
            download_name=pdf_name(letter),
        )

    @expose("/<int:letter_id>/void/", methods=("POST",))
    def void_view(self, letter_id: int) -> ResponseReturnValue:
        return self._act(letter_id, void=True)

    @expose("/<int:letter_id>/reissue/", methods=("POST",))
    def reissue_view(self, letter_id: int) -> ResponseReturnValue:
        return self._act(letter_id, void=False)

    def _act(self, letter_id: int, *, void: bool) -> ResponseReturnValue:
        actor = require_actor()
        letter = get_letter(db.current(), letter_id, actor)
        form = ReasonForm()
        if not form.validate():
            flash(gettext("The form has expired; please try again."), "error")
            return self._back(letter)
        try:
            if void:
                void_letter(db.current(), letter, reason=form.reason.data or "", actor=actor)
            else:
                letter = reissue_letter(
                    db.current(), letter, reason=form.reason.data or "", actor=actor
                )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error)
            return self._back(letter)
        flash(gettext("The letter was voided.") if void else gettext("A new version was issued."),
              "success")  # fmt: skip
        return self._back(letter)


class LetterSettingsForm(AdminForm):
    letterhead_lines = TextAreaField(_l("Letterhead lines, one per line"))
    address = TextAreaField(_l("Letterhead address"))
    contact = StringField(_l("Telephone, e-mail, website"))
    logo_path = StringField(_l("Logo file (path on the server)"))
    city = StringField(_l("City"))
    kka = StringField(_l("Archive classification code (KKA)"))
    unit_code = StringField(_l("Unit code"))
    number_template = StringField(_l("Number template"))
    signatory_position = StringField(_l("Signatory position"))
    signatory_name = StringField(_l("Signatory name"))
    signatory_rank = StringField(_l("Signatory rank (pangkat/golongan)"))
    signatory_nip = StringField(_l("Signatory NIP"))
    tembusan = TextAreaField(_l("Copies to (tembusan), one per line"))

    def to_input(self) -> LetterSettingsInput:
        def text(name: str) -> str:
            return str(getattr(self, name).data or "")

        return LetterSettingsInput(
            letterhead_lines=text("letterhead_lines").splitlines(),
            tembusan=text("tembusan").splitlines(),
            **{
                name: text(name)
                for name in (
                    "address",
                    "contact",
                    "logo_path",
                    "city",
                    "kka",
                    "unit_code",
                    "number_template",
                    "signatory_position",
                    "signatory_name",
                    "signatory_rank",
                    "signatory_nip",
                )
            },
        )


class LetterSettingsView(RoleGate, BaseView):
    read_action = "letter_settings.write"
    edit_action = "letter_settings.write"
    endpoint_actions = {"index": "letter_settings.write", "save": "letter_settings.write"}

    @expose("/")
    def index(self) -> Any:
        form = LetterSettingsForm(formdata=None)
        settings = current_settings(db.current())
        if settings is not None:
            for name, field in form._fields.items():
                value = getattr(settings, name, None)
                if isinstance(value, list):
                    value = "\n".join(value)
                if value is not None and name != "csrf_token":
                    field.data = value
        return self.render("admin/letter_settings.html", form=form)

    @expose("/", methods=("POST",))
    def save(self) -> Any:
        form = LetterSettingsForm()
        if not form.validate():
            flash(gettext("The form has expired; please try again."), "error")
            return self.render("admin/letter_settings.html", form=form)
        try:
            update_letter_settings(db.current(), form.to_input(), actor=require_actor())
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form)
            return self.render("admin/letter_settings.html", form=form)
        flash(gettext("The letter settings were saved."), "success")
        return redirect(self.get_url(".index"))
