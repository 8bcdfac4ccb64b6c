"""Named guards: each raises GuardFailed (saying which rule and why) or returns None."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from casework.clock import WITA
from casework.errors import GuardFailed
from casework.i18n import N_, Label, LabelList
from casework.identity import age_on
from casework.models.person import OFFICER_ROLES, GroupRole
from casework.models.program import ProgramYear
from casework.models.verification import (
    DOCUMENT_KIND_LABELS,
    Assessment,
    Document,
    DtsenCheck,
    DtsenStatus,
)
from workflows.context import TransitionContext

Guard = Callable[[TransitionContext], None]


def _rules(ctx: TransitionContext, rule: str) -> ProgramYear:
    if ctx.rules is None:
        raise GuardFailed(
            rule,
            N_("Program %(program)s has no rules for fiscal year %(year)s."),
            program=ctx.case.program.code,
            year=ctx.case.fiscal_year,
        )
    return ctx.rules


def latest_dtsen_check(ctx: TransitionContext) -> DtsenCheck | None:
    stmt = (
        select(DtsenCheck)
        .where(DtsenCheck.case_id == ctx.case.id)
        .order_by(DtsenCheck.checked_on.desc(), DtsenCheck.id.desc())
        .limit(1)
    )
    return ctx.session.scalars(stmt).first()


def latest_assessment(ctx: TransitionContext) -> Assessment | None:
    stmt = (
        select(Assessment)
        .where(Assessment.case_id == ctx.case.id)
        .order_by(Assessment.id.desc())
        .limit(1)
    )
    return ctx.session.scalars(stmt).first()


def applicant_sex_allowed(ctx: TransitionContext) -> None:
    """The program may be reserved for one sex (WRSE: women)."""
    rules = _rules(ctx, "applicant_sex_allowed")
    person = ctx.case.person
    if rules.required_sex and (person is None or person.sex.value != rules.required_sex):
        raise GuardFailed(
            "applicant_sex_allowed",
            N_("Program %(program)s is only for women applicants.")
            if rules.required_sex == "P"
            else N_("Program %(program)s is only for men applicants."),
            program=ctx.case.program.code,
        )


def applicant_age_in_window(ctx: TransitionContext) -> None:
    """The applicant's age on the day of submission lies in the program's window."""
    rules = _rules(ctx, "applicant_age_in_window")
    person = ctx.case.person
    if person is None:
        raise GuardFailed("applicant_age_in_window", N_("The applicant must be a person."))
    age = age_on(person.birth_date, ctx.now.astimezone(WITA).date())
    low, high = rules.min_age, rules.max_age
    if (low is not None and age < low) or (high is not None and age > high):
        raise GuardFailed(
            "applicant_age_in_window",
            N_(
                "The applicant is %(age)s years old; program %(program)s requires "
                "%(low)s to %(high)s years."
            ),
            age=age,
            program=ctx.case.program.code,
            low=low if low is not None else 0,
            high=high if high is not None else "-",
        )


def group_composition_valid(ctx: TransitionContext) -> None:
    """KUBE: member count within bounds, one village, exactly one of each officer."""
    rules = _rules(ctx, "group_composition_valid")
    group = ctx.case.group
    rule = "group_composition_valid"
    if group is None:
        raise GuardFailed(rule, N_("The applicant must be a KUBE group."))
    count = len(group.members)
    low, high = rules.group_min_members or 1, rules.group_max_members or 10_000
    if not low <= count <= high:
        raise GuardFailed(
            rule,
            N_("The group has %(count)s members; between %(low)s and %(high)s are required."),
            count=count,
            low=low,
            high=high,
        )
    for role in OFFICER_ROLES:
        holders = sum(1 for m in group.members if m.role == role)
        if holders != 1:
            raise GuardFailed(
                rule,
                N_("The group needs exactly one %(role)s; it has %(count)s."),
                role=GroupRole(role).value,
                count=holders,
            )
    outside = [
        m.person.full_name for m in group.members if m.person.village_code != group.village_code
    ]
    if outside:
        raise GuardFailed(
            rule,
            N_("All members must live in the group's village; not: %(names)s."),
            names=", ".join(outside),
        )


def required_documents_present(ctx: TransitionContext) -> None:
    """Every required document kind (or one of its alternatives, "dtsen_proof|sktm") is there."""
    rules = _rules(ctx, "required_documents_present")
    present = set(
        ctx.session.scalars(select(Document.kind).where(Document.case_id == ctx.case.id).distinct())
    )
    missing = [
        LabelList(Label(DOCUMENT_KIND_LABELS[k]) for k in options)
        for options in rules.required_document_options
        if not set(options) & present
    ]
    if missing:
        raise GuardFailed(
            "required_documents_present",
            N_("Required documents are missing: %(missing)s."),
            missing=LabelList(missing),
        )


def dtsen_within_threshold(ctx: TransitionContext) -> None:
    """Registered in DTSEN with a decile within the threshold, or a manager's override."""
    rules = _rules(ctx, "dtsen_within_threshold")
    rule = "dtsen_within_threshold"
    if ctx.case.dtsen_override_reason:
        return
    check = latest_dtsen_check(ctx)
    if check is None or check.status == DtsenStatus.UNCHECKED:
        raise GuardFailed(rule, N_("No DTSEN check has been recorded for this case."))
    if check.status != DtsenStatus.REGISTERED or check.decile is None:
        raise GuardFailed(rule, N_("The applicant is not registered in DTSEN."))
    if check.decile > rules.max_decile:
        raise GuardFailed(
            rule,
            N_(
                "DTSEN decile %(decile)s is above the program's threshold %(max)s; "
                "a manager may record an override with a reason."
            ),
            decile=check.decile,
            max=rules.max_decile,
        )


