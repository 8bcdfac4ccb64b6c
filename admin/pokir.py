"""Admin screens of the pokir register and budget: DPRD members, pokir lines with their
lifecycle buttons and timeline, budget lines, the commitments ledger and the year-end page.

Writes go through casework/services (pokir.py, budget.py); the DPRD liaison reads.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from admin.base import BerdayaModelView, show_domain_error
from admin.security import RoleGate, require_actor
from casework import clock
from casework.errors import DomainError
from casework.models.budget import BUDGET_VERSION_LABELS, BudgetVersion
from casework.models.pokir import POKIR_STATE_LABELS, PokirEvent, PokirLine
from casework.models.program import Program
from casework.models.user import Role
from casework.services.budget import (
    BudgetLineInput,
    create_budget_line,
    pokir_usage,
    year_end,
)
from casework.services.pokir import MemberInput, advance_pokir, create_member, get_pokir_line
from web.db import db
from workflows.pokir import POKIR
from workflows.records import allowed_record_triggers

REGISTER_EDIT = frozenset({Role.ADMIN, Role.MANAGER})
BUDGET_EDIT = frozenset({Role.ADMIN, Role.MANAGER, Role.FINANCE})


def _state_label(_view: Any, _context: Any, model: PokirLine, _name: str) -> str:
    return gettext(POKIR_STATE_LABELS.get(model.state, model.state))  # type: ignore[call-overload]


class DprdMemberView(BerdayaModelView):
    read_action = "dprd_member.read"
    edit_action = "dprd_member.write"
    column_list = ["name", "fraksi", "dapil", "komisi", "active"]
    column_labels = {
        "name": _l("Name"),
        "fraksi": _l("Fraksi"),
        "dapil": _l("Dapil"),
        "komisi": _l("Komisi"),
        "active": _l("Active"),
    }
    column_searchable_list = ["name", "fraksi", "dapil"]
    form_columns = ["name", "fraksi", "dapil", "komisi"]
    can_edit = False

    def create_model(self, form: Any) -> Any:
        data = MemberInput(form.name.data or "", form.fraksi.data or "", form.dapil.data or "")
        data.komisi = form.komisi.data or ""
        try:
            member = create_member(db.current(), data, actor=require_actor())
            db.current().commit()
        except DomainError as error:
            show_domain_error(error, form)
            return False
        return member


class BudgetLineView(BerdayaModelView):
    read_action = "budget.read"
    edit_action = "budget.write"
    column_list = [
        "fiscal_year",
        "version",
        "program",
        "sub_activity_code",
        "account_code",
        "name",
        "ceiling",
    ]
    column_labels = {
        "fiscal_year": _l("Fiscal year"),
        "version": _l("APBD version"),
        "program": _l("Program"),
        "sub_activity_code": _l("Sub-activity"),
        "account_code": _l("Account code"),
        "name": _l("Name"),
        "ceiling": _l("Ceiling"),
    }
    column_filters = ["fiscal_year"]
    form_columns = [
        "fiscal_year",
        "program_choice",
        "version",
        "sub_activity_code",
        "account_code",
        "name",
        "ceiling",
    ]
    # The APBD version as a plain select of the enum's values (Flask-Admin's own enum field
    # passes its choices as tuples, which WTForms deprecates).
    # The program as a select of the active programs, filled per form (Flask-Admin's
    # relation field yields tuples, which WTForms deprecates as well).
    form_extra_fields = {"program_choice": SelectField(_l("Program"), choices=[])}
    form_overrides = {"version": SelectField}
    form_args = {
        "version": {
            "choices": [
                SelectChoice(version.value, _l(label))
                for version, label in BUDGET_VERSION_LABELS.items()
            ],
            "default": BudgetVersion.MURNI.value,
        }
    }
    can_edit = False

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        programs = db.current().scalars(select(Program).where(Program.active).order_by(Program.id))
        form.program_choice.choices = [SelectChoice(str(p.id), p.name) for p in programs]
        return form

    def create_model(self, form: Any) -> Any:
        program_id = form.program_choice.data or ""
        version = form.version.data
        data = BudgetLineInput(
            fiscal_year=form.fiscal_year.data or 0,
            program_id=int(program_id) if program_id.isdigit() else 0,
            sub_activity_code=form.sub_activity_code.data or "",
            account_code=form.account_code.data or "",
            ceiling=form.ceiling.data or 0,
            version=getattr(version, "value", version) or "murni",
            name=form.name.data or "",
        )
        try:
            line = create_budget_line(db.current(), data, actor=require_actor())
            db.current().commit()
        except DomainError as error:
            show_domain_error(error, form)
            return False
        return line


class PokirLineView(BerdayaModelView):
    """Pokir lines, read here; entered through the API; moved by the lifecycle buttons."""

    read_action = "pokir.read"
    endpoint_actions = {"advance": "pokir.write"}
    details_template = "admin/pokir_details.html"
    column_list = [
        "fiscal_year",
        "sipd_ref",
        "member",
        "program",
        "regency_code",
        "quota",
        "ceiling",
        "state",
    ]
    column_labels = {
        "fiscal_year": _l("Fiscal year"),
        "sipd_ref": _l("SIPD reference"),
        "member": _l("DPRD member"),
        "program": _l("Program"),
        "regency_code": _l("Kabupaten/kota"),
        "quota": _l("Quota"),
        "ceiling": _l("Ceiling"),
        "state": _l("State"),
    }
    column_formatters = {"state": _state_label}
    column_filters = ["fiscal_year", "state"]
    column_searchable_list = ["sipd_ref"]

    def render(self, template: str, **kwargs: Any) -> str:
        model = kwargs.get("model")
        if template == self.details_template and isinstance(model, PokirLine):
            kwargs["events"] = list(
                db.current().scalars(
                    select(PokirEvent)
                    .where(PokirEvent.pokir_line_id == model.id)
                    .order_by(PokirEvent.id)
                )
            )
            kwargs["usage"] = pokir_usage(db.current(), model.id)
            kwargs["state_labels"] = POKIR_STATE_LABELS
            actor = require_actor()
            kwargs["actions"] = [
                POKIR.transitions_named(t)[0] for t in allowed_record_triggers(model, actor)
            ]
        return str(super().render(template, **kwargs))

    @expose("/advance/<int:line_id>", methods=["POST"])
    def advance(self, line_id: int) -> Response:
        session = db.current()
        try:
            line = get_pokir_line(session, line_id)
            advance_pokir(
                session,
                line,
                request.form.get("trigger", ""),
                actor=require_actor(),
                note=request.form.get("note"),
            )
            session.commit()
            flash(gettext("The pokir line was updated."), "success")
        except DomainError as error:
            show_domain_error(error)
        return redirect(url_for(".details_view", id=line_id))


class CommitmentView(BerdayaModelView):
    """The commitments ledger (read-only: the workflow writes it)."""

    read_action = "commitment.read"
    column_list = [
        "case",
        "pokir_line",
        "budget_line",
        "amount",
        "status",
        "committed_at",
        "released_at",
        "realised_at",
    ]
    column_labels = {
        "case": _l("Case"),
        "pokir_line": _l("Pokir line"),
        "budget_line": _l("Budget line"),
        "amount": _l("Amount"),
        "status": _l("Status"),
        "committed_at": _l("Committed at"),
        "released_at": _l("Released at"),
        "realised_at": _l("Realised at"),
    }
    column_filters = ["status"]


class YearEndView(RoleGate, BaseView):
    """Open commitments and the lapsing remainder of every ceiling in a fiscal year."""

    read_action = "yearend.read"

    @expose("/")
    def index(self) -> str:
        year = request.args.get("fiscal_year", type=int) or clock.today_wita().year
        report = year_end(db.current(), year)
        return str(self.render("admin/year_end.html", report=report, year=year))
