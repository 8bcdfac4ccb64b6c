"""Personal data under UU 27/2022: logged reveals, the data-subject access export, key rotation.

Who may do what is casework/policy.py's answer ("person.reveal", "account.reveal",
"person.export"); the region rule is the usual one (a record outside the actor's
kabupaten/kota is "not found"). Every reveal and every export writes a RevealLog row in the
same transaction as the answer, so nothing is shown that is not logged.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, String, Table, literal, or_, select, type_coerce, update
from sqlalchemy.orm import Mapper, Session

from casework import clock, policy
from casework.errors import FieldErrors, NotFound
from casework.i18n import N_
from casework.models.base import Base
from casework.models.case import Case
from casework.models.disbursement import BeneficiaryAccount, Payment
from casework.models.person import Group, GroupMember, Person
from casework.models.privacy import RevealField, RevealLog
from casework.models.user import User
from casework.privacy import blind_index, decrypt, encrypt, is_encrypted, needs_rotation
from casework.services.access import get_scoped

MIN_REASON_CHARS = 10
MAX_REASON_CHARS = 500
PERSON_FIELDS = (RevealField.NIK.value, RevealField.KK.value)

MSG_REASON = N_(
    "Give the reason for showing the full number (at least %(n)s characters), "
    "e.g. the document it is checked against."
)
MSG_REASON_LONG = N_("At most %(n)s characters.")
MSG_FIELD = N_("Choose the NIK or the KK number.")
MSG_NO_ACCOUNT = N_("This case has no bank account.")


@dataclass(frozen=True)
class Revealed:
    """A full number shown to ``log.user`` for the reason in ``log``."""

    field: str
    value: str
    log: RevealLog


def _check_reason(reason: str | None, errors: FieldErrors) -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON_CHARS:
        errors.add("reason", MSG_REASON, n=MIN_REASON_CHARS)
    elif len(text) > MAX_REASON_CHARS:
        errors.add("reason", MSG_REASON_LONG, n=MAX_REASON_CHARS)
    return text


def _log(
    session: Session,
    actor: User,
    field: str,
    reason: str,
    *,
    person_id: int | None,
    account_id: int | None = None,
) -> RevealLog:
    entry = RevealLog(
        user_id=actor.id,
        person_id=person_id,
        account_id=account_id,
        field=field,
        reason=reason,
        at=clock.now(),
    )
    session.add(entry)
    session.flush()
    return entry


def reveal_person_number(
    session: Session, person_id: int, field_name: str, *, actor: User, reason: str | None
) -> Revealed:
    """The full NIK or KK number of a person of the actor's region, logged with ``reason``.

    Checks, in order: the actor's role (403), the person's region (404), the field and the
    reason (422, per field).
    """
    policy.require(actor, "person.reveal")
    person = get_scoped(session, Person, person_id, actor)
    errors = FieldErrors()
    if field_name not in PERSON_FIELDS:
        errors.add("field", MSG_FIELD)
    text = _check_reason(reason, errors)
    errors.raise_if_any()
    value = person.nik if field_name == RevealField.NIK else person.kk_number
    entry = _log(session, actor, field_name, text, person_id=person.id)
    return Revealed(field_name, value, entry)


def reveal_account_number(
    session: Session, case_id: int, *, actor: User, reason: str | None
) -> Revealed:
    """The full bank account number of a case of the actor's region, logged with ``reason``."""
    policy.require(actor, "account.reveal")
    case = get_scoped(session, Case, case_id, actor)
    account = session.scalar(
        select(BeneficiaryAccount).where(BeneficiaryAccount.case_id == case.id)
    )
    if account is None:
        raise NotFound(MSG_NO_ACCOUNT)
    errors = FieldErrors()
    text = _check_reason(reason, errors)
    errors.raise_if_any()
    entry = _log(
        session,
        actor,
        RevealField.ACCOUNT.value,
        text,
        person_id=case.person_id,
        account_id=account.id,
    )
    return Revealed(RevealField.ACCOUNT.value, account.account_number, entry)


def find_person_by_nik(session: Session, nik: str) -> Person | None:
    """The person registered with ``nik`` (any region; for the CLI and importers)."""
    return session.scalar(select(Person).where(Person.nik_is(nik)))


