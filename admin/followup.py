"""Usage reports (LPJ) and monitoring visits: lists for follow-up officers, region-scoped.

Recording happens through the services (API or the actions here); the lists never edit
rows directly.
"""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin.actions import action
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from admin.base import BerdayaModelView, show_domain_error
from admin.security import require_actor
from casework.errors import DomainError
from casework.models.case import Case
from casework.models.followup import (
    BUSINESS_STATUS_LABELS,
    REPORT_STATUS_LABELS,
    UsageReport,
)
from casework.services.followup import REVIEW_ROLES, accept_usage_report
from web.db import db
from web.i18n import rupiah


def _scoped(query: Any, model: Any) -> Any:
    user = require_actor()
    query = query.join(Case, Case.id == model.case_id)
    if user.region_code is not None:
        query = query.filter(Case.regency_code == user.region_code)
    return query


class _FollowupView(BerdayaModelView):
    read_action = "followup.read"
    endpoint_actions = {"action_view": "followup.review"}
    can_view_details = True

    @property
    def can_create(self) -> bool:
        return False

    @property
    def can_edit(self) -> bool:
        return False

    def get_query(self) -> Any:
        return _scoped(super().get_query(), self.model)

    def get_count_query(self) -> Any:
        return _scoped(self.session.query(func.count(self.model.id)), self.model)

    def get_one(self, id: Any) -> Any:
        return self.get_query().filter(self.model.id == int(id)).one_or_none()


class UsageReportView(_FollowupView):
    column_list = ("case", "received_on", "income_before", "status", "review_note")
    column_default_sort = ("id", True)
    column_filters = ("status", "received_on")
    column_labels = {
        "case": _l("Case"),
        "received_on": _l("Received on"),
        "income_before": _l("Monthly income before the aid"),
        "status": _l("Status"),
        "review_note": _l("Reason sent back"),
    }
    column_formatters = {
        "income_before": lambda v, c, m, p: rupiah(m.income_before),
        "status": lambda v, c, m, p: gettext(REPORT_STATUS_LABELS[m.status]),
    }

    def is_action_allowed(self, name: str) -> bool:
        return require_actor().role in REVIEW_ROLES and super().is_action_allowed(name)

    @action("accept", _l("Accept usage report"), _l("Accept the selected usage reports?"))
    def action_accept(self, ids: list[str]) -> None:
        actor = require_actor()
        reports = self.get_query().filter(UsageReport.id.in_([int(i) for i in ids])).all()
        try:
            for report in reports:
                accept_usage_report(db.current(), report, actor=actor)
            db.session.commit()
        except DomainError as error:
            show_domain_error(error)
            return
        count = len(reports)
        flash(ngettext("%(num)s usage report accepted.", "%(num)s usage reports accepted.", count))


class MonitoringVisitView(_FollowupView):
    column_list = (
        "case",
        "offset_months",
        "due_on",
        "visited_on",
        "business_status",
        "monthly_income",
    )
    column_default_sort = ("due_on", False)
    column_filters = ("due_on", "visited_on", "business_status", "offset_months")
    column_labels = {
        "case": _l("Case"),
        "offset_months": _l("Months after delivery"),
        "due_on": _l("Due on"),
        "visited_on": _l("Visited on"),
        "business_status": _l("Business"),
        "monthly_income": _l("Monthly income"),
    }
    column_formatters = {
        "monthly_income": lambda v, c, m, p: rupiah(m.monthly_income),
        "business_status": lambda v, c, m, p: (
            gettext(BUSINESS_STATUS_LABELS[m.business_status]) if m.business_status else ""
        ),
    }
