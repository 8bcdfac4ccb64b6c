"""The one door for a case's state (ARCHITECTURE.md rule 1).

``advance`` checks, in this order: the actor's role and region, that the trigger is allowed
from the current state, the reason when one is required, the guards, the optimistic
version; then writes the new state, the due date, an append-only CaseEvent and the
transition's effects in the caller's transaction (it flushes, never commits).

One ``transitions.Machine`` per workflow definition is shared by all cases; it moves a
small token, never the ORM row, and this module alone assigns ``Case.state``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Integer, String, Text, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from transitions import Machine, MachineError

from casework import clock
from casework.clock import WITA
from casework.errors import (
    DomainError,
    InvalidTransition,
    NotAllowed,
    NotFound,
    VersionConflict,
    field_error,
)
from casework.i18n import N_, Label
from casework.models.base import UTCDateTime
from casework.models.case import STATE_LABELS, Case, CaseEvent, CaseState
from casework.models.user import User
from casework.workdays import add_working_days, end_of_day_wita
from workflows.context import TransitionContext
from workflows.definition import StateDef, TransitionDef, WorkflowDefinition
from workflows.effects import EFFECTS
from workflows.guards import GUARDS
from workflows.programs import DEFINITIONS

# Every definition is checked when this module loads: a broken workflow refuses to start.
for _definition in DEFINITIONS.values():
    _definition.validate(GUARDS, EFFECTS)


class _Token:
    """What the shared Machine moves: a state name, detached from any ORM row."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def _build_machine(definition: WorkflowDefinition) -> Machine:
    machine = Machine(
        model=None,
        states=[s.name.value for s in definition.states],
        initial=definition.initial.value,
        auto_transitions=False,
        send_event=False,
    )
    for t in definition.transitions:
        machine.add_transition(t.trigger, [s.value for s in t.sources], t.dest.value)
    return machine


MACHINES: dict[str, Machine] = {key: _build_machine(d) for key, d in DEFINITIONS.items()}


def definition_for(case: Case) -> WorkflowDefinition:
    """The workflow definition of the case's program."""
    return DEFINITIONS[case.program.workflow]


def next_state(definition: WorkflowDefinition, state: str, trigger: str) -> str:
    """The state ``trigger`` leads to from ``state``, computed by the shared Machine."""
    token = _Token(state)
    try:
        MACHINES[definition.key].events[trigger].trigger(token)
    except (KeyError, MachineError) as exc:
        raise InvalidTransition(
            N_("Action %(trigger)s is not possible in state %(state)s."),
            allowed_triggers=[t.trigger for t in definition.transitions_from(state)],
            trigger=_action_label(definition, trigger),
            state=Label(STATE_LABELS[CaseState(state)]),
        ) from exc
    return token.state


def _action_label(definition: WorkflowDefinition, trigger: str) -> str:
    named = definition.transitions_named(trigger)
    return Label(named[0].label) if named else trigger


def permitted_transitions(case: Case, actor: User) -> list[TransitionDef]:
    """Transitions the actor's role and region allow from the case's state (guards not run)."""
    if not actor.active or not actor.covers(case.regency_code):
        return []
    return [t for t in definition_for(case).transitions_from(case.state) if actor.role in t.roles]


def allowed_triggers(case: Case, actor: User) -> list[str]:
    """Trigger names the actor may try on the case now."""
    return list(dict.fromkeys(t.trigger for t in permitted_transitions(case, actor)))


def due_at_for(state: StateDef, case: Case, now: datetime) -> datetime | None:
    """The deadline of a case entering ``state`` at ``now`` (working days in WITA)."""
    if state.sla_days is not None:
        return end_of_day_wita(add_working_days(now.astimezone(WITA).date(), state.sla_days))
    if state.due_rule == "usage_report":
        return end_of_day_wita(date(case.fiscal_year + 1, 1, 10))
    return None


