"""Reminders and escalation, exactly once: the sweep writes rows, delivery claims and sends.

``sweep`` selects, set-based over the open cases (index ``ix_cases_state_due_at``), who must
hear about which deadline and writes one ``Notification`` per (case, state entry, kind,
recipient) with INSERT … SELECT … ON CONFLICT DO NOTHING: running it twice, or after a
downtime, writes only what is missing. ``deliver_pending`` claims rows with a conditional
UPDATE (pending → sending; SKIP LOCKED on PostgreSQL), commits the claim, sends, then marks
the row sent or failed: a retry or a second scheduler never sends a row twice. A process
that dies between claim and send leaves the row "sending"; it is never re-sent
automatically (at most once), and ``release_stale_claims`` marks it failed for a human.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from casework import clock
from casework.calendar import WorkCalendar, calendar_for, end_of_day_wita
from casework.channels import Channel, DeliveryError, Message
from casework.channels.templates import render_notice
from casework.clock import WITA
from casework.models.base import UTCDateTime
from casework.models.case import Case, CaseState
from casework.models.notification import (
    InboxMessage,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from casework.models.person import Person
from casework.models.program import Program
from casework.models.user import Role, User
from workflows.programs import DEFINITIONS

log = logging.getLogger("berdaya.notifications")
K = NotificationKind
_notifications = cast(Table, Notification.__table__)
_COLUMNS = ["case_id", "state_entered_at", "state", "kind", "channel", "recipient", "user_id",
            "email", "status", "attempts", "created_at"]  # fmt: skip


@dataclass(frozen=True)
class ReminderSettings:
    """When reminders go out, in working days (configurable: BERDAYA_*_DAYS)."""

    due_soon_days: int = 2
    escalation_days: int = 3
    report_reminder_days: int = 10
    max_attempts: int = 3


@dataclass(frozen=True)
class _Windows:
    now: datetime
    due_soon_until: datetime
    escalate_until: datetime
    report_until: datetime


def _windows(calendar: WorkCalendar, settings: ReminderSettings, now: datetime) -> _Windows:
    today = now.astimezone(WITA).date()
    return _Windows(
        now=now,
        due_soon_until=end_of_day_wita(calendar.add_working_days(today, settings.due_soon_days)),
        escalate_until=end_of_day_wita(
            calendar.subtract_working_days(today, settings.escalation_days)
        ),
        report_until=end_of_day_wita(
            calendar.add_working_days(today, settings.report_reminder_days)
        ),
    )


def acting_roles() -> list[tuple[str, str, str]]:
    """(workflow, state, role) of the staff who may act on a case in each open state.

    The roles of the transitions out of the state, managers and admins aside (they get the
    escalation) unless nobody else may act there.
    """
    rows: list[tuple[str, str, str]] = []
    for key, definition in DEFINITIONS.items():
        for state in definition.states:
            roles = {r for t in definition.transitions_from(state.name.value) for r in t.roles}
            staff = roles - {Role.MANAGER, Role.ADMIN} or roles & {Role.MANAGER}
            rows.extend((key, state.name.value, role.value) for role in sorted(staff))
    return rows


def _text(value: str) -> ColumnElement[str]:
    # Our own constants only (workflow keys, states, roles): safe to inline.
    return literal_column("'" + value.replace("'", "''") + "'", String)


def _role_map() -> Any:
    selects = [
        select(_text(w).label("workflow"), _text(s).label("state"), _text(r).label("role"))
        for w, s, r in acting_roles()
    ]
    # a subquery, not a CTE: sqlite3 reports no rowcount for a statement starting with WITH
    return union_all(*selects).subquery("acting_roles")


def _in_region(user: Any, role: Any, regency: Any) -> ColumnElement[bool]:
    """The user works in the case's kabupaten, or province-wide if nobody there has the role."""
    local = aliased(User)
    nobody_local = ~exists().where(
        local.role == role, local.active.is_(True), local.region_code == regency
    )
    return or_(user.region_code == regency, and_(user.region_code.is_(None), nobody_local))


_OPEN_STATES = [s.value for s in CaseState if s.value not in
                ("draft", "closed", "non_compliant", "rejected", "cancelled")]  # fmt: skip


def _channels() -> Any:
    return union_all(select(_text("inbox").label("name")), select(_text("email").label("name")))


def _user_rows(kind: K, user: Any, channel: Any, now: datetime) -> list[Any]:
    recipient = channel.c.name + ":user:" + user.id.cast(String)
    email = case((channel.c.name == "email", user.email), else_=None)
    fixed = [_text("pending"), literal_column("0"), _now_param(now)]
    return [Case.id, Case.state_entered_at, Case.state, _text(kind.value), channel.c.name,
            recipient, user.id, email, *fixed]  # fmt: skip


def _now_param(now: datetime) -> Any:
    return bindparam("sweep_now", now, type_=UTCDateTime())


