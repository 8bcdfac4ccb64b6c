"""``flask privacy``: key rotation, key status and the data-subject access export."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click
from sqlalchemy import String, select, type_coerce

from casework.errors import DomainError
from casework.models.user import User
from casework.privacy import is_encrypted, key_ids, token_key_id
from casework.services.privacy import (
    find_person_by_nik,
    rotate_batch,
    rotation_targets,
    subject_access_export,
)
from web.db import db
from web.i18n import error_message

privacy = click.Group("privacy", help="Personal data: key rotation and data-subject exports.")


@privacy.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--rehash", is_flag=True, help="also recompute the keyed hashes (new HMAC key)")
def rotate(batch_size: int, rehash: bool) -> None:
    """Re-encrypt every NIK, KK, account number and TOTP secret with the newest key
    (BERDAYA_DATA_KEYS).

    Each batch is its own transaction; rows already under the newest key are skipped, so
    an interrupted run is simply started again. Afterwards the old keys can be removed.
    """
    for target in rotation_targets():
        after, total = 0, 0
        while True:
            with db.unit_of_work() as session:
                last, changed = rotate_batch(
                    session, target, after_id=after, limit=batch_size, rehash=rehash
                )
            if last is None:
                break
            after, total = last, total + changed
        click.echo(f"{target.table.name}: {total} rows re-encrypted")
    click.echo(f"newest key: {key_ids()[0]}")


@privacy.command("status")
def status() -> None:
    """How many values each key (by id, never the key) encrypts, per column."""
    with db.unit_of_work() as session:
        for target in rotation_targets():
            for column in target.columns:
                raw = type_coerce(target.table.c[column], String())
                counts: Counter[str] = Counter()
                for (value,) in session.execute(select(raw).where(raw.is_not(None))):
                    counts[token_key_id(value) if is_encrypted(value) else "clear"] += 1
                shown = ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())) or "empty"
                click.echo(f"{target.table.name}.{column}: {shown}")
    click.echo(f"configured keys (newest first): {', '.join(key_ids())}")


@privacy.command("export")
@click.option("--nik", required=True, help="the NIK of the person")
@click.option("--user", "username", required=True, help="the staff account asking (logged)")
@click.option("--reason", required=True, help="why (logged), e.g. the request's reference")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export(nik: str, username: str, reason: str, output: Path | None) -> None:
    """Everything held about the person with NIK, as JSON (data-subject access, UU 27/2022)."""
    try:
        with db.unit_of_work() as session:
            user = session.scalar(select(User).where(User.username == username.lower()))
            if user is None or not user.active:
                raise click.ClickException(f"no active user {username}")
            person = find_person_by_nik(session, nik)
            if person is None:
                raise click.ClickException("no person is registered with this NIK")
            data = subject_access_export(session, person.id, actor=user, reason=reason)
    except DomainError as error:
        raise click.ClickException(error_message(error)) from None
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
        return
    output.write_text(text, encoding="utf-8")
    output.chmod(0o600)
    click.echo(f"written to {output}")
