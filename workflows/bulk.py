"""``advance_many``: the set-based twin of ``advance`` (ARCHITECTURE.md rule 1).

Every case is checked as ``advance`` checks it (account, region, role, source state,
reason), but the checks run once per (workflow, state, kabupaten) group, not per row.
Transitions without guards or effects then move with one UPDATE and one INSERT … SELECT
of events per chunk; transitions with guards or effects go through ``advance`` one by one,
each in a savepoint, so a refused case does not undo the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Integer, String, Table, Text, insert, literal, select, update
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import DomainError, NotFound, VersionConflict
from casework.i18n import N_
from casework.models.base import UTCDateTime
from casework.models.case import Case, CaseEvent
from casework.models.program import Program
from casework.models.user import User
from workflows.definition import TransitionDef
from workflows.programs import DEFINITIONS

CHUNK = 500
_cases = cast(Table, Case.__table__)
_events = cast(Table, CaseEvent.__table__)
_programs = cast(Table, Program.__table__)


@dataclass
class BulkResult:
    """What ``advance_many`` did: the ids moved and, per id left alone, why."""

    moved: list[int] = field(default_factory=list)
    refused: dict[int, DomainError] = field(default_factory=dict)


def _locked_rows(session: Session, ids: Sequence[int]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        rows.extend(
            session.execute(
                select(
                    _cases.c.id,
                    _cases.c.state,
                    _cases.c.regency_code,
                    _cases.c.fiscal_year,
                    _cases.c.program_id,
                    _programs.c.workflow,
                )
                .join(_programs, _programs.c.id == _cases.c.program_id)
                .where(_cases.c.id.in_(ids[start : start + CHUNK]))
                .order_by(_cases.c.id)
                .with_for_update(of=_cases)
            ).all()
        )
    return rows


def advance_many(
    session: Session,
    case_ids: Iterable[int],
    trigger: str,
    *,
    actor: User,
    reason: str | None = None,
) -> BulkResult:
    """Fire ``trigger`` on many cases; those refused are reported, the rest move together.

    Writes in the caller's transaction (flushes, never commits).
    """
    from workflows.engine import check_actor, require_reason

    ids = sorted(set(case_ids))
    result = BulkResult()
    rows = _locked_rows(session, ids)
    result.refused.update((i, NotFound()) for i in sorted(set(ids) - {r.id for r in rows}))
    verdicts: dict[tuple[str, str, str], TransitionDef | DomainError] = {}
    fast: dict[tuple[str, str, str, int, int], list[int]] = {}
    slow: list[int] = []
    for row in rows:
        key = (row.workflow, row.state, row.regency_code)
        if key not in verdicts:
            try:
                transition = check_actor(
                    DEFINITIONS[row.workflow], row.state, row.regency_code, trigger, actor
                )
                require_reason(transition, reason)
                verdicts[key] = transition
            except DomainError as exc:
                verdicts[key] = exc
        verdict = verdicts[key]
        if isinstance(verdict, DomainError):
            result.refused[row.id] = verdict
        elif verdict.guards or verdict.effects:
            slow.append(row.id)
        else:
            group = (row.workflow, row.state, verdict.dest.value, row.fiscal_year, row.program_id)
            fast.setdefault(group, []).append(row.id)
    reason = (reason or "").strip() or None
    _issue_letters(session, fast, trigger, actor, reason)
    for (workflow, source, dest, year, program_id), group_ids in fast.items():
        due_case = Case(fiscal_year=year, program_id=program_id)  # the deadline depends on these
        _move_set(session, workflow, group_ids, source, dest, due_case, trigger, actor, reason)
        result.moved.extend(group_ids)
    _advance_each(session, slow, trigger, actor, reason, result)
    result.moved.sort()
    return result


def _issue_letters(
    session: Session,
    fast: dict[tuple[str, str, str, int, int], list[int]],
    trigger: str,
    actor: User,
    reason: str | None,
) -> None:
    """The letters of the fast groups' transition, before any move (incomplete letter
    settings refuse the whole call with nothing written), in one reservation per group."""
    from casework.services.letters import issue_letters_for_cases

    for (workflow, source, _dest, _year, _program), group_ids in fast.items():
        transition = DEFINITIONS[workflow].transition(trigger, source)
        if transition is not None and transition.letters:
            issue_letters_for_cases(
                session, group_ids, transition.letters, trigger=trigger, reason=reason, actor=actor
            )


def _advance_each(
    session: Session,
    ids: list[int],
    trigger: str,
    actor: User,
    reason: str | None,
    result: BulkResult,
) -> None:
    from workflows.engine import advance

    for case_id in ids:
        case = session.get(Case, case_id)
        assert case is not None  # locked above
        savepoint = session.begin_nested()
        try:
            advance(session, case, trigger, actor=actor, reason=reason)
        except DomainError as exc:
            savepoint.rollback()
            result.refused[case_id] = exc
            continue
        savepoint.commit()
        result.moved.append(case_id)


def _move_set(
    session: Session,
    workflow: str,
    ids: list[int],
    source: str,
    dest: str,
    due_case: Case,
    trigger: str,
    actor: User,
    reason: str | None,
) -> None:
    """One UPDATE and one INSERT … SELECT of events per chunk of ids."""
    from casework.calendar import calendar_for
    from workflows.engine import due_at_for

    definition = DEFINITIONS[workflow]
    now = clock.now()
    due = due_at_for(definition.state(dest), due_case, now, calendar_for(session))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        moved = session.execute(
            update(_cases)
            .where(_cases.c.id.in_(chunk), _cases.c.state == source)
            .values(state=dest, version=_cases.c.version + 1, state_entered_at=now, due_at=due)
        ).rowcount  # type: ignore[attr-defined]
        if moved != len(chunk):  # the rows are locked, so this means a bug, not a race
            raise VersionConflict(
                N_("The case was changed by someone else. Reload it and try again.")
            )
        session.execute(
            insert(_events).from_select(
                [
                    "case_id",
                    "trigger",
                    "from_state",
                    "to_state",
                    "actor_id",
                    "reason",
                    "at",
                    "case_version",
                ],
                select(
                    _cases.c.id,
                    literal(trigger, String),
                    literal(source, String),
                    literal(dest, String),
                    literal(actor.id, Integer),
                    literal(reason, Text),
                    literal(now, UTCDateTime()),
                    _cases.c.version,
                ).where(_cases.c.id.in_(chunk)),
            )
        )
    _expire_loaded(session, set(ids))


def _expire_loaded(session: Session, ids: set[int]) -> None:
    """Objects of moved cases already in the session must not show the old state."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Case) and obj.id in ids:
            session.expire(obj)
