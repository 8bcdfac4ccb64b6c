"""Personal data in the admin: the logged "show" of a full number, the data-subject access
export of one person, and the reveal log (read-only, for auditors and administrators)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_admin import Admin, BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from admin.base import BerdayaModelView
from admin.security import RoleGate, actor, require_actor
from casework.errors import DomainError, ValidationError
from casework.models.person import Person
from casework.models.privacy import REVEAL_FIELD_LABELS, RevealField, RevealLog
from casework.policy import allows
from casework.services.access import get_scoped
from casework.services.privacy import (
    Revealed,
    person_accounts,
    reveal_account_number,
    reveal_person_number,
    subject_access_export,
)
from web.db import db
from web.i18n import error_fields, error_message

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def privacy_panel(person: Person) -> dict[str, Any]:
    """What the person page offers the current user: reveal buttons, accounts, the export."""
    user = actor()
    may_reveal_account = allows(user, "account.reveal")
    return {
        "may_reveal": allows(user, "person.reveal"),
        "may_reveal_account": may_reveal_account,
        "may_export": allows(user, "person.export"),
        "accounts": person_accounts(db.current(), person) if may_reveal_account else [],
        "fields": [
            (f.value, gettext(REVEAL_FIELD_LABELS[f])) for f in (RevealField.NIK, RevealField.KK)
        ],
    }


def _flash_refusal(error: DomainError) -> None:
    db.session.rollback()
    flash(error_message(error), "error")
    if isinstance(error, ValidationError):
        for messages in error_fields(error).values():
            for message in messages:
                flash(message, "error")


def _person_page(person_id: int) -> ResponseReturnValue:
    return redirect(url_for("person.details_view", id=person_id))


class PrivacyView(RoleGate, BaseView):
    """The POST-only reveal actions and the export (no menu entry: reached from a person)."""

    endpoint_actions = {
        "index": "person.read",
        "reveal_person": "person.reveal",
        "reveal_account": "account.reveal",
        "export_person": "person.export",
    }

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> ResponseReturnValue:
        """The actions start from a person's page: go to the person list."""
        return redirect(url_for("person.index_view"))

    def _shown(self, revealed: Revealed, back: str, subject: str) -> ResponseReturnValue:
        db.session.commit()
        body = self.render(
            "admin/privacy_reveal.html",
            revealed=revealed,
            label=gettext(REVEAL_FIELD_LABELS[RevealField(revealed.field)]),
            subject=subject,
            back=back,
        )
        return Response(body, headers=NO_STORE)

    @expose("/person/<int:person_id>/reveal", methods=("POST",))
    def reveal_person(self, person_id: int) -> ResponseReturnValue:
        try:
            revealed = reveal_person_number(
                db.current(),
                person_id,
                request.form.get("field", ""),
                actor=require_actor(),
                reason=request.form.get("reason"),
            )
        except DomainError as error:
            _flash_refusal(error)
            if error.status == 404:
                raise
            return _person_page(person_id)
        person = revealed.log.person
        back = url_for("person.details_view", id=person_id)
        return self._shown(revealed, back, person.full_name if person else "")

    @expose("/case/<int:case_id>/account/reveal", methods=("POST",))
    def reveal_account(self, case_id: int) -> ResponseReturnValue:
        back = request.form.get("next") or url_for("case.details_view", id=case_id)
        if not back.startswith("/"):
            back = url_for("case.details_view", id=case_id)
        try:
            revealed = reveal_account_number(
                db.current(), case_id, actor=require_actor(), reason=request.form.get("reason")
            )
        except DomainError as error:
            _flash_refusal(error)
            if error.status == 404:
                raise
            return redirect(back)
        return self._shown(revealed, back, gettext("Case %(id)s", id=case_id))

    @expose("/person/<int:person_id>/export", methods=("GET", "POST"))
    def export_person(self, person_id: int) -> ResponseReturnValue:
        if request.method == "GET":
            person = get_scoped(db.current(), Person, person_id, require_actor())
            return self.render("admin/privacy_export.html", person_id=person.id)
        try:
            data = subject_access_export(
                db.current(), person_id, actor=require_actor(), reason=request.form.get("reason")
            )
        except DomainError as error:
            _flash_refusal(error)
            if error.status == 404:
                raise
            return redirect(url_for(".export_person", person_id=person_id))
        db.session.commit()
        payload = json.dumps(data, ensure_ascii=False, indent=2)
        headers = {
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="person-{person_id}-data.json"',
        }
        return Response(payload, mimetype="application/json", headers=headers)


class RevealLogView(BerdayaModelView):
    """Every reveal and export: who, when, which record, why. Nobody edits or deletes it."""

    read_action = "reveal_log.read"
    column_list = ("at", "user", "person", "field", "account_id", "reason")
    column_labels = {
        "at": _l("When"),
        "user": _l("Who"),
        "person": _l("Person"),
        "field": _l("What"),
        "account_id": _l("Account"),
        "reason": _l("Reason"),
    }
    column_formatters = {
        "user": lambda v, c, m, n: m.user.username,
        "person": lambda v, c, m, n: str(m.person) if m.person else "",
        "field": lambda v, c, m, n: gettext(m.field_label),
    }
    column_default_sort = ("at", True)
    column_sortable_list = ("at",)
    column_searchable_list: tuple[str, ...] = ()
    can_view_details = False


def add_privacy_views(admin: Admin) -> None:
    """The reveal log under Settings' neighbour "Audit", and the reveal/export actions."""
    admin.add_view(
        RevealLogView(RevealLog, name=_l("Reveal log"), endpoint="reveallog", category=_l("Audit"))
    )
    admin.add_view(PrivacyView(name=_l("Personal data"), endpoint="privacy", url="/admin/privacy"))
    assert admin.app is not None
    admin.app.jinja_env.globals["privacy_panel"] = privacy_panel
