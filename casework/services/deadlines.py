"""The calendar the admin edits (extra days off, SLA overrides) and the scheduler lease."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework import clock
from casework.calendar import forget_calendar
from casework.errors import Duplicate, NotFound, field_error
from casework.i18n import N_
from casework.models.calendar import DayOff, SlaOverride
from casework.models.notification import SchedulerLease
from casework.models.program import Program
from casework.models.user import Role, User
from casework.services.access import require_role
from workflows.programs import DEFINITIONS

_leases = cast(Table, SchedulerLease.__table__)


# Who edits the calendar: the same roles that configure programs.
CALENDAR_EDIT_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def _may_edit(actor: User | None) -> None:
    """Check the actor's role; ``None`` is the system itself (CLI, reference data, tests)."""
    if actor is not None:
        require_role(actor, CALENDAR_EDIT_ROLES)


def add_day_off(
    session: Session, day: date, description: str, *, actor: User | None = None
) -> DayOff:
    """Declare ``day`` a day off; deadlines set from now on skip it. Refuses a repeat."""
    _may_edit(actor)
    if session.scalar(select(DayOff.id).where(DayOff.day == day)) is not None:
        raise Duplicate(N_("This day off is already on the list."))
    row = DayOff(day=day, description=description.strip())
    session.add(row)
    session.flush()
    forget_calendar(session)
    return row


def remove_day_off(session: Session, day_off_id: int, *, actor: User | None = None) -> None:
    """Take a day off off the list again (deadlines already set keep their date)."""
    _may_edit(actor)
    row = session.get(DayOff, day_off_id)
    if row is None:
        raise NotFound()
    session.delete(row)
    session.flush()
    forget_calendar(session)


def sla_states(workflow: str) -> list[str]:
    """The states of ``workflow`` a deadline can be set for (neither the draft nor final)."""
    definition = DEFINITIONS[workflow]
    return [s.name.value for s in definition.states if not s.final and s.name != definition.initial]


def set_sla_override(
    session: Session,
    program_id: int,
    state: str,
    working_days: int,
    *,
    actor: User | None = None,
) -> SlaOverride:
    """Set the program's deadline for ``state`` in working days (replaces an earlier one)."""
    _may_edit(actor)
    program = session.get(Program, program_id)
    if program is None:
        raise NotFound()
    if state not in sla_states(program.workflow):
        raise field_error("state", N_("This program's workflow has no such open state."))
    if working_days < 0:
        raise field_error("working_days", N_("The number of working days may not be negative."))
    row = session.scalar(
        select(SlaOverride).where(SlaOverride.program_id == program_id, SlaOverride.state == state)
    )
    if row is None:
        row = SlaOverride(program_id=program_id, state=state, working_days=working_days)
        session.add(row)
    row.working_days = working_days
    session.flush()
    forget_calendar(session)
    return row


def remove_sla_override(session: Session, override_id: int, *, actor: User | None = None) -> None:
    """Go back to the workflow definition's deadline for that program and state."""
    _may_edit(actor)
    row = session.get(SlaOverride, override_id)
    if row is None:
        raise NotFound()
    session.delete(row)
    session.flush()
    forget_calendar(session)


def acquire_lease(connection: Connection, name: str, holder: str, seconds: int) -> bool:
    """Take or renew the lease ``name`` for ``holder``; False while another holds it.

    One conditional UPDATE (ours, or expired) and, for a lease never taken, one INSERT; when
    the row turns out to exist after all (a concurrent INSERT won, perhaps by ``holder``
    itself in another thread), the UPDATE is tried once more. Runs and commits on its own
    connection.
    """
    now = clock.now()
    expires = now + timedelta(seconds=seconds)
    if _take(connection, name, holder, now, expires):
        return True
    with connection.begin():
        exists = connection.scalar(select(_leases.c.name).where(_leases.c.name == name))
    if exists is None and _insert_lease(connection, name, holder, expires):
        return True
    return _take(connection, name, holder, now, expires)


def _take(connection: Connection, name: str, holder: str, now: datetime, expires: datetime) -> bool:
    with connection.begin():
        taken = connection.execute(
            update(_leases)
            .where(_leases.c.name == name)
            .where((_leases.c.holder == holder) | (_leases.c.expires_at < now))
            .values(holder=holder, expires_at=expires)
        )
    return cast(Any, taken).rowcount == 1


def _insert_lease(connection: Connection, name: str, holder: str, expires: datetime) -> bool:
    try:
        with connection.begin():
            connection.execute(insert(_leases).values(name=name, holder=holder, expires_at=expires))
    except IntegrityError:
        return False
    return True


def release_lease(connection: Connection, name: str, holder: str) -> None:
    """Give the lease up at shutdown so another process takes over at once."""
    with connection.begin():
        connection.execute(
            update(_leases)
            .where(_leases.c.name == name, _leases.c.holder == holder)
            .values(expires_at=clock.now() - timedelta(seconds=1))
        )


__all__ = [
    "CALENDAR_EDIT_ROLES",
    "acquire_lease",
    "add_day_off",
    "release_lease",
    "remove_day_off",
    "remove_sla_override",
    "set_sla_override",
    "sla_states",
]
