"""Command line: users, reference and demo data, the scheduler and the server."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask_migrate import Migrate
from sqlalchemy import func, select

from casework.errors import DomainError
from casework.models.case import Case
from casework.models.user import User
from casework.services.regions import load_regions
from casework.services.users import create_user, issue_token
from web.db import db
from web.i18n import error_fields, error_message

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _fail(error: DomainError) -> None:
    detail = ""
    fields = getattr(error, "fields", None)
    if fields:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in error_fields(error).items())  # type: ignore[arg-type]
    raise click.ClickException(error_message(error) + (f" ({detail})" if detail else ""))


users = click.Group("users", help="Manage staff accounts and API tokens.")


@users.command("create")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    help="admin, manager, caseworker, verifier, finance, dprd_liaison or auditor",
)
@click.option(
    "--region",
    "region_code",
    default=None,
    help="kabupaten/kota code, e.g. 64.02; omit for the whole province",
)
@click.option("--full-name", default=None)
@click.option("--email", default=None)
@click.option("--password", default=None, help="prompted for when omitted")
def users_create(
    username: str,
    role: str,
    region_code: str | None,
    full_name: str | None,
    email: str | None,
    password: str | None,
) -> None:
    """Create a staff account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with db.unit_of_work() as session:
            user = create_user(
                session,
                username=username,
                full_name=full_name or username,
                role=role,
                password=password,
                region_code=region_code,
                email=email,
            )
    except DomainError as exc:
        _fail(exc)
    click.echo(
        f"created user {user.username} ({user.role.value}, {user.region_code or 'provinsi'})"
    )


@users.command("token")
@click.argument("username")
@click.option("--days", default=None, type=int, help="validity in days")
@click.option("--label", default="cli")
def users_token(username: str, days: int | None, label: str) -> None:
    """Print a new API token for USERNAME (the last line is the token)."""
    with db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.username == username.lower()))
        if user is None or not user.active:
            raise click.ClickException(f"no active user {username}")
        try:
            token = issue_token(
                session, user, label=label, days=days or current_app.config["API_TOKEN_DAYS"]
            )
        except DomainError as exc:
            _fail(exc)
    click.echo(f"token for {user.username}, shown once:")
    click.echo(token)


regions = click.Group("regions", help="Kalimantan Timur region codes (Kemendagri, ODbL).")


@regions.command("load")
def regions_load() -> None:
    """Load or update the regions from data/regions."""
    with db.unit_of_work() as session:
        added = load_regions(session, current_app.config["REGIONS_DIR"])
    click.echo(f"regions loaded ({added} new)")


demo = click.Group("demo", help="Demo data for trying Berdaya out.")


@demo.command("seed")
@click.option("--if-empty", is_flag=True, help="only when there are no cases yet")
@click.option("--cases", default=300, show_default=True)
def demo_seed(if_empty: bool, cases: int) -> None:
    """Seed programs, business types, one user per role and cases in every state."""
    from casework.services.demo import seed_demo
    from casework.storage import DocumentStore

    with db.unit_of_work() as session:
        if if_empty and session.scalar(select(func.count()).select_from(Case)):
            click.echo("demo data skipped: the database already has cases")
            return
        store = DocumentStore(
            current_app.config["UPLOAD_DIR"], current_app.config["MAX_UPLOAD_BYTES"]
        )
        summary = seed_demo(session, store=store, cases=cases)
    click.echo(summary)


budget = click.Group("budget", help="APBD budget lines and pokir commitments.")


@budget.command("year-end")
@click.argument("year", type=int)
def budget_year_end(year: int) -> None:
    """Print the open commitments and the ceilings that lapse at the end of YEAR."""
    from casework.services.budget import year_end, year_end_text

    with db.unit_of_work() as session:
        click.echo(year_end_text(year_end(session, year)))


scheduler = click.Group("scheduler", help="The background job scheduler.")


@scheduler.command("run")
def scheduler_run() -> None:
    """Run the scheduler in the foreground (one per deployment)."""
    from web.scheduler import run_forever

    run_forever(current_app._get_current_object())  # type: ignore[attr-defined]


@click.command("serve")
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"))
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int)
def serve(host: str, port: int) -> None:
    """Serve the app (threaded) with the scheduler in the same process."""
    from werkzeug.serving import run_simple

    from web.scheduler import start_background, stop

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduler_handle = start_background(app) if app.config["SCHEDULER_ENABLED"] else None
    click.echo(f"Berdaya on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if scheduler_handle is not None:
            stop(scheduler_handle)


def init_cli(app: Flask) -> None:
    Migrate(app, db, directory=os.path.join(ROOT, "migrations"))
    for command in (users, regions, demo, budget, scheduler, serve):
        app.cli.add_command(command)
