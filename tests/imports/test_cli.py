"""``flask import applicants FILE``: a dry run by default, the import with --commit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from casework.models import Case
from tests.imports.sheets import person_cells, workbook


def write(tmp_path: Path, rows) -> str:
    path = tmp_path / "pemohon.xlsx"
    path.write_bytes(workbook(rows).getvalue())
    return str(path)


def cases(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Case)) or 0


def test_the_dry_run_prints_each_error_with_row_and_column_and_writes_nothing(
    app, session, users, tmp_path
):
    before = cases(session)
    path = write(tmp_path, [person_cells(), person_cells(village_code="99.99")])
    result = app.test_cli_runner().invoke(
        args=[
            "import",
            "applicants",
            path,
            "--program",
            "wrse",
            "--user",
            users["caseworker"].username,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "3 J (Kode desa/kelurahan): Kode desa tidak dikenal 99.99." in result.output
    assert "1 baris valid, 1 baris dengan kesalahan." in result.output
    assert cases(session) == before


def test_commit_imports_the_valid_rows(app, session, users, tmp_path):
    before = cases(session)
    path = write(tmp_path, [person_cells(), person_cells(), person_cells(nik="x")])
    result = app.test_cli_runner().invoke(
        args=[
            "import",
            "applicants",
            path,
            "--program",
            "WRSE",
            "--user",
            users["caseworker"].username,
            "--commit",
        ]
    )
    assert result.exit_code == 0, result.output
    assert cases(session) == before + 2


def test_an_unknown_program_is_a_clear_error(app, users, tmp_path):
    path = write(tmp_path, [person_cells()])
    result = app.test_cli_runner().invoke(
        args=[
            "import",
            "applicants",
            path,
            "--program",
            "XYZ",
            "--user",
            users["caseworker"].username,
        ]
    )
    assert result.exit_code != 0
    assert "program" in result.output.lower()