def person_accounts(session: Session, person: Person) -> list[BeneficiaryAccount]:
    """The bank accounts of the cases of ``person`` (as applicant)."""
    case_ids = select(Case.id).where(Case.person_id == person.id)
    stmt = select(BeneficiaryAccount).where(BeneficiaryAccount.case_id.in_(case_ids))
    return list(session.scalars(stmt.order_by(BeneficiaryAccount.id)))


def reveals_of(session: Session, person_id: int) -> list[RevealLog]:
    """Every reveal and export about one person, newest first."""
    stmt = select(RevealLog).where(RevealLog.person_id == person_id)
    return list(session.scalars(stmt.order_by(RevealLog.at.desc(), RevealLog.id.desc())))


# --- Data-subject access export -----------------------------------------------------------

# Columns that mean nothing to the data subject and only help an attacker.
_HIDDEN_SUFFIXES = ("_hash",)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def _row(mapper: Mapper[Any], record: Any) -> dict[str, Any]:
    return {
        attr.key: _plain(getattr(record, attr.key))
        for attr in mapper.column_attrs
        if not attr.key.endswith(_HIDDEN_SUFFIXES)
    }


def _references(table: Table, target: str) -> list[Any]:
    """The columns of ``table`` that are foreign keys to ``target``'s id."""
    return [
        column
        for column in table.columns
        if any(fk.column.table.name == target for fk in column.foreign_keys)
    ]


@dataclass
class _Collected:
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    user_refs: dict[int, list[str]] = field(default_factory=dict)

    def add(self, table: Table, mapper: Mapper[Any], rows: Iterable[Any]) -> None:
        user_columns = [c.key for c in _references(table, "users")]
        for record in rows:
            data = _row(mapper, record)
            self.records.setdefault(table.name, []).append(data)
            for key in user_columns:
                user_id = data.get(key)
                if isinstance(user_id, int):
                    self.user_refs.setdefault(user_id, []).append(
                        f"{table.name}#{data.get('id')}.{key}"
                    )


def _related_clause(
    table: Table, person_id: int, case_ids: Sequence[int], group_ids: Sequence[int]
) -> ColumnElement[bool] | None:
    clauses: list[ColumnElement[bool]] = []
    for target, ids in (("persons", [person_id]), ("cases", case_ids), ("groups", group_ids)):
        if ids and table.name != target:
            clauses += [column.in_(ids) for column in _references(table, target)]
    return or_(*clauses) if clauses else None


def _mapped_tables() -> list[tuple[Table, Mapper[Any]]]:
    found = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if isinstance(table, Table) and table.name not in ("users", "api_tokens"):
            found.append((table, mapper))
    return sorted(found, key=lambda pair: pair[0].name)


def _collect(session: Session, person: Person) -> _Collected:
    collected = _Collected()
    group_ids = list(
        session.scalars(select(GroupMember.group_id).where(GroupMember.person_id == person.id))
    )
    case_filter = Case.person_id == person.id
    if group_ids:
        case_filter = or_(case_filter, Case.group_id.in_(group_ids))
    case_ids = list(session.scalars(select(Case.id).where(case_filter).order_by(Case.id)))
    collected.add(Person.__table__, Person.__mapper__, [person])  # type: ignore[arg-type]
    groups = list(session.scalars(select(Group).where(Group.id.in_(group_ids))))
    collected.add(Group.__table__, Group.__mapper__, groups)  # type: ignore[arg-type]
    cases = list(session.scalars(select(Case).where(Case.id.in_(case_ids))))
    collected.add(Case.__table__, Case.__mapper__, cases)  # type: ignore[arg-type]
    for table, mapper in _mapped_tables():
        if table.name in ("persons", "groups", "cases"):
            continue
        clause = _related_clause(table, person.id, case_ids, group_ids)
        if clause is None:
            continue
        pk = list(table.primary_key.columns)
        rows = session.scalars(select(mapper.class_).where(clause).order_by(*pk))
        collected.add(table, mapper, rows)
    return collected


