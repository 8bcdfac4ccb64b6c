"""Named effects: run by the engine after the state is written, in the same transaction."""

from __future__ import annotations

from collections.abc import Callable

from workflows.context import TransitionContext
from workflows.guards import latest_assessment

Effect = Callable[[TransitionContext], None]


def fix_amount_from_assessment(ctx: TransitionContext) -> None:
    """The recommended amount is the assessed package's total."""
    assessment = latest_assessment(ctx)
    if assessment is not None:
        ctx.case.requested_amount = assessment.total


def plan_monitoring_visits(ctx: TransitionContext) -> None:
    """Entering monitoring plans the visits at the program's offsets after delivery."""
    from casework.services.followup import plan_monitoring_visits as plan

    plan(ctx.session, ctx.case)


def commit_pokir_budget(ctx: TransitionContext) -> None:
    """Approval commits one quota unit and the case's amount (casework/services/budget.py)."""
    from casework.services.budget import commit_for_case

    commit_for_case(ctx.session, ctx.case, actor=ctx.actor)


def release_pokir_budget(ctx: TransitionContext) -> None:
    """Rejecting, cancelling or returning the case gives its commitment back (if any)."""
    from casework.services.budget import release_for_case

    release_for_case(ctx.session, ctx.case, actor=ctx.actor)


def realise_pokir_budget(ctx: TransitionContext) -> None:
    """Delivery marks the case's commitment as spent."""
    from casework.services.budget import realise_for_case

    realise_for_case(ctx.session, ctx.case, actor=ctx.actor)


EFFECTS: dict[str, Effect] = {
    e.__name__: e
    for e in (
        fix_amount_from_assessment,
        plan_monitoring_visits,
        commit_pokir_budget,
        release_pokir_budget,
        realise_pokir_budget,
    )
}
