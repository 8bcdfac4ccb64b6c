"""The inbox ("Kotak masuk"), the extra days off and the per-program SLA overrides.

Thin views: every write goes through casework.services (notifications, deadlines).
"""

from __future__ import annotations

from typing import Any

from flask import flash, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_gettext
from flask_admin.contrib.sqla.filters import FilterEmpty
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import func, select
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from admin.base import AdminForm, BerdayaModelView, show_domain_error
from admin.security import require_actor
from casework.errors import DomainError
from casework.models.calendar import DayOff, SlaOverride
from casework.models.case import STATE_LABELS, CaseState
from casework.models.notification import InboxMessage
from casework.models.program import Program
from casework.services.deadlines import (
    add_day_off,
    remove_day_off,
    remove_sla_override,
    set_sla_override,
    sla_states,
)
from casework.services.notifications import mark_read
from web.db import db
from web.i18n import long_date, wita_datetime
from workflows.programs import DEFINITIONS


def _state_label(state: str) -> str:
    return gettext(STATE_LABELS[CaseState(state)])


def _case_link(message: InboxMessage) -> Markup | str:
    if message.case is None:
        return ""
    url = url_for("case.details_view", id=message.case_id)
    return Markup('<a href="{}">{}</a>').format(url, escape(message.case.number))


class UnreadFilter(FilterEmpty):
    """Yes: messages not read yet; no: those already read."""

    def operation(self) -> Any:
        return admin_gettext("equals")  # Flask-Admin's own, already translated


class InboxView(BerdayaModelView):
    """The logged-in user's own messages, newest first; opening one marks it read."""

    read_action = "inbox.read"
    endpoint_actions = {"action_view": "inbox.read"}
    column_list = ["created_at", "subject", "case", "read_at"]
    column_details_list = ["created_at", "subject", "case", "body", "read_at"]
    column_default_sort = ("id", True)
    column_labels = {
        "created_at": _l("Received"),
        "subject": _l("Subject"),
        "case": _l("Case"),
        "body": _l("Message"),
        "read_at": _l("Read"),
    }
    column_formatters = {
        "created_at": lambda v, c, m, n: wita_datetime(m.created_at),
        "read_at": lambda v, c, m, n: wita_datetime(m.read_at) if m.read_at else gettext("Unread"),
        "case": lambda v, c, m, n: _case_link(m),
    }
    column_formatters_detail = column_formatters
    column_filters = [UnreadFilter(InboxMessage.read_at, _l("Unread"))]

    def get_query(self) -> Any:
        return super().get_query().filter(InboxMessage.user_id == require_actor().id)

    def get_count_query(self) -> Any:
        mine = InboxMessage.user_id == require_actor().id
        return self.session.query(func.count(InboxMessage.id)).filter(mine)

    def get_one(self, id: Any) -> Any:
        try:
            return self.get_query().filter(InboxMessage.id == int(id)).one_or_none()
        except ValueError:
            return None

    @expose("/details/")
    def details_view(self) -> Any:
        message = self.get_one(request.args.get("id", ""))
        if message is not None and message.read_at is None:
            mark_read(db.current(), [message.id], actor=require_actor())
            db.session.commit()
        return super().details_view()

    @action("mark_read", _l("Mark as read"))
    def action_mark_read(self, ids: list[str]) -> None:
        count = mark_read(db.current(), [int(i) for i in ids], actor=require_actor())
        db.session.commit()
        flash(ngettext("%(num)s message marked read.", "%(num)s messages marked read.", count))


class DayOffForm(AdminForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])


class DayOffView(BerdayaModelView):
    """Local days off on top of the national holidays; admin and manager add and remove."""

    read_action = "calendar.read"
    edit_action = "calendar.write"
    column_list = ["day", "description"]
    column_labels = {"day": _l("Date"), "description": _l("Description")}
    column_formatters = {"day": lambda v, c, m, n: long_date(m.day)}
    column_default_sort = ("day", False)
    can_view_details = False

    @property
    def can_edit(self) -> bool:
        return False

    @property
    def can_delete(self) -> bool:
        return self.may_edit

    def get_create_form(self) -> Any:
        return DayOffForm

    def create_model(self, form: Any) -> Any:
        try:
            row = add_day_off(
                db.current(), form.day.data, form.description.data or "", actor=require_actor()
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form)
            return False
        return row

    def delete_model(self, model: DayOff) -> bool:
        try:
            remove_day_off(db.current(), model.id, actor=require_actor())
            db.session.commit()
        except DomainError as error:
            show_domain_error(error)
            return False
        return True


class SlaCreateForm(AdminForm):
    program_id = SelectField(_l("Program"), coerce=int, validators=[InputRequired()])
    state = SelectField(_l("State"), validators=[InputRequired()])
    working_days = IntegerField(
        _l("Working days"), validators=[InputRequired(), NumberRange(min=0, max=365)]
    )

    def fill_choices(self) -> None:
        programs = db.session.scalars(select(Program).order_by(Program.code)).all()
        self.program_id.choices = [(p.id, f"{p.code} — {p.name}") for p in programs]
        states = [s for key in DEFINITIONS for s in sla_states(key)]
        self.state.choices = [(s, _state_label(s)) for s in dict.fromkeys(states)]


class SlaEditForm(AdminForm):
    working_days = IntegerField(
        _l("Working days"), validators=[InputRequired(), NumberRange(min=0, max=365)]
    )


def _default_days(override: SlaOverride) -> str:
    definition = DEFINITIONS[override.program.workflow]
    days = definition.state(override.state).sla_days
    return "" if days is None else str(days)


class SlaOverrideView(BerdayaModelView):
    """A program's own deadline per state, in working days, instead of the workflow's."""

    read_action = "sla.read"
    edit_action = "sla.write"
    column_list = ["program", "state", "working_days", "default_days"]
    column_labels = {
        "program": _l("Program"),
        "state": _l("State"),
        "working_days": _l("Working days"),
        "default_days": _l("Workflow default"),
    }
    column_formatters = {
        "program": lambda v, c, m, n: m.program.code,
        "state": lambda v, c, m, n: _state_label(m.state),
        "default_days": lambda v, c, m, n: _default_days(m),
    }
    column_sortable_list = ["working_days"]
    can_view_details = False

    @property
    def can_delete(self) -> bool:
        return self.may_edit

    def get_create_form(self) -> Any:
        return SlaCreateForm

    def get_edit_form(self) -> Any:
        return SlaEditForm

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form.fill_choices()
        return form

    def create_model(self, form: Any) -> Any:
        return self._set(form, form.program_id.data, form.state.data)

    def update_model(self, form: Any, model: SlaOverride) -> bool:
        return self._set(form, model.program_id, model.state) is not False

    def _set(self, form: Any, program_id: int, state: str) -> Any:
        try:
            row = set_sla_override(
                db.current(), program_id, state, form.working_days.data, actor=require_actor()
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form)
            return False
        return row

    def delete_model(self, model: SlaOverride) -> bool:
        try:
            remove_sla_override(db.current(), model.id, actor=require_actor())
            db.session.commit()
        except DomainError as error:
            show_domain_error(error)
            return False
        return True
