"""The one access policy of Berdaya: role × action × region.

Every admin screen, API endpoint, export, report, file download and letter names the
*action* it performs; this table says which roles may perform it. The region rule is the
same everywhere:

- a user bound to a kabupaten/kota (``User.region_code``) sees only the cases, persons,
  groups and what hangs from a case (documents, handovers, accounts, usage reports,
  monitoring visits) of that kabupaten/kota; a record of another region is answered
  "not found" (404), so its existence is not revealed;
- a province user (no region) sees the whole province;
- actions in ``PROVINCE_ONLY`` (budget reports) are refused (403) to region-bound users.

The order of the checks is: logged in (401 / login page), role and province-only (403),
then the record's region (404). Services keep their own, finer checks (the workflow's
roles per transition, a record's state); this table is the gate in front of them, and a
route that does not name an action is refused by the authorization matrix test
(tests/security/test_matrix.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.errors import NotAllowed, NotFound
from casework.i18n import N_
from casework.models.case import Case
from casework.models.disbursement import BeneficiaryAccount, Handover
from casework.models.followup import MonitoringVisit, UsageReport
from casework.models.letter import Letter
from casework.models.person import Group, Person
from casework.models.user import Role, User
from casework.models.verification import Document

ALL = frozenset(Role)
STAFF = ALL - {Role.DPRD_LIAISON}  # everybody who may see personal data
CASE_WRITERS = frozenset({Role.ADMIN, Role.MANAGER, Role.CASEWORKER, Role.VERIFIER})
CONFIG_EDITORS = frozenset({Role.ADMIN, Role.MANAGER})
FINANCE = frozenset({Role.FINANCE, Role.MANAGER})
FIELD = frozenset({Role.CASEWORKER, Role.VERIFIER, Role.MANAGER})
REVIEWERS = frozenset({Role.VERIFIER, Role.MANAGER})
BUDGET_READERS = frozenset(
    {Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.AUDITOR, Role.DPRD_LIAISON}
)
NOBODY: frozenset[Role] = frozenset()

POLICY: Mapping[str, frozenset[Role]] = {
    # Start page, own inbox.
    "dashboard.read": ALL,
    "inbox.read": ALL,
    # Registry and cases (personal data: never the DPRD liaison).
    "person.read": STAFF,
    "person.write": CASE_WRITERS,
    "group.read": STAFF,
    "group.write": CASE_WRITERS,
    "case.read": STAFF,
    "case.write": CASE_WRITERS,
    # Every role that appears in some transition of some workflow (the workflow decides
    # which of them may fire which action in which state).
    "case.transition": frozenset({Role.CASEWORKER, Role.VERIFIER, Role.FINANCE, Role.MANAGER}),
    # Verification: documents, DTSEN checks, field assessments.
    "document.read": STAFF,
    "document.write": CASE_WRITERS,
    "verification.read": STAFF,
    "verification.write": CASE_WRITERS,
    "verification.override": frozenset({Role.MANAGER}),
    # Decrees (SK).
    "decree.read": STAFF,
    "decree.write": frozenset({Role.MANAGER}),
    # Letters: read with the case; voided or re-issued by managers; settings by admins.
    "letter.read": STAFF,
    "letter.write": frozenset({Role.ADMIN, Role.MANAGER}),
    "letter_settings.write": frozenset({Role.ADMIN}),
    # Procurement, handover, bank accounts, payment batches.
    "procurement.read": STAFF,
    "procurement.write": FINANCE,
    "handover.read": STAFF,
    "handover.write": frozenset({Role.CASEWORKER, Role.FINANCE, Role.MANAGER}),
    "account.read": FINANCE | {Role.CASEWORKER, Role.AUDITOR},
    "account.write": FINANCE | {Role.CASEWORKER},
    # Payment batches carry holder names, account numbers and amounts: like the accounts
    # themselves, finance, managers and auditors only (not the system administrator).
    "payment.read": FINANCE | {Role.AUDITOR},
    "payment.write": FINANCE,
    # Follow-up: usage reports (LPJ) and monitoring visits.
    "followup.read": STAFF,
    "followup.record": FIELD,
    "followup.review": REVIEWERS,
    # Pokir, DPRD members, budget lines, commitments, year end.
    "pokir.read": ALL,
    "pokir.write": CONFIG_EDITORS,
    "pokir.link": frozenset({Role.ADMIN, Role.MANAGER, Role.CASEWORKER}),
    "dprd_member.read": ALL,
    "dprd_member.write": CONFIG_EDITORS,
    "budget.read": ALL,
    "budget.write": frozenset({Role.ADMIN, Role.MANAGER, Role.FINANCE}),
    "commitment.read": STAFF,
    "yearend.read": ALL,
    # Reports and their exports.
    "report.read": ALL,
    "report.budget": BUDGET_READERS,
    # Reference data and settings.
    "reference.read": ALL,
    "reference.write": CONFIG_EDITORS,
    "region.write": NOBODY,  # regions are loaded from data/regions, never edited
    # Flask-Admin registers create/edit/delete endpoints on every model view; on a view
    # that offers no such operation they perform this action, which nobody may.
    "disabled": NOBODY,
    "calendar.read": ALL,
    "calendar.write": CONFIG_EDITORS,
    "sla.read": CONFIG_EDITORS,
    "sla.write": CONFIG_EDITORS,
    "workflow.read": STAFF,
    "user.read": frozenset({Role.ADMIN}),
    "user.write": frozenset({Role.ADMIN}),
    # The audit log (read-only for everyone) and one's own password, TOTP and API tokens.
    "audit.read": frozenset({Role.ADMIN, Role.AUDITOR}),
    "profile.read": ALL,
    "profile.write": ALL,
    # Personal data (UU 27/2022, casework/services/privacy.py): full numbers on an explicit,
    # logged "show"; a person's whole file (data-subject access); the reveal log.
    "person.reveal": frozenset({Role.CASEWORKER, Role.VERIFIER}),
    "account.reveal": frozenset({Role.FINANCE}),
    "person.export": frozenset({Role.ADMIN, Role.MANAGER, Role.AUDITOR}),
    "reveal_log.read": frozenset({Role.ADMIN, Role.AUDITOR}),
}

# Region-bound users are refused these outright (provincial figures).
PROVINCE_ONLY = frozenset({"report.budget"})

# Endpoints anybody may open, logged in or not: they check what they show themselves.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "admin.static",
        "_home",
        "auth.login",
        "auth.login_code",
        "auth.logout",
        "auth.switch_language",
        "api-docs.openapi_json",
        "verify.show",
        "verify.compare",
        "health.healthz",
        "status.form",
        "status.lookup",
    }
)

# The kinds of record that belong to a kabupaten/kota (a record outside the actor's region
# is "not found"): the applicant registry, the case and everything hanging from a case
# (a letter to an applicant hangs from its case; a letter without a case is province-wide).
REGIONAL_RECORDS = frozenset(
    {
        "case",
        "person",
        "group",
        "document",
        "handover",
        "account",
        "usage_report",
        "monitoring_visit",
        "letter",
    }
)

# The URL parameters that name a region-bound record, everywhere (admin and API): the web
# gates resolve them before any view runs, so a record of another kabupaten/kota is "not
# found" whatever the method and body of the request.
RECORD_PARAMETERS: Mapping[str, str] = {
    "case_id": "case",
    "person_id": "person",
    "group_id": "group",
    "document_id": "document",
    "report_id": "usage_report",
    "visit_id": "monitoring_visit",
    "letter_id": "letter",
}

ACTION_ATTRIBUTE = "__berdaya_action__"

F = TypeVar("F", bound=Callable[..., Any])


def roles_for(action: str) -> frozenset[Role]:
    """The roles that may perform ``action``; KeyError for an action the table lacks."""
    return POLICY[action]


def allows(actor: User | None, action: str) -> bool:
    """Whether ``actor`` (active) may perform ``action`` (role, then province-only rule)."""
    if actor is None or not actor.active:
        return False
    if actor.role not in roles_for(action):
        return False
    return not (action in PROVINCE_ONLY and actor.region_code is not None)


def require(actor: User, action: str) -> None:
    """Raise NotAllowed (403) unless ``actor`` may perform ``action``."""
    if not actor.active:
        raise NotAllowed(N_("Your account is not active."))
    if actor.role not in roles_for(action):
        raise NotAllowed()
    if action in PROVINCE_ONLY and actor.region_code is not None:
        raise NotAllowed(N_("Budget reports are for provincial accounts."))


def requires(action: str) -> Callable[[F], F]:
    """Declare the action a route performs (checked by the web layer's gate).

    The action must be in ``POLICY``: a typo fails at import, not at the first request.
    """
    roles_for(action)

    def declare(view: F) -> F:
        setattr(view, ACTION_ATTRIBUTE, action)
        return view

    return declare


def declared_action(view: Callable[..., Any]) -> str | None:
    """The action a view function declared with ``requires``, if any."""
    action = getattr(view, ACTION_ATTRIBUTE, None)
    return action if isinstance(action, str) else None


def unknown_actions(actions: Iterable[str]) -> list[str]:
    """The actions among ``actions`` that the policy table does not know."""
    return sorted({a for a in actions if a not in POLICY})


def role_table() -> dict[str, list[str]]:
    """Action -> sorted role names (for docs/security.md and the admin)."""
    return {action: sorted(r.value for r in roles) for action, roles in sorted(POLICY.items())}


def role_table_markdown() -> str:
    """The policy as the Markdown table of docs/security.md (a test keeps the two equal)."""
    roles = list(Role)
    lines = [
        "| action | " + " | ".join(r.value for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for action, allowed in sorted(POLICY.items()):
        name = f"`{action}`" + (" (province only)" if action in PROVINCE_ONLY else "")
        marks = ["✓" if role in allowed else "" for role in roles]
        lines.append("| " + " | ".join([name, *marks]) + " |")
    return "\n".join(lines)


# --- the region of a record --------------------------------------------------------------

# The model of each region-bound kind: those with their own ``regency_code`` ...
_OWN_REGION: Mapping[str, Any] = {"case": Case, "person": Person, "group": Group}
# ... and those that take it from the case they hang from (``case_id``).
_CASE_REGION: Mapping[str, Any] = {
    "document": Document,
    "handover": Handover,
    "account": BeneficiaryAccount,
    "usage_report": UsageReport,
    "monitoring_visit": MonitoringVisit,
    "letter": Letter,
}
_LARGEST_ID = 2**31 - 1  # ids are INTEGER columns: a larger one names no record


def kind_of_model(model: Any) -> str | None:
    """The region-bound kind whose records ``model`` holds, or None."""
    for kind, known in (*_OWN_REGION.items(), *_CASE_REGION.items()):
        if model is known:
            return kind
    return None


def region_of(session: Session, kind: str, record_id: int) -> str | None:
    """The kabupaten/kota code of the ``kind`` record ``record_id`` (None: province-wide,
    e.g. a letter without a case); NotFound when there is no such record."""
    if not 0 < record_id <= _LARGEST_ID:
        raise NotFound()
    if kind in _OWN_REGION:
        model = _OWN_REGION[kind]
        loaded = session.identity_map.get(session.identity_key(model, record_id))
        if loaded is not None:  # already read by this unit of work (the API gate's preload)
            own: str | None = loaded.regency_code
            return own
        stmt = select(model.id, model.regency_code).where(model.id == record_id)
    else:
        model = _CASE_REGION[kind]
        stmt = (
            select(model.id, Case.regency_code)
            .outerjoin(Case, Case.id == model.case_id)
            .where(model.id == record_id)
        )
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound()
    region: str | None = row[1]
    return region


def require_in_region(session: Session, actor: User, kind: str, record_id: int) -> None:
    """NotFound unless the ``kind`` record exists and lies in ``actor``'s region (a record
    of another kabupaten/kota is "not found", so its existence is not revealed)."""
    region = region_of(session, kind, record_id)
    if region is not None and not actor.covers(region):
        raise NotFound()


def require_records_in_region(
    session: Session, actor: User, arguments: Mapping[str, Any] | None
) -> None:
    """Apply ``require_in_region`` to every URL argument that names a region-bound record
    (``RECORD_PARAMETERS``); the web gates call it before the view parses anything."""
    for name, value in (arguments or {}).items():
        kind = RECORD_PARAMETERS.get(name)
        if kind is not None and isinstance(value, int):
            require_in_region(session, actor, kind, value)