def _channel_join(user: Any, channel: Any, inbox_only: bool) -> ColumnElement[bool]:
    if inbox_only:
        return channel.c.name == "inbox"
    return or_(channel.c.name == "inbox", user.email.is_not(None))


def _to_assignees(
    kind: K, where: ColumnElement[bool], now: datetime, inbox_only: bool = False
) -> Select[Any]:
    user, channel = aliased(User), _channels().subquery("channel")
    return (
        select(*_user_rows(kind, user, channel, now))
        .select_from(Case)
        .join(user, user.id == Case.assignee_id)
        .join(channel, _channel_join(user, channel, inbox_only))
        .where(where, user.active.is_(True))
    )


def _to_actors(
    kind: K,
    where: ColumnElement[bool],
    now: datetime,
    role: Any = None,
    inbox_only: bool = False,
) -> Select[Any]:
    """Rows for the region's users who may act (or, with ``role``, the region's managers)."""
    user, channel, roles = aliased(User), _channels().subquery("channel"), _role_map()
    query = select(*_user_rows(kind, user, channel, now)).select_from(Case)
    if role is None:
        query = query.join(Program, Program.id == Case.program_id).join(
            roles, and_(roles.c.workflow == Program.workflow, roles.c.state == Case.state)
        )
        role = roles.c.role
    return (
        query.join(user, and_(user.role == role, user.active.is_(True)))
        .join(channel, _channel_join(user, channel, inbox_only))
        .where(where, _in_region(user, role, Case.regency_code))
    )


def _staff_queries(
    kind: K, where: ColumnElement[bool], now: datetime, inbox_only: bool = False
) -> Iterator[tuple[K, Select[Any]]]:
    """The assignee, or when there is none the staff of the region who may act."""
    assigned = and_(where, Case.assignee_id.is_not(None))
    yield kind, _to_assignees(kind, assigned, now, inbox_only)
    unassigned = and_(where, Case.assignee_id.is_(None))
    yield kind, _to_actors(kind, unassigned, now, inbox_only=inbox_only)


def _recipient_queries(w: _Windows) -> Iterator[tuple[K, Select[Any]]]:
    open_ = Case.state.in_(_OPEN_STATES)
    yield from _staff_queries(
        K.DUE_SOON, and_(open_, Case.due_at > w.now, Case.due_at <= w.due_soon_until), w.now
    )
    yield from _staff_queries(K.OVERDUE, and_(open_, Case.due_at < w.now), w.now)
    escalate = and_(open_, Case.due_at <= w.escalate_until)
    yield K.ESCALATION, _to_actors(K.ESCALATION, escalate, w.now, _text(Role.MANAGER.value))
    yield from _report_queries(w)


def _report_queries(w: _Windows) -> Iterator[tuple[K, Select[Any]]]:
    """LPJ reminders: to the recipient's email, else a note in the caseworkers' inbox."""
    due = and_(Case.state == CaseState.AWAITING_REPORT.value, Case.due_at <= w.report_until)
    yield K.REPORT_REMINDER, (
        select(Case.id, Case.state_entered_at, Case.state, _text(K.REPORT_REMINDER.value),
               _text("email"), "email:person:" + Person.id.cast(String), literal_column(
                   "NULL"), Person.email, _text("pending"), literal_column("0"), _now_param(w.now))
        .select_from(Case)
        .join(Person, Person.id == Case.person_id)
        .where(due, Person.email.is_not(None))
    )  # fmt: skip
    no_email = ~exists().where(Person.id == Case.person_id, Person.email.is_not(None))
    note = and_(due, no_email)
    assigned, unassigned = Case.assignee_id.is_not(None), Case.assignee_id.is_(None)
    yield K.REPORT_REMINDER, _to_assignees(K.REPORT_REMINDER, and_(note, assigned), w.now, True)
    caseworker = _text(Role.CASEWORKER.value)
    yield (
        K.REPORT_REMINDER,
        _to_actors(K.REPORT_REMINDER, and_(note, unassigned), w.now, caseworker, inbox_only=True),
    )


def _insert(module: Any, query: Select[Any]) -> Any:
    # RETURNING counts the rows written: the drivers' rowcount of INSERT … SELECT is not
    # reliable (psycopg reports -1 here, sqlite3 too for a statement starting with WITH).
    statement = module.insert(_notifications).from_select(_COLUMNS, query)
    return statement.on_conflict_do_nothing().returning(_notifications.c.id)


