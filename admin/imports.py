"""The applicant import screen: template, upload, dry-run report, confirmed background import.

The uploaded file is kept under UPLOAD_DIR/imports/<token>.xlsx next to a small JSON job
file (owner, program, year, valid rows, progress), so the progress poll works from any
worker process. The import runs in a thread with its own unit of work: all or nothing.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, jsonify, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import force_locale, get_locale, gettext

from admin.security import RoleGate, require_actor
from casework import clock
from casework.errors import DomainError, ValidationError
from casework.importing import ImportReport, applicant_template, dry_run, import_applicants
from casework.models.program import Program
from casework.models.user import User
from web.db import db
from web.i18n import error_fields, error_message, translate

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ERRORS_SHOWN = 2_000
_THREADS: dict[str, threading.Thread] = {}


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _job_path(folder: Path, token: str) -> Path:
    if not token.isalnum():
        abort(404)
    return folder / f"{token}.json"


def _save_job(path: Path, job: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(job))
    os.replace(tmp, path)


def _load_job(token: str, user: User) -> dict[str, Any]:
    path = _job_path(_folder(), token)
    if not path.exists():
        abort(404)
    job: dict[str, Any] = json.loads(path.read_text())
    if job["owner_id"] != user.id:
        abort(404)
    return job


def wait(token: str, timeout: float = 120) -> None:
    """Wait for the background import ``token`` (tests and the CLI-less callers)."""
    thread = _THREADS.get(token)
    if thread is not None:
        thread.join(timeout)


def _field_messages(error: DomainError) -> list[str]:
    if not isinstance(error, ValidationError):
        return []
    return [m for messages in error_fields(error).values() for m in messages]


def _run(app: Flask, folder: Path, token: str, locale: str) -> None:
    """The import of a confirmed job, in its own unit of work; progress to the job file."""
    path = _job_path(folder, token)
    job = json.loads(path.read_text())

    def progress(stage: str, done: int, total: int) -> None:
        share = done / total if total else 1.0
        job["percent"] = int(share * 50) + (50 if stage == "write" else 0)
        _save_job(path, job)

    with app.test_request_context(), force_locale(locale):
        try:
            with db.unit_of_work() as session, open(folder / f"{token}.xlsx", "rb") as source:
                actor = session.get(User, job["owner_id"])
                assert actor is not None
                result = import_applicants(
                    session,
                    source,
                    program_code=job["program"],
                    fiscal_year=job["year"],
                    actor=actor,
                    translate=translate,
                    max_rows=app.config["IMPORT_MAX_ROWS"],
                    confirmed=job["rows"],
                    progress=progress,
                )
            job |= {"state": "done", "percent": 100, "cases": result.cases_created}
            job["numbers"] = result.case_numbers[:1] + result.case_numbers[-1:]
        except DomainError as error:
            details = _field_messages(error)
            job |= {"state": "failed", "message": " ".join([error_message(error), *details])}
        finally:
            db.session.remove()
    _save_job(path, job)


class ImportView(RoleGate, BaseView):
    read_action = "case.write"

    def _programs(self) -> list[Program]:
        from sqlalchemy import select

        return list(
            db.current().scalars(select(Program).where(Program.active).order_by(Program.id))
        )

    def _year(self) -> int:
        raw = request.values.get("fiscal_year", "")
        return int(raw) if raw.isdigit() and len(raw) == 4 else clock.today_wita().year

    @expose("/")
    def index(self) -> Any:
        return self.render(
            "admin/import.html", programs=self._programs(), year=self._year(), errors={}
        )

    @expose("/template.xlsx")
    def template(self) -> Any:
        program, year = request.args.get("program", ""), self._year()
        try:
            content = applicant_template(
                db.current(),
                program_code=program,
                fiscal_year=year,
                actor=require_actor(),
                translate=translate,
            )
        except DomainError as refused:
            return Response(error_message(refused), status=refused.status, mimetype="text/plain")
        name = f"{gettext('applicants')}-{program.upper()}-{year}.xlsx"
        return Response(
            content,
            mimetype=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @expose("/check", methods=["POST"])
    def check(self) -> Any:
        user, program, year = require_actor(), request.form.get("program", ""), self._year()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            errors = {"file": [gettext("Choose the filled-in template (.xlsx).")]}
            return self._form_again(errors)
        token = secrets.token_hex(16)
        folder = _folder()
        upload.save(folder / f"{token}.xlsx")
        try:
            with open(folder / f"{token}.xlsx", "rb") as source:
                report = dry_run(
                    db.current(),
                    source,
                    program_code=program,
                    fiscal_year=year,
                    actor=user,
                    translate=translate,
                    max_rows=current_app.config["IMPORT_MAX_ROWS"],
                )
        except DomainError as refused:
            (folder / f"{token}.xlsx").unlink(missing_ok=True)
            fields = error_fields(refused) if isinstance(refused, ValidationError) else {}
            return self._form_again(fields or {"file": [error_message(refused)]})
        _save_job(
            _job_path(folder, token),
            {
                "owner_id": user.id,
                "program": report.program_code,
                "year": year,
                "rows": [r.row for r in report.valid_rows],
                "state": "checked",
                "percent": 0,
                "filename": upload.filename[:200],
            },
        )
        return self._report(report, token, upload.filename)

    def _form_again(self, errors: dict[str, list[str]]) -> Any:
        return self.render(
            "admin/import.html",
            programs=self._programs(),
            year=self._year(),
            errors=errors,
            chosen=request.form.get("program", ""),
        )

    def _report(self, report: ImportReport, token: str, filename: str) -> Any:
        lines = [
            (error.row, error.letter, gettext(error.header), error.message.render(translate))
            for row in report.invalid_rows
            for error in report.errors_of(row)
        ]
        return self.render(
            "admin/import_report.html",
            report=report,
            token=token,
            filename=filename,
            lines=lines[:MAX_ERRORS_SHOWN],
            hidden=max(len(lines) - MAX_ERRORS_SHOWN, 0),
        )

    @expose("/confirm/<token>", methods=["POST"])
    def confirm(self, token: str) -> Any:
        job = _load_job(token, require_actor())
        if job["state"] != "checked":
            return redirect(url_for(".job", token=token))
        job["state"] = "running"
        folder = _folder()
        _save_job(_job_path(folder, token), job)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        locale = str(get_locale() or "id")
        db.session.remove()  # the request is done with the database; the thread has its own
        thread = threading.Thread(target=_run, args=(app, folder, token, locale), daemon=True)
        _THREADS[token] = thread
        thread.start()
        return redirect(url_for(".job", token=token))

    @expose("/job/<token>")
    def job(self, token: str) -> Any:
        job = _load_job(token, require_actor())
        return self.render("admin/import_job.html", job=job, token=token)

    @expose("/job/<token>/progress")
    def progress(self, token: str) -> Any:
        job = _load_job(token, require_actor())
        return jsonify({k: job.get(k) for k in ("state", "percent", "message", "cases", "numbers")})
