"""The aid workflow shared by KUBE, WRSE and UEP (DOMAIN.md §11), as data.

Programs differ in who may apply and in the guards on submission; the path itself
(verification → DTSEN → assessment → recommendation → pokir review → decree →
procurement → delivery → usage report → monitoring) is the same.
"""

from __future__ import annotations

from casework.i18n import N_
from casework.models.case import CaseState as S
from casework.models.user import Role as R
from workflows.definition import StateDef, TransitionDef, WorkflowDefinition

REVIEW_STATES = (
    S.SUBMITTED,
    S.ADMIN_VERIFICATION,
    S.DTSEN_CHECK,
    S.FIELD_ASSESSMENT,
    S.RECOMMENDED,
    S.POKIR_REVIEW,
    S.APPROVED,
)

STATES = (
    StateDef(S.DRAFT),
    StateDef(S.SUBMITTED, sla_days=5),
    StateDef(S.ADMIN_VERIFICATION, sla_days=10),
    StateDef(S.DTSEN_CHECK, sla_days=10),
    StateDef(S.FIELD_ASSESSMENT, sla_days=15),
    StateDef(S.RECOMMENDED, sla_days=10),
    StateDef(S.POKIR_REVIEW, sla_days=30),
    StateDef(S.APPROVED, sla_days=20),
    StateDef(S.DECREED, sla_days=10),
    StateDef(S.PROCUREMENT, sla_days=60),
    StateDef(S.DELIVERED, sla_days=5),
    StateDef(S.AWAITING_REPORT, due_rule="usage_report"),
    StateDef(S.MONITORING, sla_days=120),
    StateDef(S.RETURNED, sla_days=10),
    StateDef(S.CLOSED, final=True),
    StateDef(S.NON_COMPLIANT, final=True),
    StateDef(S.REJECTED, final=True),
    StateDef(S.CANCELLED, final=True),
)


def _roles(*roles: R) -> frozenset[R]:
    return frozenset(roles)


def standard_definition(
    key: str,
    title: str,
    *,
    submit_guards: tuple[str, ...],
    approval_letters: tuple[str, ...] = ("approval_notice",),
) -> WorkflowDefinition:
    """The standard aid workflow with ``submit_guards`` checked on (re)submission.

    The approval letter goes out with the decree (SK), not with the internal approval: the
    decree is the decision the recipient is told about, and it carries the SK number.
    """
    t = TransitionDef
    transitions = (
        t(
            "submit",
            (S.DRAFT,),
            S.SUBMITTED,
            _roles(R.CASEWORKER, R.MANAGER),
            N_("Submit application"),
            guards=submit_guards,
        ),
        t(
            "start_verification",
            (S.SUBMITTED,),
            S.ADMIN_VERIFICATION,
            _roles(R.VERIFIER, R.MANAGER),
            N_("Start administrative verification"),
        ),
        t(
            "pass_admin_verification",
            (S.ADMIN_VERIFICATION,),
            S.DTSEN_CHECK,
            _roles(R.VERIFIER, R.MANAGER),
            N_("Pass administrative verification"),
            guards=("required_documents_present",),
        ),
        t(
            "confirm_dtsen",
            (S.DTSEN_CHECK,),
            S.FIELD_ASSESSMENT,
            _roles(R.VERIFIER, R.MANAGER),
            N_("Confirm DTSEN check"),
            guards=("dtsen_within_threshold",),
        ),
        t(
            "recommend",
            (S.FIELD_ASSESSMENT,),
            S.RECOMMENDED,
            _roles(R.VERIFIER, R.MANAGER),
            N_("Recommend"),
            guards=("assessment_feasible", "package_within_unit_value"),
            effects=("fix_amount_from_assessment",),
        ),
        t(
            "send_to_pokir_review",
            (S.RECOMMENDED,),
            S.POKIR_REVIEW,
            _roles(R.MANAGER),
            N_("Send to pokir review"),
        ),
        t(
            "approve",
            (S.POKIR_REVIEW,),
            S.APPROVED,
            _roles(R.MANAGER),
            N_("Approve (commit pokir quota and budget)"),
            guards=("pokir_line_valid",),
            effects=("commit_pokir_budget",),
        ),
        t(
            "decree",
            (S.APPROVED,),
            S.DECREED,
            _roles(R.MANAGER),
            N_("Fix in decree (SK)"),
            letters=approval_letters,
        ),
        t(
            "start_procurement",
            (S.DECREED,),
            S.PROCUREMENT,
            _roles(R.FINANCE, R.MANAGER),
            N_("Start procurement"),
            guards=("procurement_recorded",),
        ),
        t(
            "record_delivery",
            (S.PROCUREMENT,),
            S.DELIVERED,
            _roles(R.CASEWORKER, R.FINANCE, R.MANAGER),
            N_("Record handover (BAST)"),
            guards=("handover_recorded",),
            effects=("realise_pokir_budget",),
        ),
        t(
            "revoke_by_corrective_decree",
            (S.DECREED, S.PROCUREMENT),
            S.CANCELLED,
            _roles(R.MANAGER),
            N_("Revoke by corrective decree (SK perubahan)"),
            reason_required=True,
            effects=("release_pokir_budget",),
        ),
        t(
            "await_usage_report",
            (S.DELIVERED,),
            S.AWAITING_REPORT,
            _roles(R.CASEWORKER, R.MANAGER),
            N_("Request usage report"),
            letters=("usage_report_reminder",),
        ),
        t(
            "accept_usage_report",
            (S.AWAITING_REPORT,),
            S.MONITORING,
            _roles(R.VERIFIER, R.MANAGER),
            N_("Accept usage report"),
            guards=("usage_report_accepted",),
            effects=("plan_monitoring_visits",),
            letters=("monitoring_notice",),
        ),
        t(
            "close",
            (S.MONITORING,),
            S.CLOSED,
            _roles(R.MANAGER),
            N_("Close case"),
            guards=("monitoring_complete",),
        ),
        t(
            "mark_non_compliant",
            (S.AWAITING_REPORT, S.MONITORING),
            S.NON_COMPLIANT,
            _roles(R.MANAGER),
            N_("Mark non-compliant"),
            reason_required=True,
        ),
        t(
            "return_for_revision",
            REVIEW_STATES,
            S.RETURNED,
            _roles(R.VERIFIER, R.MANAGER),
            N_("Return for revision"),
            reason_required=True,
            effects=("release_pokir_budget",),
            letters=("return_notice",),
        ),
        t(
            "resubmit",
            (S.RETURNED,),
            S.SUBMITTED,
            _roles(R.CASEWORKER, R.MANAGER),
            N_("Resubmit"),
            guards=submit_guards,
        ),
        t(
            "reject",
            REVIEW_STATES,
            S.REJECTED,
            _roles(R.VERIFIER, R.MANAGER),
            N_("Reject"),
            reason_required=True,
            effects=("release_pokir_budget",),
            letters=("rejection_notice",),
        ),
        t(
            "cancel",
            (S.DRAFT, S.RETURNED),
            S.CANCELLED,
            _roles(R.CASEWORKER, R.MANAGER),
            N_("Cancel"),
            reason_required=True,
        ),
        t(
            "cancel",
            REVIEW_STATES,
            S.CANCELLED,
            _roles(R.MANAGER),
            N_("Cancel"),
            reason_required=True,
            effects=("release_pokir_budget",),
        ),
    )
    return WorkflowDefinition(
        key=key, title=title, initial=S.DRAFT, states=STATES, transitions=transitions
    )