def sweep_statements(
    dialect: str, calendar: WorkCalendar, settings: ReminderSettings, now: datetime
) -> list[tuple[K, Any]]:
    """The sweep's INSERT … SELECT … ON CONFLICT DO NOTHING statements, one per query."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    windows = _windows(calendar, settings, now)
    return [(kind, _insert(module, query)) for kind, query in _recipient_queries(windows)]


def sweep(session: Session, settings: ReminderSettings = ReminderSettings()) -> dict[str, int]:
    """Write the notifications now due (idempotent); return the number written per kind.

    Based on the current time only, so a run after downtime catches up once. Flushes in the
    caller's transaction.
    """
    dialect = session.get_bind().dialect.name
    statements = sweep_statements(dialect, calendar_for(session), settings, clock.now())
    written: dict[str, int] = {}
    for kind, statement in statements:
        count = len(session.execute(statement).all())
        written[kind.value] = written.get(kind.value, 0) + count
    log.info("deadline sweep: %s notifications written %s", sum(written.values()), written)
    return written


UnitOfWork = Callable[[], AbstractContextManager[Session]]
ChannelsFor = Callable[[Session], Mapping[str, Channel]]


def _claim(session: Session, batch: int, now: datetime) -> list[int]:
    pending = (
        select(Notification.id)
        .where(Notification.status == NotificationStatus.PENDING.value)
        .order_by(Notification.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.scalars(pending))
    if not ids:
        return []
    claimed = session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == NotificationStatus.PENDING.value)
        .values(
            status=NotificationStatus.SENDING.value,
            claimed_at=now,
            attempts=Notification.attempts + 1,
        )
        .returning(Notification.id)
    )
    return sorted(claimed.scalars())


def _mark(session: Session, notification_id: int, values: dict[str, object]) -> None:
    session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == NotificationStatus.SENDING.value,
        )
        .values(values)
    )


def _deliver_one(
    session: Session, row: Notification, channels: Mapping[str, Channel], settings: ReminderSettings
) -> bool:
    try:
        channel = channels[row.channel]
        channel.send(render_message(session, row))
    except (DeliveryError, KeyError) as exc:
        retry = row.attempts < settings.max_attempts
        status = NotificationStatus.PENDING if retry else NotificationStatus.FAILED
        _mark(session, row.id, {"status": status.value, "last_error": str(exc)[:2000]})
        return False
    _mark(session, row.id, {"status": NotificationStatus.SENT.value, "sent_at": clock.now()})
    return True


def render_message(session: Session, row: Notification) -> Message:
    """The notification as the Indonesian text of its template."""
    subject, body = render_notice(session, row)
    return Message(subject, body, user_id=row.user_id, email=row.email, case_id=row.case_id,
                   notification_id=row.id)  # fmt: skip


def deliver_pending(
    unit_of_work: UnitOfWork,
    channels_for: ChannelsFor,
    *,
    settings: ReminderSettings = ReminderSettings(),
    batch: int = 100,
) -> int:
    """Send every pending notification, in batches; return how many were sent.

    Each batch is claimed in one committed transaction, then each message is sent and its
    row marked in its own transaction (the inbox row commits with the mark).
    """
    sent = 0
    while True:
        with unit_of_work() as session:
            ids = _claim(session, batch, clock.now())
        if not ids:
            break
        for notification_id in ids:
            with unit_of_work() as session:
                row = session.get_one(Notification, notification_id)
                sent += _deliver_one(session, row, channels_for(session), settings)
        log.debug("notifications: %s sent so far", sent)
    if sent:
        log.info("notifications: %s sent", sent)
    return sent


def release_stale_claims(session: Session, older_than: timedelta = timedelta(hours=1)) -> int:
    """Mark rows stuck in "sending" (a crash mid-send) failed: delivery is uncertain, so
    they are not re-sent automatically."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.status == NotificationStatus.SENDING.value,
            Notification.claimed_at < clock.now() - older_than,
        )
        .values(status=NotificationStatus.FAILED.value, last_error="interrupted while sending")
    )
    return cast(Any, result).rowcount or 0


def count_by_status(session: Session) -> dict[str, int]:
    """How many notifications are in each status (for logs and tests)."""
    rows = session.execute(
        select(Notification.status, func.count()).group_by(Notification.status)
    ).all()
    return {status: n for status, n in rows}


def mark_read(session: Session, message_ids: Iterable[int], *, actor: User) -> int:
    """Mark the actor's own inbox messages read; others' ids are ignored. Returns how many."""
    ids = sorted(set(message_ids))
    if not ids:
        return 0
    result = session.execute(
        update(InboxMessage)
        .where(
            InboxMessage.id.in_(ids),
            InboxMessage.user_id == actor.id,
            InboxMessage.read_at.is_(None),
        )
        .values(read_at=clock.now())
        .execution_options(synchronize_session="fetch")
    )
    return cast(Any, result).rowcount or 0


def unread_count(session: Session, user: User) -> int:
    """How many of the user's inbox messages are unread."""
    unread = and_(InboxMessage.user_id == user.id, InboxMessage.read_at.is_(None))
    return session.scalar(select(func.count()).select_from(InboxMessage).where(unread)) or 0
