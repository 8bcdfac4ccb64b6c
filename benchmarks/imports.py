"""Importing an Excel file of 10,000 WRSE applicants, next to a raw executemany of the rows.

Measured: ``casework.importing.import_applicants`` in one unit of work and its commit: the
streaming read, every row's checks, the duplicate look-ups, the persons and draft cases
inserted set-based. Reference: ``sqlite3`` executemany of the same person and case rows in
one transaction (no reading, no checks). Each run imports fresh NIKs.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from io import BytesIO

from openpyxl import Workbook

from benchmarks import raw
from benchmarks.dataset import load_user
from benchmarks.scenarios import Bench
from casework import clock
from casework.identity import build_nik
from casework.importing import import_applicants
from casework.importing.columns import columns_for
from casework.importing.loader import identity_values
from casework.models.person import name_key
from casework.models.program import ApplicantKind
from casework.privacy import encrypt
from web.db import db

GOAL_SECONDS = 30.0
DISTRICT = "64.02.08"
VILLAGE = "64.02.08.2007"


@dataclass(frozen=True)
class ImportFigures:
    rows: int
    engine_s: list[float]
    raw_s: list[float]

    def lines(self) -> list[str]:
        engine, reference = statistics.median(self.engine_s), statistics.median(self.raw_s)
        verdict = "met" if engine <= GOAL_SECONDS else "NOT met"
        return [
            f"Excel import of {self.rows:,} WRSE applicants (median of {len(self.engine_s)} runs):",
            f"  import_applicants + commit: {engine:.2f} s ({self.rows / engine:,.0f} rows/s);"
            f" goal ≤ {GOAL_SECONDS:.0f} s: {verdict}",
            f"  raw sqlite3 executemany of the same rows: {reference:.2f} s"
            f" ({self.rows / reference:,.0f} rows/s); ratio import/raw: {engine / reference:.1f}",
        ]

    def markdown(self) -> str:
        head, *figures = self.lines()
        items = [f"- {line.strip()}" for line in figures]
        text = (
            "The import reads the .xlsx with openpyxl in read-only mode, checks every row,"
            " looks duplicates up by keyed hash and inserts persons and draft cases set-based;"
            " the reference only inserts the same rows."
        )
        return "\n".join(["## Excel import", "", head, "", *items, "", text, ""])


def _people(run: int, count: int) -> list[dict[str, object]]:
    born = date(1970 + run % 30, 1 + run % 12, 1)
    rows = []
    for n in range(count):
        birth = born.replace(day=1 + n // 9999)
        nik = build_nik(district_code=DISTRICT, birth_date=birth, sex="P", serial=n % 9999 + 1)
        rows.append({"nik": nik, "kk_number": nik[:6] + "010120" + nik[-4:], "birth_date": birth})
    return rows


def _workbook(people: list[dict[str, object]]) -> BytesIO:
    columns = columns_for(ApplicantKind.PERSON)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    sheet.append([c.label for c in columns])
    for n, p in enumerate(people):
        cells = p | {
            "full_name": f"Warga {n}",
            "sex": "P",
            "marital_status": "cerai_mati",
            "village_code": VILLAGE,
            "business_type": "menjahit",
            "requested_amount": 4_500_000,
        }
        sheet.append([cells.get(c.key) for c in columns])
    out = BytesIO()
    book.save(out)
    out.seek(0)
    return out


def engine_import(bench: Bench, run: int, count: int) -> float:
    source = _workbook(_people(run, count))
    started = time.perf_counter()
    with db.unit_of_work() as session:
        result = import_applicants(
            session,
            source,
            program_code="WRSE",
            fiscal_year=clock.today_wita().year,
            actor=load_user(session, bench.staff.caseworker_id),
            translate=lambda m: m,
            max_rows=count,
        )
    elapsed = time.perf_counter() - started
    db.session.remove()
    if result.cases_created != count:
        raise RuntimeError(f"expected {count} cases, imported {result.cases_created}")
    return elapsed


def _encrypted(nik: str, kk: str) -> dict[str, str]:
    """The identity columns as stored: encrypted numbers and their keyed hashes."""
    values = identity_values(nik, kk)
    return values | {"nik": encrypt("nik", nik), "kk_number": encrypt("kk_number", kk)}


def raw_import(bench: Bench, run: int, count: int) -> float:
    people = _people(run + 1000, count)
    with bench.app.app_context():
        identities = [_encrypted(str(p["nik"]), str(p["kk_number"])) for p in people]
    now = raw.sql_datetime(datetime.now(UTC))
    year = clock.today_wita().year
    with raw.connect(bench.path) as conn:
        (program_id,) = conn.execute("SELECT id FROM programs WHERE code = 'WRSE'").fetchone()
        (business_id,) = conn.execute("SELECT id FROM business_types LIMIT 1").fetchone()
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM persons").fetchone()[0]
        conn.executemany(
            "INSERT INTO persons (id, nik, nik_hash, kk_number, kk_hash, full_name, sex,"
            " birth_place, birth_date, marital_status, is_breadwinner, address, village_code,"
            " regency_code, phone, created_at, name_key)"
            " VALUES (?, ?, ?, ?, ?, ?, 'P', '', ?, 'cerai_mati', 0, '', ?, '64.02', '', ?, ?)",
            [
                (
                    first + n,
                    i["nik"],
                    i["nik_hash"],
                    i["kk_number"],
                    i["kk_hash"],
                    f"Raw {n}",
                    str(p["birth_date"]),
                    VILLAGE,
                    now,
                    name_key(f"Raw {n}"),
                )
                for n, (p, i) in enumerate(zip(people, identities, strict=True))
            ],
        )
        conn.executemany(
            "INSERT INTO cases (number, program_id, fiscal_year, person_id, village_code,"
            " regency_code, business_type_id, requested_package, requested_amount, state,"
            " version, state_entered_at, created_at) VALUES (?, ?, ?, ?, ?, '64.02', ?, '',"
            " 4500000, 'draft', 1, ?, ?)",
            [
                (f"RAW-{run}-{n:06d}", program_id, year, first + n, VILLAGE, business_id, now, now)
                for n in range(count)
            ],
        )
        conn.execute("COMMIT")
        return time.perf_counter() - started


def measure_import(bench: Bench, count: int, runs: int) -> ImportFigures:
    """Import ``runs`` files of ``count`` rows each way, alternating which goes first."""
    engine: list[float] = []
    reference: list[float] = []
    for n in range(runs):
        sides = [(engine, engine_import), (reference, raw_import)]
        for series, side in sides if n % 2 == 0 else reversed(sides):
            series.append(side(bench, n, count))
        print(
            f"  import run {n + 1}/{runs}: {engine[-1]:.2f} s, raw {reference[-1]:.2f} s",
            flush=True,
        )
    return ImportFigures(count, engine, reference)
