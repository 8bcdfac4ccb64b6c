"""The engine's machinery for records that are not cases (pokir lines, for instance).

A record kind registers its WorkflowDefinition, its event table and its guards; the
shared ``transitions.Machine`` is built by the engine and kept in ``engine.MACHINES``.
``advance_record`` checks in the engine's order (actor and region, role, trigger, reason,
guards, version) with the engine's own functions, then writes the new state with one
UPDATE guarded by the version and an append-only event. It flushes, never commits.

This module and workflows/engine.py are the only places that write a ``state``
(tests/test_architecture.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from casework import clock
from casework.errors import NotFound, VersionConflict
from casework.i18n import N_
from casework.models.user import User
from workflows.definition import WorkflowDefinition
from workflows.engine import MACHINES, build_machine, check_actor, next_state, require_reason


class WorkflowRecord(Protocol):
    """What a record needs to be moved: an id, a state, a version and a region."""

    id: Any
    state: Any
    version: Any
    regency_code: Any


@dataclass
class RecordContext:
    """What a record guard gets to look at."""

    session: Session
    record: Any
    actor: User
    now: datetime
    reason: str | None = None


RecordGuard = Callable[[RecordContext], None]


@dataclass(frozen=True)
class RecordWorkflow:
    definition: WorkflowDefinition
    model: type[Any]
    event_model: type[Any]
    event_key: str
    """The event column naming the record (e.g. ``pokir_line_id``)."""
    guards: Mapping[str, RecordGuard]


_WORKFLOWS: dict[type[Any], RecordWorkflow] = {}


def register(workflow: RecordWorkflow) -> None:
    """Validate the definition (no effects on records yet) and build its shared Machine."""
    definition = workflow.definition
    if definition.key in MACHINES and workflow.model not in _WORKFLOWS:
        raise ValueError(f"workflow key {definition.key!r} is already taken")
    definition.validate(workflow.guards, ())
    MACHINES[definition.key] = build_machine(definition)
    _WORKFLOWS[workflow.model] = workflow


def workflow_of(record: object) -> RecordWorkflow:
    return _WORKFLOWS[type(record)]


def allowed_record_triggers(record: WorkflowRecord, actor: User) -> list[str]:
    """Trigger names the actor's role and region allow on the record now (guards not run)."""
    definition = workflow_of(record).definition
    if not actor.active or not actor.covers(record.regency_code):
        return []
    return list(
        dict.fromkeys(
            t.trigger for t in definition.transitions_from(record.state) if actor.role in t.roles
        )
    )


def _lock(session: Session, table: Table, record: WorkflowRecord) -> None:
    """Lock the record's row (PostgreSQL; SQLite serialises writers); refresh a stale object."""
    stmt = select(table.c.state, table.c.version).where(table.c.id == record.id).with_for_update()
    row = session.connection().execute(stmt).one_or_none()
    if row is None:
        raise NotFound()
    if (row.state, row.version) != (record.state, record.version):
        session.refresh(record)


def advance_record(
    session: Session,
    record: WorkflowRecord,
    trigger: str,
    *,
    actor: User,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Any:
    """Fire ``trigger`` on ``record`` for ``actor``; return the event written.

    Raises NotAllowed, InvalidTransition, ValidationError (missing reason), GuardFailed or
    VersionConflict, and writes no state or event when it does.
    """
    workflow = workflow_of(record)
    definition = workflow.definition
    table = cast(Table, workflow.model.__table__)
    session.flush()
    _lock(session, table, record)
    source = record.state
    transition = check_actor(definition, source, record.regency_code, trigger, actor)
    reason = require_reason(transition, reason)
    now = clock.now()
    ctx = RecordContext(session, record, actor, now, reason)
    for guard in transition.guards:
        workflow.guards[guard](ctx)
    old_version = record.version
    if expected_version is not None and expected_version != old_version:
        raise VersionConflict(
            N_("The record was changed by someone else. Reload it and try again.")
        )
    dest = next_state(definition, source, trigger)
    result = session.connection().execute(
        update(table)
        .where(table.c.id == record.id, table.c.version == old_version)
        .values(state=dest, version=old_version + 1)
    )
    if result.rowcount != 1:
        raise VersionConflict(
            N_("The record was changed by someone else. Reload it and try again.")
        )
    set_committed_value(record, "state", dest)
    set_committed_value(record, "version", old_version + 1)
    event = workflow.event_model(
        **{workflow.event_key: record.id},
        trigger=trigger,
        from_state=source,
        to_state=dest,
        actor_id=actor.id,
        reason=reason,
        at=now,
        record_version=old_version + 1,
    )
    session.add(event)
    session.flush()
    return event
