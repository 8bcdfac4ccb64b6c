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
from casework.services.login import reset_totp
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


@users.command("reset-totp")
@click.argument("username")
def users_reset_totp(username: str) -> None:
    """Turn off USERNAME's two-step login (a lost phone); audited. A role that must use it
    sets it up again at the next login."""
    with db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.username == username.lower()))
        if user is None:
            raise click.ClickException(f"no user {username}")
        reset_totp(session, user)
    click.echo(f"two-step login of {user.username} is off")


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


bench = click.Group("bench", help="Benchmark data (synthetic; never on a live database).")


@bench.command("seed")
@click.option("--cases", default=100_000, show_default=True, help="total generator cases wanted")
@click.option("--batch", default=10_000, show_default=True, help="cases per transaction")
def bench_seed(cases: int, batch: int) -> None:
    """Fill the database with realistic synthetic cases, set-based; rerun to resume."""
    from benchmarks.seed import finish, seed_batches

    with click.progressbar(length=cases, label="cases", show_pos=True, show_eta=True) as bar:
        for written in seed_batches(db.unit_of_work, cases, batch):
            bar.update(written)
    with db.unit_of_work() as session:
        finish(session)
    click.echo(f"seeded: {cases:,} generator cases")


letters = click.Group("letters", help="Official letters: bulk rendering and snapshots.")


@letters.command("render")
@click.option("--decree", "decree_id", type=int, default=None, help="only this decree's letters")
@click.option("--workers", type=int, default=None, help="processes (default: one per core)")
@click.option("--batch", type=int, default=50, show_default=True, help="letters per document")
@click.option("--take-over", is_flag=True, help="also render letters a crashed run had claimed")
def letters_render(decree_id: int | None, workers: int | None, batch: int, take_over: bool) -> None:
    """Render pending letters to PDF across processes, with a progress bar; rerun to resume."""
    from casework.letters.bulk import letter_progress, render_letters

    app = current_app
    with db.unit_of_work() as session:
        pending = letter_progress(session, decree_id).pending
    with click.progressbar(length=pending, label="letters", show_pos=True, show_eta=True) as bar:
        done = render_letters(
            db.unit_of_work,
            app.config["LETTER_DIR"],
            base_url=app.config["PUBLIC_BASE_URL"],
            decree_id=decree_id,
            workers=workers,
            batch=batch,
            take_over=take_over,
            on_progress=bar.update,
        )
    with db.unit_of_work() as session:
        left = letter_progress(session, decree_id).pending
    click.echo(f"rendered: {done:,} letters; still pending: {left:,}")


@letters.command("snapshots")
def letters_snapshots() -> None:
    """Write docs/letters/*.png: a page of each kind of letter, for fictional recipients."""
    from casework.letters.snapshots import write_snapshots

    for path in write_snapshots():
        click.echo(str(path))


def init_cli(app: Flask) -> None:
    Migrate(app, db, directory=os.path.join(ROOT, "migrations"))
    for command in (users, regions, demo, budget, scheduler, serve, bench, letters):
        app.cli.add_command(command)
    from web.backup_cli import backup_command, restore_command
    from web.import_cli import imports
    from web.privacy_cli import privacy

    app.cli.add_command(privacy)
    app.cli.add_command(imports)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
