"""The audit log: every ORM write and every login, recorded in the writer's transaction.

Writes are recorded generically: after each flush, one row per inserted, changed or deleted
object goes to ``audit_entries`` through a Core INSERT on the flush's connection, so the
audit row commits or rolls back with the write it describes. The actor, address and
request id come from ``casework.audit_context`` (bound per request by the web layer).

What is kept of a change: the names of the changed fields and, for ordinary fields, the
old and new values. Personal and secret fields (NIK, KK, bank accounts, names, addresses,
password and token hashes, TOTP secrets, ciphertexts) are recorded by name only.

Case transitions are not recorded here: the engine writes them with Core statements and
appends a CaseEvent (who, when, from, to, why), which is the audit of transitions.

Both logs are append-only: this module refuses UPDATE and DELETE of AuditEntry and
CaseEvent through the ORM (``AppendOnly``, a typed 403), and the migration adds database
triggers that refuse them for any SQL the application could send.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Table, event, insert, inspect, select, text
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.attributes import History

from casework import audit_context, clock
from casework.errors import NotAllowed
from casework.i18n import N_
from casework.models.audit import AuditEntry
from casework.models.case import CaseEvent
from casework.models.user import User

_audit_table = cast(Table, AuditEntry.__table__)

# Tables whose rows are logs themselves, or technical bookkeeping written constantly.
UNAUDITED_TABLES = frozenset(
    {"audit_entries", "case_events", "pokir_events", "scheduler_leases", "idempotent_requests"}
)
APPEND_ONLY_TABLES = frozenset({"audit_entries", "case_events"})
# Fields whose changes alone are not worth a row (stamped on every login or API call).
QUIET_FIELDS = {
    "users": frozenset({"last_login_at", "failed_logins", "locked_until", "totp_last_step"}),
    "api_tokens": frozenset({"last_used_at"}),
}
# Tables about one person: every field is personal, recorded by name only.
PERSONAL_TABLES = frozenset({"persons", "beneficiary_accounts"})
# Any column whose name contains one of these is personal or secret.
SECRET_NAME_PARTS = (
    "nik",
    "kk_",
    "account_number",
    "holder_name",
    "receiver_name",
    "password",
    "hash",
    "secret",
    "token",
    "cipher",
    "encrypted",
    "birth",
    "address",
    "phone",
    "email",
    "body",
)
MAX_VALUE_LENGTH = 200


class AppendOnly(NotAllowed):
    """A change to the audit log or the case history was attempted."""

    code = "append_only"

    def __init__(self) -> None:
        super().__init__(N_("The audit log and the case history cannot be changed."))


# --- What a change looks like in the log ------------------------------------------------


def is_secret(table: Table, column_name: str) -> bool:
    """Whether a column's values must never appear in the log."""
    if table.name in PERSONAL_TABLES:
        return True
    column = table.columns.get(column_name)
    if column is not None and column.info.get("personal"):
        return True
    name = column_name.lower()
    return any(part in name for part in SECRET_NAME_PARTS)


