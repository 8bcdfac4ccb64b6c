"""What a guard or an effect gets to look at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from casework.models.case import Case
from casework.models.program import ProgramYear
from casework.models.user import User


@dataclass
class TransitionContext:
    session: Session
    case: Case
    actor: User
    rules: ProgramYear | None
    now: datetime
    reason: str | None = None
