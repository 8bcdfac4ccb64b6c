"""Decrees (SK): list, draft form gathering approved cases, issue button, corrective decree.

Thin views: every write goes through casework.services.decrees; errors are shown translated.
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, request
from flask.typing import ResponseReturnValue
from flask_admin import expose
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from admin.base import AdminForm, BerdayaModelView, show_domain_error
from admin.security import require_actor
from casework import clock
from casework.errors import DomainError
from casework.letters.bulk import letter_progress
from casework.models.decree import (
    DECREE_CHANGE_LABELS,
    DECREE_KIND_LABELS,
    DECREE_STATUS_LABELS,
    Decree,
    DecreeStatus,
)
from casework.models.letter import Letter
from casework.models.program import Program
from casework.models.user import Role
from casework.services import decrees
from casework.services.decrees import DecreeInput, DecreeRefused
from web.db import db
from web.i18n import error_message, rupiah

MANAGER_ROLES = frozenset({Role.MANAGER})


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class CorrectiveDecreeForm(AdminForm):
    title = StringField(_l("Title"))
    decree_date = DateField(_l("Decree date"), validators=[Optional()])
    signatory_name = StringField(_l("Signatory"))
    signatory_position = StringField(_l("Signatory position"))
    signatory_nip = StringField(_l("Signatory NIP"))
    considerations = TextAreaField(_l("Considerations (menimbang), one per line"))
    legal_basis = TextAreaField(_l("Legal basis (mengingat), one per line"))

    def to_input(self, program_id: int | None, fiscal_year: int | None) -> DecreeInput:
        return DecreeInput(
            program_id=program_id,
            fiscal_year=fiscal_year,
            title=self.title.data or "",
            decree_date=self.decree_date.data,
            signatory_name=self.signatory_name.data or "",
            signatory_position=self.signatory_position.data or "",
            signatory_nip=self.signatory_nip.data or "",
            considerations=_lines(self.considerations.data),
            legal_basis=_lines(self.legal_basis.data),
        )


class DecreeForm(CorrectiveDecreeForm):
    program = SelectField(_l("Program"), coerce=int, validators=[Optional()])
    fiscal_year = IntegerField(_l("Fiscal year"), validators=[Optional()])

    def fill_choices(self) -> None:
        programs = db.current().scalars(select(Program).order_by(Program.code))
        self.program.choices = [(p.id, f"{p.code} – {p.name}") for p in programs]
        if self.fiscal_year.data is None and not self.is_submitted():
            self.fiscal_year.data = clock.today_wita().year
        if self.decree_date.data is None and not self.is_submitted():
            self.decree_date.data = clock.today_wita()


class CaseChoiceForm(AdminForm):
    case_ids = SelectMultipleField(_l("Approved cases"), coerce=int, validators=[Optional()])


class ChangeForm(AdminForm):
    case_id = SelectField(_l("Recipient"), coerce=int, validators=[Optional()])
    remove = BooleanField(_l("Remove the recipient"))
    new_amount = IntegerField(_l("Corrected amount (Rp)"), validators=[Optional()])
    reason = StringField(_l("Reason"))


def _letters_context(decree: Decree) -> dict[str, Any]:
    """The decree's letters section: its SK and how far the recipients' letters are."""
    from admin.letters import download_url

    stmt = select(Letter).where(Letter.decree_id == decree.id, Letter.kind == "decree")
    sk = db.current().scalars(stmt.order_by(Letter.id.desc())).first()
    return {
        "sk_letter": sk,
        "sk_download_url": download_url(sk) if sk is not None and sk.file_path else None,
        "letter_progress": letter_progress(db.current(), decree.id),
    }


def _status_label(model: Decree) -> str:
    return gettext(DECREE_STATUS_LABELS[DecreeStatus(model.status)])


class DecreeView(BerdayaModelView):
    read_action = "decree.read"
    edit_action = "decree.write"
    endpoint_actions = {
        name: "decree.write"
        for name in (
            "add_cases_view",
            "remove_case_view",
            "issue_view",
            "correct_view",
            "change_view",
        )
    }
    details_template = "admin/decree_details.html"
    column_list = ("number", "program", "fiscal_year", "kind", "status", "decree_date", "title")
    column_default_sort = ("id", True)
    column_filters = ("fiscal_year", "status", "decree_date")
    column_labels = {
        "number": _l("Number"),
        "program": _l("Program"),
        "fiscal_year": _l("Fiscal year"),
        "kind": _l("Kind"),
        "status": _l("Status"),
        "decree_date": _l("Decree date"),
        "title": _l("Title"),
    }
    column_formatters = {
        "number": lambda v, c, m, p: m.number or gettext("(draft)"),
        "kind": lambda v, c, m, p: gettext(DECREE_KIND_LABELS[m.kind]),
        "status": lambda v, c, m, p: _status_label(m),
    }

    @property
    def can_edit(self) -> bool:
        return False

    def get_create_form(self) -> Any:
        return DecreeForm

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form.fill_choices()
        return form

    def create_model(self, form: Any) -> Any:
        data = form.to_input(form.program.data, form.fiscal_year.data)
        try:
            decree = decrees.create_decree(db.current(), data, actor=require_actor())
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form, {"program_id": "program"})
            return False
        return decree

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)

    # --- the decree page -------------------------------------------------------------

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(self._page_context(kwargs["model"]))
        return super().render(template, **kwargs)

    def _page_context(self, decree: Decree) -> dict[str, Any]:
        actor = require_actor()
        entries = [e for e in decree.entries if actor.covers(e.case.regency_code)]
        context: dict[str, Any] = {
            "decree": decree,
            "status_label": _status_label(decree),
            "change_labels": {k: gettext(v) for k, v in DECREE_CHANGE_LABELS.items()},
            "entries": entries,
            "rupiah": rupiah,
            "may_edit": self.may_edit and decree.is_draft,
            "may_correct": self.may_edit and not decree.is_draft and decree.corrects_id is None,
            "corrective_form": CorrectiveDecreeForm(formdata=None),
        }
        if not decree.is_draft:
            context.update(_letters_context(decree))
        if context["may_edit"] and decree.corrects_id is None:
            form = CaseChoiceForm(formdata=None)
            candidates = db.current().scalars(decrees.candidate_cases(decree, actor).limit(2000))
            form.case_ids.choices = [
                (c.id, f"{c.number} – {c.applicant_name} ({rupiah(c.requested_amount)})")
                for c in candidates
            ]
            context["case_form"] = form
        if context["may_edit"] and decree.corrects_id is not None and decree.corrects:
            change = ChangeForm(formdata=None)
            change.case_id.choices = [
                (e.case_id, f"{e.case.number} – {e.case.applicant_name}")
                for e in decree.corrects.entries
                if not e.revoked and actor.covers(e.case.regency_code)
            ]
            context["change_form"] = change
        return context

    def _decree(self, decree_id: int) -> Decree:
        return decrees.get_decree(db.current(), decree_id)

    def _back(self, decree_id: int) -> ResponseReturnValue:
        return redirect(self.get_url(".details_view", id=decree_id))

    @expose("/<int:decree_id>/letters.json")
    def letters_progress_view(self, decree_id: int) -> ResponseReturnValue:
        """How far the decree's letters are (polled by static/js/letter_progress.js)."""
        progress = letter_progress(db.current(), self._decree(decree_id).id)
        db.session.rollback()  # read only
        response = jsonify(progress.as_dict())
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/<int:decree_id>/cases", methods=("POST",))
    def add_cases_view(self, decree_id: int) -> ResponseReturnValue:
        ids = [int(i) for i in request.form.getlist("case_ids") if i.isdigit()]
        try:
            added = decrees.add_cases(
                db.current(), self._decree(decree_id), ids, actor=require_actor()
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error)
        else:
            flash(ngettext("%(num)s case listed.", "%(num)s cases listed.", added))
        return self._back(decree_id)

    @expose("/<int:decree_id>/remove/<int:case_id>", methods=("POST",))
    def remove_case_view(self, decree_id: int, case_id: int) -> ResponseReturnValue:
        try:
            decrees.remove_cases(
                db.current(), self._decree(decree_id), [case_id], actor=require_actor()
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error)
        return self._back(decree_id)

    @expose("/<int:decree_id>/issue", methods=("POST",))
    def issue_view(self, decree_id: int) -> ResponseReturnValue:
        try:
            decree = decrees.issue_decree(
                db.current(), self._decree(decree_id), actor=require_actor()
            )
            number = decree.number
            db.session.commit()
        except DecreeRefused as refused:
            show_domain_error(refused)
            for error in refused.refused.values():
                flash(error_message(error), "error")
        except DomainError as error:
            show_domain_error(error)
        else:
            flash(gettext("Decree %(number)s issued.", number=number))
        return self._back(decree_id)

    @expose("/<int:decree_id>/correct", methods=("POST",))
    def correct_view(self, decree_id: int) -> ResponseReturnValue:
        form = CorrectiveDecreeForm()
        original = self._decree(decree_id)
        data = form.to_input(original.program_id, original.fiscal_year)
        try:
            fix = decrees.create_corrective_decree(
                db.current(), original, data, actor=require_actor()
            )
            fix_id = fix.id
            db.session.commit()
        except DomainError as error:
            show_domain_error(error)
            return self._back(decree_id)
        return self._back(fix_id)

    @expose("/<int:decree_id>/change", methods=("POST",))
    def change_view(self, decree_id: int) -> ResponseReturnValue:
        form = ChangeForm()
        try:
            decrees.add_correction(
                db.current(),
                self._decree(decree_id),
                int(request.form.get("case_id", "0") or 0),
                remove=bool(form.remove.data),
                new_amount=form.new_amount.data,
                reason=form.reason.data or "",
                actor=require_actor(),
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error)
        return self._back(decree_id)
