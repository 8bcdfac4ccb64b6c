"""Builds the Flask-Admin interface: one view per screen, each gated by role and region."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from admin.cases import CaseView
from admin.config_views import BusinessTypeView, ProgramView, RegionView, UserView
from admin.dashboard import DashboardView
from admin.disbursement import add_disbursement_views
from admin.followup import MonitoringVisitView, UsageReportView
from admin.notifications import DayOffView, InboxView, SlaOverrideView
from admin.registry import GroupView, PersonView
from admin.reports import ReportView
from admin.workflow_view import WorkflowView
from casework.models.calendar import DayOff, SlaOverride
from casework.models.case import Case
from casework.models.followup import MonitoringVisit, UsageReport
from casework.models.notification import InboxMessage
from casework.models.person import Group, Person
from casework.models.program import BusinessType, Program
from casework.models.region import Region
from casework.models.user import ROLE_LABELS, User

ROOT = Path(__file__).resolve().parent.parent
BASE_TEMPLATE = "admin/berdaya_base.html"


def build_admin(app: Flask) -> Admin:
    """Register the admin on ``app`` at /admin (the dashboard is its index)."""
    cases = CaseView(Case, name=_l("Cases"), endpoint="case")
    admin = Admin(
        app,
        name="Berdaya",
        theme=Bootstrap4Theme(base_template=BASE_TEMPLATE, fluid=True),
        index_view=DashboardView(case_view=cases, name=_l("Dashboard"), url="/admin"),
        translations_path=str(ROOT / "translations"),
    )
    admin.add_view(cases)
    admin.add_view(InboxView(InboxMessage, name=_l("Inbox"), endpoint="inbox"))
    registry = _l("Registry")
    admin.add_view(PersonView(Person, name=_l("Persons"), endpoint="person", category=registry))
    admin.add_view(GroupView(Group, name=_l("KUBE groups"), endpoint="group", category=registry))
    followup = _l("Follow-up")
    admin.add_view(
        UsageReportView(
            UsageReport, name=_l("Usage reports"), endpoint="usagereport", category=followup
        )
    )
    admin.add_view(
        MonitoringVisitView(
            MonitoringVisit,
            name=_l("Monitoring visits"),
            endpoint="monitoringvisit",
            category=followup,
        )
    )
    admin.add_view(ReportView(name=_l("Reports"), endpoint="report"))
    from admin.imports import ImportView

    admin.add_view(ImportView(name=_l("Import from Excel"), endpoint="import", category=registry))
    add_disbursement_views(admin)
    settings = _l("Settings")
    admin.add_view(ProgramView(Program, name=_l("Programs"), endpoint="program"))
    admin.add_view(
        BusinessTypeView(
            BusinessType, name=_l("Business types"), endpoint="businesstype", category=settings
        )
    )
    admin.add_view(WorkflowView(name=_l("Workflows"), endpoint="workflow", category=settings))
    admin.add_view(
        DayOffView(DayOff, name=_l("Extra days off"), endpoint="dayoff", category=settings)
    )
    admin.add_view(
        SlaOverrideView(
            SlaOverride, name=_l("Deadlines per program"), endpoint="slaoverride", category=settings
        )
    )
    admin.add_view(UserView(User, name=_l("Users"), endpoint="user", category=settings))
    admin.add_view(RegionView(Region, name=_l("Regions"), endpoint="region", category=settings))
    _add_pokir_views(admin)
    _add_letter_views(admin)
    _add_security_views(admin, settings)
    from admin.privacy import add_privacy_views

    add_privacy_views(admin)
    app.context_processor(lambda: {"role_labels": ROLE_LABELS})
    return admin


def _add_security_views(admin: Admin, settings: object) -> None:
    """The audit log (admin/audit.py) and the user's own account (admin/account.py)."""
    from admin.account import AccountView
    from admin.audit import AuditLogView
    from casework.models.audit import AuditEntry

    admin.add_view(
        AuditLogView(AuditEntry, name=_l("Audit log"), endpoint="auditlog", category=settings)
    )
    admin.add_view(AccountView(name=_l("My account"), endpoint="myaccount"))


def _add_pokir_views(admin: Admin) -> None:
    """Pokir register and budget (admin/pokir.py)."""
    from admin.pokir import (
        BudgetLineView,
        CommitmentView,
        DprdMemberView,
        PokirLineView,
        YearEndView,
    )
    from casework.models.budget import BudgetLine, Commitment
    from casework.models.pokir import DprdMember, PokirLine

    pokir = _l("Pokir and budget")
    admin.add_view(
        PokirLineView(PokirLine, name=_l("Pokir lines"), endpoint="pokirline", category=pokir)
    )
    admin.add_view(
        DprdMemberView(DprdMember, name=_l("DPRD members"), endpoint="dprdmember", category=pokir)
    )
    admin.add_view(
        BudgetLineView(BudgetLine, name=_l("Budget lines"), endpoint="budgetline", category=pokir)
    )
    admin.add_view(
        CommitmentView(Commitment, name=_l("Commitments"), endpoint="commitment", category=pokir)
    )
    admin.add_view(YearEndView(name=_l("Year end"), endpoint="yearend", category=pokir))


def _add_letter_views(admin: Admin) -> None:
    """Issued letters, and the letter settings (admin/letters.py)."""
    from admin.letters import LetterSettingsView, LetterView
    from casework.models.letter import Letter

    admin.add_view(LetterView(Letter, name=_l("Letters"), endpoint="letter"))
    admin.add_view(
        LetterSettingsView(
            name=_l("Letter settings"), endpoint="lettersettings", category=_l("Settings")
        )
    )
