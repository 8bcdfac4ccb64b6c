"""The one door for a case's state (ARCHITECTURE.md rule 1).

``advance`` checks, in this order: the actor's role and region, that the trigger is allowed
from the current state, the reason when one is required, the guards, the optimistic
version; then writes the new state, the due date, an append-only CaseEvent and the
transition's effects in the caller's transaction (it flushes, never commits).

One ``transitions.Machine`` per workflow definition is shared by all cases; it moves a
small token, never the ORM row, and this module alone assigns ``Case.state``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import cast

from sqlalchemy import Connection, Table, bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from transitions import Machine, MachineError

from casework import clock
from casework.calendar import WorkCalendar, calendar_for, end_of_day_wita
from casework.clock import WITA
from casework.errors import (
    InvalidTransition,
    NotAllowed,
    NotFound,
    VersionConflict,
    field_error,
)
from casework.i18n import N_, Label
from casework.models.case import Case, CaseEvent
from casework.models.letter import LetterSettings
from casework.models.user import User
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


def build_machine(definition: WorkflowDefinition) -> Machine:
    """The shared Machine of a definition (case workflows here, records in workflows.records)."""
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


MACHINES: dict[str, Machine] = {key: build_machine(d) for key, d in DEFINITIONS.items()}


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
            state=Label(definition.state_label(state)),
        ) from exc
    return token.state


def _action_label(definition: WorkflowDefinition, trigger: str) -> str:
    named = definition.transitions_named(trigger)
    return Label(named[0].label) if named else trigger


def transitions_for(
    definition: WorkflowDefinition, state: str, regency_code: str | None, actor: User
) -> list[TransitionDef]:
    """Transitions the actor's role and region allow from ``state`` (guards not run)."""
    if not actor.active or not actor.covers(regency_code):
        return []
    return [t for t in definition.transitions_from(state) if actor.role in t.roles]


def permitted_transitions(case: Case, actor: User) -> list[TransitionDef]:
    """Transitions the actor's role and region allow from the case's state (guards not run)."""
    return transitions_for(definition_for(case), case.state, case.regency_code, actor)


def allowed_triggers(case: Case, actor: User) -> list[str]:
    """Trigger names the actor may try on the case now."""
    return list(dict.fromkeys(t.trigger for t in permitted_transitions(case, actor)))


_NO_EXTRAS = WorkCalendar()


def due_at_for(
    state: StateDef, case: Case, now: datetime, calendar: WorkCalendar = _NO_EXTRAS
) -> datetime | None:
    """The deadline of a case entering ``state`` at ``now`` (working days in WITA).

    The program's SLA override for the state wins over the definition's ``sla_days``.
    """
    days = state.sla_days
    if case.program_id is not None:
        days = calendar.sla_days(case.program_id, state.name.value, days)
    if days is not None:
        return end_of_day_wita(calendar.add_working_days(now.astimezone(WITA).date(), days))
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


def check_actor(
    definition: WorkflowDefinition,
    state: str,
    regency_code: str | None,
    trigger: str,
    actor: User,
) -> TransitionDef:
    """The transition ``trigger`` fires from ``state`` if the actor may fire it there.

    Checks in the order of ARCHITECTURE.md rule 1: the actor's account and region, the
    role, then that the trigger leads anywhere from ``state``.
    """
    if not actor.active:
        raise NotAllowed(N_("Your account is not active."))
    if not actor.covers(regency_code):
        raise NotAllowed(N_("This case lies outside your region."))
    named = definition.transitions_named(trigger)
    if not named:
        allowed = transitions_for(definition, state, regency_code, actor)
        raise InvalidTransition(
            N_("Unknown action %(trigger)s."),
            allowed_triggers=list(dict.fromkeys(t.trigger for t in allowed)),
            trigger=trigger,
        )
    here = definition.transition(trigger, state)
    roles = here.roles if here is not None else frozenset().union(*(t.roles for t in named))
    if actor.role not in roles:
        raise NotAllowed(
            N_("Your role may not perform action %(trigger)s."),
            trigger=_action_label(definition, trigger),
        )
    next_state(definition, state, trigger)
    assert here is not None  # the Machine found the transition, so the definition has it
    return here


def require_reason(transition: TransitionDef, reason: str | None) -> str | None:
    """The reason, stripped; ValidationError when the transition needs one and it is empty."""
    reason = (reason or "").strip() or None
    if transition.reason_required and reason is None:
        raise field_error("reason", N_("A reason is required for this action."))
    return reason


# Columns of a case the engine writes besides what effects change.
_CASE_COLUMNS = frozenset(c.key for c in Case.__mapper__.column_attrs)
_cases = cast(Table, Case.__table__)
_events = cast(Table, CaseEvent.__table__)