def start(case: Case) -> None:
    """Put a new case in its workflow's initial state, with that state's deadline."""
    definition = DEFINITIONS[case.program.workflow]
    now = clock.now()
    case.state = definition.initial.value
    case.state_entered_at = now
    case.due_at = due_at_for(definition.state(case.state), case, now)


def _check_actor(definition: WorkflowDefinition, case: Case, trigger: str, actor: User) -> None:
    if not actor.active:
        raise NotAllowed(N_("Your account is not active."))
    if not actor.covers(case.regency_code):
        raise NotAllowed(N_("This case lies outside your region."))
    named = definition.transitions_named(trigger)
    if not named:
        raise InvalidTransition(
            N_("Unknown action %(trigger)s."),
            allowed_triggers=allowed_triggers(case, actor),
            trigger=trigger,
        )
    here = definition.transition(trigger, case.state)
    roles = here.roles if here is not None else frozenset().union(*(t.roles for t in named))
    if actor.role not in roles:
        raise NotAllowed(
            N_("Your role may not perform action %(trigger)s."),
            trigger=_action_label(definition, trigger),
        )


def _lock(session: Session, case: Case) -> Case:
    """Reload the case under a row lock (PostgreSQL; SQLite serialises writers)."""
    locked = session.execute(
        select(Case)
        .where(Case.id == case.id)
        .with_for_update(of=Case)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if locked is None:
        raise NotFound()
    return locked


def advance(
    session: Session,
    case: Case,
    trigger: str,
    *,
    actor: User,
    reason: str | None = None,
    expected_version: int | None = None,
) -> CaseEvent:
    """Fire ``trigger`` on ``case`` for ``actor``; return the event written.

    Raises NotAllowed, InvalidTransition, ValidationError (missing reason), GuardFailed or
    VersionConflict, and writes nothing when it does.
    """
    definition = definition_for(case)
    case = _lock(session, case)
    _check_actor(definition, case, trigger, actor)
    dest = next_state(definition, case.state, trigger)
    transition = definition.transition(trigger, case.state)
    assert transition is not None  # next_state succeeded, so the definition has it
    reason = (reason or "").strip() or None
    if transition.reason_required and reason is None:
        raise field_error("reason", N_("A reason is required for this action."))
    now = clock.now()
    ctx = TransitionContext(
        session=session,
        case=case,
        actor=actor,
        rules=case.program.rules_for(case.fiscal_year),
        now=now,
        reason=reason,
    )
    for guard in transition.guards:
        GUARDS[guard](ctx)
    if expected_version is not None and expected_version != case.version:
        raise VersionConflict(
            N_(
                "The case was changed by someone else (version %(current)s, you had "
                "%(expected)s). Reload it and try again."
            ),
            current=case.version,
            expected=expected_version,
        )
    source = case.state
    case.state = dest
    case.state_entered_at = now
    case.due_at = due_at_for(definition.state(dest), case, now)
    for effect in transition.effects:
        EFFECTS[effect](ctx)
    try:
        session.flush()
    except StaleDataError as exc:
        raise VersionConflict(
            N_("The case was changed by someone else. Reload it and try again.")
        ) from exc
    event = CaseEvent(
        case_id=case.id,
        trigger=trigger,
        from_state=source,
        to_state=dest,
        actor_id=actor.id,
        reason=reason,
        at=now,
        case_version=case.version,
    )
    session.add(event)
    session.flush()
    return event


@dataclass
class BulkResult:
    """What ``advance_many`` did: the ids moved and, per id left alone, why."""

    moved: list[int] = field(default_factory=list)
    refused: dict[int, DomainError] = field(default_factory=dict)


def advance_many(
    session: Session,
    case_ids: Iterable[int],
    trigger: str,
    *,
    actor: User,
    reason: str | None = None,
) -> BulkResult:
    """Fire ``trigger`` on many cases; set-based when the transition has no guard or effect.

    Each case is checked as ``advance`` would check it; cases that fail are reported in
    ``refused`` and left untouched, the others move together in the caller's transaction.
    """
    ids = sorted(set(case_ids))
    result = BulkResult()
    reason = (reason or "").strip() or None
    cases = _load_for_update(session, ids)
    for missing in sorted(set(ids) - {c.id for c in cases}):
        result.refused[missing] = NotFound()
    fast: dict[tuple[str, str, str], list[Case]] = {}
    for case in cases:
        try:
            definition = definition_for(case)
            _check_actor(definition, case, trigger, actor)
            next_state(definition, case.state, trigger)
            transition = definition.transition(trigger, case.state)
            assert transition is not None
            if transition.reason_required and reason is None:
                raise field_error("reason", N_("A reason is required for this action."))
        except DomainError as exc:
            result.refused[case.id] = exc
            continue
        if transition.guards or transition.effects:
            _advance_one_in_bulk(session, case, trigger, actor, reason, result)
        else:
            fast.setdefault((definition.key, case.state, transition.dest.value), []).append(case)
    for (key, source, dest), group in fast.items():
        group_ids = [c.id for c in group]  # read before _move_set expires the rows
        _move_set(session, DEFINITIONS[key], group, source, dest, trigger, actor, reason)
        result.moved.extend(group_ids)
    result.moved.sort()
    return result


def _load_for_update(session: Session, ids: Sequence[int]) -> list[Case]:
    cases: list[Case] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        cases.extend(
            session.scalars(
                select(Case)
                .where(Case.id.in_(chunk))
                .order_by(Case.id)
                .with_for_update(of=Case)
                .execution_options(populate_existing=True)
            )
        )
    return cases


def _advance_one_in_bulk(
    session: Session,
    case: Case,
    trigger: str,
    actor: User,
    reason: str | None,
    result: BulkResult,
) -> None:
    savepoint = session.begin_nested()
    try:
        advance(session, case, trigger, actor=actor, reason=reason)
    except DomainError as exc:
        savepoint.rollback()
        result.refused[case.id] = exc
        return
    savepoint.commit()
    result.moved.append(case.id)


def _move_set(
    session: Session,
    definition: WorkflowDefinition,
    cases: list[Case],
    source: str,
    dest: str,
    trigger: str,
    actor: User,
    reason: str | None,
) -> None:
    """One UPDATE and one INSERT … SELECT per chunk: the guard-free bulk path."""
    now = clock.now()
    sample = cases[0]
    due = due_at_for(definition.state(dest), sample, now)
    fixed_date = definition.state(dest).due_rule is not None
    for start in range(0, len(cases), 500):
        chunk = cases[start : start + 500]
        ids = [c.id for c in chunk]
        values: dict[str, object] = {
            "state": dest,
            "version": Case.version + 1,
            "state_entered_at": now,
            "due_at": due,
        }
        if fixed_date:
            values.pop("due_at")
        session.execute(
            update(Case)
            .where(Case.id.in_(ids), Case.state == source)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if fixed_date:
            for case in chunk:
                session.execute(
                    update(Case)
                    .where(Case.id == case.id)
                    .values(due_at=due_at_for(definition.state(dest), case, now))
                    .execution_options(synchronize_session=False)
                )
        session.execute(
            insert(CaseEvent).from_select(
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
                    Case.id,
                    literal(trigger, String),
                    literal(source, String),
                    literal(dest, String),
                    literal(actor.id, Integer),
                    literal(reason, Text),
                    literal(now, UTCDateTime()),
                    Case.version,
                ).where(Case.id.in_(ids)),
            )
        )
    for case in cases:
        session.expire(case)


def replay(definition: WorkflowDefinition, events: Iterable[CaseEvent]) -> str:
    """The state the event log leads to from the initial state, through the Machine."""
    state = definition.initial.value
    for event in events:
        if event.from_state != state:
            raise InvalidTransition(
                N_("The event log is inconsistent at event %(id)s."), id=event.id
            )
        state = next_state(definition, state, event.trigger)
        if state != event.to_state:
            raise InvalidTransition(
                N_("The event log is inconsistent at event %(id)s."), id=event.id
            )
    return state