def _plain(value: Any) -> Any:
    """A JSON-safe, bounded rendering of a column value."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    shown = str(value)
    return shown if len(shown) <= MAX_VALUE_LENGTH else shown[: MAX_VALUE_LENGTH - 1] + "…"


def _changes(obj: Any, table: Table, *, created: bool) -> dict[str, Any]:
    """Changed (or, for a new row, set) columns: ``name -> [old, new]`` or None if secret."""
    state = inspect(obj)
    changes: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        history: History = state.attrs[key].history
        if not history.has_changes():
            continue
        column_name = attr.columns[0].name
        if is_secret(table, column_name):
            changes[column_name] = None
            continue
        old = None if created or not history.deleted else history.deleted[0]
        new = history.added[0] if history.added else None
        if created and new is None:
            continue
        changes[column_name] = [_plain(old), _plain(new)]
    return changes


def _identity(obj: Any) -> str:
    """The primary key (set by the flush even before the identity map knows the row)."""
    state = inspect(obj)
    key = state.identity or state.mapper.primary_key_from_instance(obj)
    return "/".join("" if part is None else str(part) for part in key)


def _row(action: str, obj: Any, changes: dict[str, Any] | None) -> dict[str, Any]:
    context = audit_context.current()
    actor = context.current_actor()
    table = cast(Table, inspect(obj).mapper.local_table)
    return {
        "at": clock.now(),
        "actor_id": actor.user_id,
        "actor_name": actor.name[:120],
        "ip": context.ip,
        "action": action,
        "entity_type": table.name,
        "entity_id": _identity(obj)[:64],
        "changes": changes or None,
        "request_id": context.current_request_id(),
    }


def _table_of(obj: Any) -> Table | None:
    mapper = inspect(obj).mapper
    table = mapper.local_table
    return cast(Table, table) if isinstance(table, Table) else None


def _entries_of_flush(session: Session) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        table = _table_of(obj)
        if table is not None and table.name not in UNAUDITED_TABLES:
            rows.append(_row("create", obj, _changes(obj, table, created=True)))
    for obj in session.dirty:
        table = _table_of(obj)
        if table is None or table.name in UNAUDITED_TABLES:
            continue
        changes = _changes(obj, table, created=False)
        if set(changes) - QUIET_FIELDS.get(table.name, frozenset()):
            rows.append(_row("update", obj, changes))
    for obj in session.deleted:
        table = _table_of(obj)
        if table is not None and table.name not in UNAUDITED_TABLES:
            rows.append(_row("delete", obj, None))
    return rows


# --- Session hooks -----------------------------------------------------------------------


def _refuse_history_changes(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEntry | CaseEvent):
            raise AppendOnly()
    for obj in session.dirty:
        if isinstance(obj, AuditEntry | CaseEvent) and session.is_modified(obj):
            raise AppendOnly()


def _record_flush(session: Session, _context: UOWTransaction) -> None:
    rows = _entries_of_flush(session)
    if rows:
        session.connection().execute(insert(_audit_table), rows)


def _refuse_bulk_history_changes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    guarded = isinstance(table, Table) and table.name in APPEND_ONLY_TABLES
    if guarded and not _history_unlocked(state.session):
        raise AppendOnly()


def _history_unlocked(session: Session) -> bool:
    return bool(session.info.get("history_unlocked"))


def install() -> None:
    """Hook the audit into every Session (idempotent; done when this module is imported)."""
    hooks = (
        ("before_flush", _refuse_history_changes),
        ("after_flush", _record_flush),
        ("do_orm_execute", _refuse_bulk_history_changes),
    )
    for name, hook in hooks:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


install()


# --- Explicit events (logins, account changes) ------------------------------------------


def record(
    session: Session,
    action: str,
    *,
    user: User | None = None,
    username: str | None = None,
    entity_type: str | None = None,
    entity_id: str | int | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Append one entry for an event that is not a plain row write (login, logout...).

    ``user`` names the account the event concerns when nobody is logged in yet (a login);
    otherwise the context's actor is recorded.
    """
    context = audit_context.current()
    if user is not None:
        actor = audit_context.Actor(user.id, user.username)
    elif username is not None:
        actor = audit_context.Actor(None, username)
    else:
        actor = context.current_actor()
    session.connection().execute(
        insert(_audit_table),
        {
            "at": clock.now(),
            "actor_id": actor.user_id,
            "actor_name": actor.name[:120],
            "ip": context.ip,
            "action": action,
            "entity_type": entity_type,
            "entity_id": None if entity_id is None else str(entity_id)[:64],
            "changes": changes,
            "request_id": context.current_request_id(),
        },
    )


def entries_for(session: Session, entity_type: str, entity_id: str | int) -> list[AuditEntry]:
    """The log of one record, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
        )
    )


# --- Maintenance by the database owner ----------------------------------------------------


@contextmanager
def case_history_unlocked(session: Session) -> Iterator[Connection]:
    """Let the block delete case events (for the database owner's maintenance only).

    Needs DDL rights: it lifts the case_events triggers inside the session's transaction
    (ALTER TABLE ... DISABLE TRIGGER on PostgreSQL, drop and re-create on SQLite) and puts
    them back before the block ends, and the lifting itself is recorded in the audit log.
    The audit log itself is never unlocked.
    """
    connection = session.connection()
    record(session, "history.unlock", entity_type="case_events")
    restore = _lift_triggers(connection)
    session.info["history_unlocked"] = True
    try:
        yield connection
    finally:
        session.info.pop("history_unlocked", None)
        restore()


def _lift_triggers(connection: Connection) -> Any:
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE case_events DISABLE TRIGGER case_events_append_only"))
        return lambda: connection.execute(
            text("ALTER TABLE case_events ENABLE TRIGGER case_events_append_only")
        )
    definitions = list(
        connection.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'case_events'"
            )
        )
    )
    for name, _sql in definitions:
        connection.execute(text(f'DROP TRIGGER "{name}"'))

    def restore() -> None:
        for _name, sql in definitions:
            connection.exec_driver_sql(sql)

    return restore
