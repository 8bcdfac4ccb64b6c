"""The audit log screen: read-only for administrators and auditors, newest first.

No create, edit, delete or bulk action exists here (and the database refuses them anyway);
filters by actor, action, record kind, record id and date (WITA).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask_admin.babel import lazy_gettext as admin_gettext
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual, FilterLike
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from admin.base import BerdayaModelView
from casework.clock import WITA
from casework.models.audit import AUDIT_ACTION_LABELS, AuditEntry
from web.i18n import wita_datetime


def action_label(action: str) -> str:
    label = AUDIT_ACTION_LABELS.get(action)
    return gettext(label) if label else action


def _action_options() -> list[tuple[str, str]]:
    return [(key, gettext(label)) for key, label in AUDIT_ACTION_LABELS.items()]


def _start_of_day(value: date) -> datetime:
    return datetime.combine(value, time.min, tzinfo=WITA)


class _DateFilter(BaseSQLAFilter):
    """A calendar day in WITA typed as YYYY-MM-DD."""

    def clean(self, value: str) -> date:
        return date.fromisoformat(value.strip())


class FromDateFilter(_DateFilter):
    def apply(self, query: Any, value: date, alias: Any = None) -> Any:
        return query.filter(AuditEntry.at >= _start_of_day(value))

    def operation(self) -> Any:
        return _l("from (YYYY-MM-DD)")


class UntilDateFilter(_DateFilter):
    def apply(self, query: Any, value: date, alias: Any = None) -> Any:
        return query.filter(AuditEntry.at < _start_of_day(value + timedelta(days=1)))

    def operation(self) -> Any:
        return _l("until (YYYY-MM-DD)")


class ActionFilter(FilterEqual):
    def operation(self) -> Any:
        return admin_gettext("equals")


def _changes(entry: AuditEntry) -> Markup | str:
    """The changed fields: ``field: old → new``, or that it changed when the value is secret."""
    if not entry.changes:
        return ""
    rows = []
    for field, values in sorted(entry.changes.items()):
        if isinstance(values, list) and len(values) == 2:
            shown = Markup("{} → {}").format(_value(values[0]), _value(values[1]))
        elif values is None:
            shown = Markup("<em>{}</em>").format(gettext("changed (value not recorded)"))
        else:
            shown = escape(str(values))
        rows.append(Markup("<li><code>{}</code>: {}</li>").format(field, shown))
    return Markup('<ul class="list-unstyled mb-0 audit-changes">{}</ul>').format(
        Markup("").join(rows)
    )


def _value(value: object) -> str:
    return "∅" if value is None else str(value)


class AuditLogView(BerdayaModelView):
    """Every write and every login. Nobody may change it, from here or anywhere else."""

    read_action = "audit.read"
    can_view_details = True
    column_list = ["at", "actor_name", "ip", "action", "entity_type", "entity_id", "changes"]
    column_details_list = [*column_list, "actor_id", "request_id"]
    column_default_sort = ("id", True)
    column_sortable_list = ["at", "actor_name", "action", "entity_type"]
    column_labels = {
        "at": _l("When"),
        "actor_name": _l("Who"),
        "actor_id": _l("User id"),
        "ip": _l("Address"),
        "action": _l("Action"),
        "entity_type": _l("Record kind"),
        "entity_id": _l("Record id"),
        "changes": _l("Changes"),
        "request_id": _l("Request id"),
    }
    column_formatters = {
        "at": lambda v, c, m, n: wita_datetime(m.at),
        "action": lambda v, c, m, n: action_label(m.action),
        "changes": lambda v, c, m, n: _changes(m),
    }
    column_formatters_detail = column_formatters
    column_filters = [
        FilterLike(AuditEntry.actor_name, _l("Who")),
        FilterEqual(AuditEntry.actor_id, _l("User id")),
        ActionFilter(AuditEntry.action, _l("Action"), options=_action_options),
        FilterEqual(AuditEntry.entity_type, _l("Record kind")),
        FilterEqual(AuditEntry.entity_id, _l("Record id")),
        FromDateFilter(AuditEntry.at, _l("When")),
        UntilDateFilter(AuditEntry.at, _l("When")),
        FilterEqual(AuditEntry.ip, _l("Address")),
    ]
    column_display_actions = True
    action_disallowed_list = ["delete"]
