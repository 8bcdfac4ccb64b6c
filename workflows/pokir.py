"""The pokir line's lifecycle as data, run by workflows/records.py with the engine's parts.

input → verified_setwan (DPRD secretariat) → validated_bappeda → validated_opd →
validated_tapd → in_apbd, or rejected with a reason from any step before the APBD.

Roles: every step (the Setwan's verification, the Bappeda, OPD and TAPD validations, the
APBD entry, a rejection) is recorded by a manager (Kabid/Kadis) or an administrator. The
DPRD liaison reads pokir lines and aggregates only (issue 3: "dprd_liaison reads").
"""

from __future__ import annotations

from casework.errors import GuardFailed
from casework.i18n import N_
from casework.models.budget import BudgetLine
from casework.models.pokir import POKIR_STATE_LABELS, PokirEvent, PokirLine, PokirState
from casework.models.user import Role as R
from workflows.definition import StateDef, TransitionDef, WorkflowDefinition
from workflows.records import RecordContext, RecordWorkflow, register

P = PokirState
VALIDATORS = frozenset({R.MANAGER, R.ADMIN})
OPEN_STATES = (P.INPUT, P.VERIFIED_SETWAN, P.VALIDATED_BAPPEDA, P.VALIDATED_OPD, P.VALIDATED_TAPD)


def budget_line_assigned(ctx: RecordContext) -> None:
    """TAPD validation needs a budget line of the same program and fiscal year."""
    line: PokirLine = ctx.record
    budget = ctx.session.get(BudgetLine, line.budget_line_id) if line.budget_line_id else None
    if budget is None:
        raise GuardFailed(
            "budget_line_assigned", N_("Assign a budget line before TAPD validation.")
        )
    if budget.program_id != line.program_id or budget.fiscal_year != line.fiscal_year:
        raise GuardFailed(
            "budget_line_assigned",
            N_("The budget line belongs to another program or fiscal year."),
        )


GUARDS = {"budget_line_assigned": budget_line_assigned}

T = TransitionDef
POKIR = WorkflowDefinition(
    key="pokir",
    title=N_("Pokir line"),
    initial=P.INPUT,
    states=tuple(StateDef(s, final=s in (P.IN_APBD, P.REJECTED)) for s in PokirState),
    transitions=(
        T(
            "verify_setwan",
            (P.INPUT,),
            P.VERIFIED_SETWAN,
            VALIDATORS,
            N_("Verify (DPRD secretariat)"),
        ),
        T(
            "validate_bappeda",
            (P.VERIFIED_SETWAN,),
            P.VALIDATED_BAPPEDA,
            VALIDATORS,
            N_("Validate (Bappeda)"),
        ),
        T(
            "validate_opd",
            (P.VALIDATED_BAPPEDA,),
            P.VALIDATED_OPD,
            VALIDATORS,
            N_("Validate (OPD)"),
        ),
        T(
            "validate_tapd",
            (P.VALIDATED_OPD,),
            P.VALIDATED_TAPD,
            VALIDATORS,
            N_("Validate (TAPD)"),
            guards=("budget_line_assigned",),
        ),
        T(
            "enter_apbd",
            (P.VALIDATED_TAPD,),
            P.IN_APBD,
            VALIDATORS,
            N_("Enter in the APBD"),
            guards=("budget_line_assigned",),
        ),
        T("reject", OPEN_STATES, P.REJECTED, VALIDATORS, N_("Reject"), reason_required=True),
    ),
    state_labels={s.value: label for s, label in POKIR_STATE_LABELS.items()},
)

register(RecordWorkflow(POKIR, PokirLine, PokirEvent, "pokir_line_id", GUARDS))

# The lifecycle in order, for tests, the demo and the admin's "next step" button.
PATH: tuple[tuple[str, PokirState], ...] = (
    ("verify_setwan", P.VERIFIED_SETWAN),
    ("validate_bappeda", P.VALIDATED_BAPPEDA),
    ("validate_opd", P.VALIDATED_OPD),
    ("validate_tapd", P.VALIDATED_TAPD),
    ("enter_apbd", P.IN_APBD),
)