# Prebuilt statements: the single-transition path runs them on the session's connection,
# skipping statement construction and ORM execution overhead (see docs/benchmarks.md).
_LOCK = (
    select(_cases.c.state, _cases.c.version)
    .where(_cases.c.id == bindparam("case_id"))
    .with_for_update()
)
_MOVE = (
    update(_cases)
    .where(_cases.c.id == bindparam("case_id"), _cases.c.version == bindparam("old_version"))
    .values(
        state=bindparam("state"),
        version=bindparam("version"),
        state_entered_at=bindparam("state_entered_at"),
        due_at=bindparam("due_at"),
    )
)
_RECORD = insert(_events).returning(_events.c.id)


def _lock(session: Session, case: Case) -> Connection:
    """Lock the case's row (PostgreSQL; SQLite serialises writers) and refresh a stale object.

    Returns the unit of work's connection, which the writes below reuse.
    """
    connection = session.connection()
    row = connection.execute(_LOCK, {"case_id": case.id}).one_or_none()
    if row is None:
        raise NotFound()
    if (row.state, row.version) != (case.state, case.version):
        session.refresh(case)
    return connection


def _pending_changes(case: Case) -> dict[str, object]:
    """Column values changed on the object and not yet written (by effects, for instance)."""
    state = inspect(case)
    if not state.modified:
        return {}
    attrs = state.attrs
    return {key: attrs[key].value for key in _CASE_COLUMNS if attrs[key].history.has_changes()}


def _write(connection: Connection, case: Case, old_version: int, values: dict[str, object]) -> None:
    """One UPDATE guarded by the version; the object is then in step with its row."""
    values = {**_pending_changes(case), **values, "version": old_version + 1}
    if values.keys() == {"state", "state_entered_at", "due_at", "version"}:
        result = connection.execute(
            _MOVE, {"case_id": case.id, "old_version": old_version, **values}
        )
    else:
        result = connection.execute(
            update(_cases)
            .where(_cases.c.id == case.id, _cases.c.version == old_version)
            .values(values)
        )
    if result.rowcount != 1:
        raise VersionConflict(N_("The case was changed by someone else. Reload it and try again."))
    for key, value in values.items():
        set_committed_value(case, key, value)


def _record_event(connection: Connection, **values: object) -> CaseEvent:
    """Insert the event with one statement; return it as a plain object, not in the session.

    Not attaching it keeps a rolled-back savepoint from leaving a ghost event in the
    identity map (SQLite reuses the rolled-back id). ``case.events`` loads events from the
    database when needed.
    """
    event_id = connection.execute(_RECORD, values).scalar_one()
    return CaseEvent(id=event_id, **values)


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
    connection = _lock(session, case)
    source = case.state
    transition = check_actor(definition, source, case.regency_code, trigger, actor)
    dest = transition.dest.value
    reason = require_reason(transition, reason)
    now = clock.now()
    ctx = None
    if transition.guards or transition.effects:
        rules = case.program.rules_for(case.fiscal_year)
        ctx = TransitionContext(session, case, actor, rules, now, reason)
    for guard in transition.guards:
        GUARDS[guard](ctx)  # type: ignore[arg-type]
    letter_settings = _letter_settings(session, transition)
    old_version = case.version
    if expected_version is not None and expected_version != old_version:
        raise VersionConflict(
            N_(
                "The case was changed by someone else (version %(current)s, you had "
                "%(expected)s). Reload it and try again."
            ),
            current=old_version,
            expected=expected_version,
        )
    if transition.effects:
        case.state = dest  # effects see the state the case is entering
        for effect in transition.effects:
            EFFECTS[effect](ctx)  # type: ignore[arg-type]
    due = due_at_for(definition.state(dest), case, now, calendar_for(session))
    _write(connection, case, old_version, {"state": dest, "state_entered_at": now, "due_at": due})
    event = _record_event(
        connection,
        case_id=case.id,
        trigger=trigger,
        from_state=source,
        to_state=dest,
        actor_id=actor.id,
        reason=reason,
        at=now,
        case_version=old_version + 1,
    )
    if letter_settings is not None:
        _issue_letters(session, case, transition, event, actor, letter_settings)
    return event


def _letter_settings(session: Session, transition: TransitionDef) -> LetterSettings | None:
    """The letter settings when the transition issues letters; refuses incomplete settings
    before anything is written (no letter, no number, no move)."""
    if not transition.letters:
        return None
    from casework.services.letters import check_letter_settings

    return check_letter_settings(session)


def _issue_letters(
    session: Session,
    case: Case,
    transition: TransitionDef,
    event: CaseEvent,
    actor: User,
    settings: LetterSettings,
) -> None:
    """The transition's letters, in its transaction (ARCHITECTURE.md rule 3: the outbox)."""
    from casework.services.letters import issue_case_letters

    issue_case_letters(
        session,
        case,
        transition.letters,
        trigger=event.trigger,
        reason=event.reason,
        actor=actor,
        settings=settings,
    )


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


# The set-based twin lives in its own module; it is part of this module's interface.
from workflows.bulk import BulkResult, advance_many  # noqa: E402

__all__ = [
    "BulkResult",
    "advance",
    "advance_many",
    "allowed_triggers",
    "definition_for",
    "permitted_transitions",
    "replay",
    "start",
]
