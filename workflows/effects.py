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


EFFECTS: dict[str, Effect] = {e.__name__: e for e in (fix_amount_from_assessment,)}