def _users(session: Session, refs: dict[int, list[str]]) -> list[dict[str, Any]]:
    users = session.scalars(select(User).where(User.id.in_(list(refs))).order_by(User.id))
    return [
        {
            "id": user.id,
            "username": user.username,
            "full_name": user.full_name,
            "role": user.role.value,
            "region_code": user.region_code,
            "touched": sorted(refs[user.id]),
        }
        for user in users
    ]


def subject_access_export(
    session: Session, person_id: int, *, actor: User, reason: str | None
) -> dict[str, Any]:
    """Everything held about one person and who touched it, as JSON-ready data (UU 27/2022).

    The person, their groups and cases, and every row of every table that points at them
    (case events, documents, checks, letters, notifications, accounts, payments, reports,
    reveals...), with the staff accounts named in those rows. Full numbers are included:
    the export is for the data subject. The export itself is logged first, so it lists
    itself among the reveals.
    """
    policy.require(actor, "person.export")
    person = get_scoped(session, Person, person_id, actor)
    errors = FieldErrors()
    text = _check_reason(reason, errors)
    errors.raise_if_any()
    entry = _log(session, actor, RevealField.SUBJECT_ACCESS_EXPORT.value, text, person_id=person.id)
    collected = _collect(session, person)
    return {
        "format": "berdaya-subject-access-export/1",
        "generated_at": _plain(entry.at),
        "generated_by": {"id": actor.id, "username": actor.username, "reason": text},
        "person": collected.records["persons"][0],
        "records": {k: v for k, v in sorted(collected.records.items()) if k != "persons"},
        "touched_by": _users(session, collected.user_refs),
    }


# --- Key rotation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An encrypted table: its (column, kind) pairs and, per kind, a blind index column."""

    table: Table
    columns: tuple[str, ...]
    hashes: tuple[tuple[str, str], ...] = ()


def rotation_targets() -> list[Target]:
    return [
        Target(
            Person.__table__,  # type: ignore[arg-type]
            ("nik", "kk_number"),
            (("nik", "nik_hash"), ("kk_number", "kk_hash")),
        ),
        Target(BeneficiaryAccount.__table__, ("account_number",)),  # type: ignore[arg-type]
        Target(Payment.__table__, ("account_number",)),  # type: ignore[arg-type]
        Target(User.__table__, ("totp_secret",)),  # type: ignore[arg-type]
    ]


def _row_changes(target: Target, row: Any, rehash: bool) -> dict[str, str]:
    changes: dict[str, str] = {}
    clear: dict[str, str] = {}
    for column in target.columns:
        token = getattr(row, column)
        if token is None:
            continue
        if not is_encrypted(token):  # a clear value left by an old import: encrypt it
            clear[column] = token
            changes[column] = encrypt(column, token)
        elif rehash or needs_rotation(token):
            clear[column] = decrypt(column, token)
            if needs_rotation(token):
                changes[column] = encrypt(column, clear[column])
    for column, hash_column in target.hashes:
        if column in clear:
            digest = blind_index(column, clear[column])
            if digest != getattr(row, hash_column):
                changes[hash_column] = digest
    return changes


def rotate_batch(
    session: Session, target: Target, *, after_id: int, limit: int, rehash: bool = False
) -> tuple[int | None, int]:
    """Re-encrypt one batch of ``target`` rows (ids after ``after_id``) with the newest key.

    Rows already under the newest key are left alone, so running it again changes nothing.
    With ``rehash`` the blind indexes are recomputed too (after a new HMAC key). Returns
    (the last id seen, or None when there were no more rows; the number of rows changed).
    """
    table = target.table
    raw = [type_coerce(table.c[c], String()).label(c) for c in target.columns]
    hashes = [table.c[h] for _, h in target.hashes]
    stmt = (
        select(table.c.id, *raw, *hashes)
        .where(table.c.id > after_id)
        .order_by(table.c.id)
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    changed = 0
    for row in rows:
        changes = _row_changes(target, row, rehash)
        if changes:
            values = {table.c[k]: literal(v, String()) for k, v in changes.items()}
            session.execute(update(table).where(table.c.id == row.id).values(values))
            changed += 1
    session.flush()
    return (rows[-1].id if rows else None), changed