def assessment_feasible(ctx: TransitionContext) -> None:
    """A field assessment is recorded and found the business feasible."""
    assessment = latest_assessment(ctx)
    if assessment is None:
        raise GuardFailed("assessment_feasible", N_("No field assessment has been recorded."))
    if not assessment.is_feasible:
        raise GuardFailed(
            "assessment_feasible", N_("The field assessment found the business not feasible.")
        )


def package_within_unit_value(ctx: TransitionContext) -> None:
    """The assessed package costs more than zero and no more than the program's unit value."""
    rules = _rules(ctx, "package_within_unit_value")
    assessment = latest_assessment(ctx)
    total = assessment.total if assessment is not None else 0
    if total <= 0:
        raise GuardFailed("package_within_unit_value", N_("The package of goods is empty."))
    if total > rules.unit_value:
        raise GuardFailed(
            "package_within_unit_value",
            N_("The package costs Rp%(total)s, above the unit value Rp%(limit)s."),
            total=f"{total:,}".replace(",", "."),
            limit=f"{rules.unit_value:,}".replace(",", "."),
        )


def procurement_recorded(ctx: TransitionContext) -> None:
    """Goods: the case is covered by a procurement record; cash: by a payment batch."""
    from casework.services.disbursement import has_procurement_or_payment

    if not has_procurement_or_payment(ctx.session, ctx.case.id):
        raise GuardFailed(
            "procurement_recorded",
            N_("No procurement record or payment batch covers this case."),
        )


def handover_recorded(ctx: TransitionContext) -> None:
    """Goods: a handover record (BAST) exists; cash: a successful payment."""
    from casework.services.disbursement import has_handover_or_payment

    if not has_handover_or_payment(ctx.session, ctx.case.id):
        raise GuardFailed(
            "handover_recorded",
            N_("No handover record (BAST) or successful payment exists for this case."),
        )


def usage_report_accepted(ctx: TransitionContext) -> None:
    """The case's usage report (LPJ) has been received and accepted."""
    from casework.services.followup import has_accepted_report

    if not has_accepted_report(ctx.session, ctx.case.id):
        raise GuardFailed(
            "usage_report_accepted", N_("The usage report (LPJ) has not been accepted yet.")
        )


def monitoring_complete(ctx: TransitionContext) -> None:
    """The LPJ is accepted and every planned monitoring visit, the last one too, is done."""
    from casework.services.followup import has_accepted_report, open_visit_count

    rule = "monitoring_complete"
    if not has_accepted_report(ctx.session, ctx.case.id):
        raise GuardFailed(rule, N_("The usage report (LPJ) has not been accepted yet."))
    planned, still_open = open_visit_count(ctx.session, ctx.case.id)
    if planned == 0 or still_open:
        raise GuardFailed(
            rule,
            N_("%(open)s of %(planned)s planned monitoring visits are not done yet."),
            open=still_open,
            planned=planned,
        )


def pokir_line_valid(ctx: TransitionContext) -> None:
    """The case's pokir line is in the APBD, fits the case, and has quota and ceiling left.

    Locks the pokir line and budget line rows until the transaction ends (see
    casework/services/budget.py), so the commitment the approval writes cannot overrun.
    """
    from casework.services.budget import check_capacity

    check_capacity(ctx.session, ctx.case)


GUARDS: dict[str, Guard] = {
    g.__name__: g
    for g in (
        applicant_sex_allowed,
        applicant_age_in_window,
        group_composition_valid,
        required_documents_present,
        dtsen_within_threshold,
        assessment_feasible,
        package_within_unit_value,
        procurement_recorded,
        handover_recorded,
        usage_report_accepted,
        monitoring_complete,
        pokir_line_valid,
    )
}
