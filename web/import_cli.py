"""``flask --app wsgi import applicants FILE --program WRSE [--commit]``: a dry run by default."""

from __future__ import annotations

from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import DomainError
from casework.importing import ImportReport, ImportResult, dry_run, import_applicants
from casework.models.user import User
from web.cli import _fail
from web.db import db

imports = click.Group("import", help="Import applicants from Excel (.xlsx).")


def _translate(message: str) -> str:
    return gettext(message) if message else message


def print_report(report: ImportReport) -> None:
    """Every row with errors, one line per cell: row, column letter and header, message."""
    for row in report.invalid_rows:
        for error in report.errors_of(row):
            header = _translate(error.header)
            click.echo(
                f"{gettext('row')} {error.row} {error.letter} ({header}): "
                f"{error.message.render(_translate)}"
            )
    click.echo(
        gettext("%(valid)s valid rows, %(invalid)s rows with errors.")
        % {"valid": len(report.valid_rows), "invalid": len(report.invalid_rows)}
    )


@imports.command("applicants")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--program", "program_code", required=True, help="KUBE, WRSE or UEP")
@click.option("--year", "fiscal_year", type=int, default=None, help="fiscal year (default: now)")
@click.option("--user", "username", default="admin", show_default=True, help="acting user")
@click.option("--commit", is_flag=True, help="import the valid rows (default: dry run only)")
@with_appcontext
def import_applicants_command(
    file: str, program_code: str, fiscal_year: int | None, username: str, commit: bool
) -> None:
    """Check FILE row by row and print the report; with --commit, import its valid rows."""
    year = fiscal_year or clock.today_wita().year
    limit = current_app.config["IMPORT_MAX_ROWS"]
    with current_app.test_request_context(), force_locale("id"), db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.username == username.lower()))
        if user is None or not user.active:
            raise click.ClickException(f"no active user {username}")
        args: dict[str, Any] = {"program_code": program_code, "fiscal_year": year, "actor": user}
        try:
            with open(file, "rb") as source:
                report = dry_run(session, source, translate=_translate, max_rows=limit, **args)
            print_report(report)
            if commit and report.valid_rows:
                result = _commit(session, file, limit, args)
                click.echo(_summary(result))
        except DomainError as exc:
            _fail(exc)


def _commit(session: Session, file: str, limit: int, args: dict[str, Any]) -> ImportResult:
    with click.progressbar(length=100, label=gettext("Importing"), show_percent=True) as bar:
        shown = {"at": 0}

        def progress(stage: str, done: int, total: int) -> None:
            share = done / total if total else 1.0
            at = int(share * 50) + (50 if stage == "write" else 0)
            bar.update(at - shown["at"])
            shown["at"] = at

        with open(file, "rb") as source:
            return import_applicants(
                session, source, translate=_translate, max_rows=limit, progress=progress, **args
            )


def _summary(result: ImportResult) -> str:
    return gettext(
        "Imported: %(cases)s cases, %(created)s new persons, %(reused)s persons already "
        "registered, %(groups)s KUBE groups."
    ) % {
        "cases": result.cases_created,
        "created": result.persons_created,
        "reused": result.persons_reused,
        "groups": result.groups_created,
    }
