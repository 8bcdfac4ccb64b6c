"""The printed table, the machine it ran on, and docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy

from benchmarks.measure import Comparison, Series

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Machine:
    cpus: int
    cpu_model: str
    python: str
    sqlite: str
    sqlalchemy: str

    def lines(self) -> list[str]:
        return [
            f"CPU: {self.cpu_model} ({self.cpus} usable cores, nproc)",
            f"Python {self.python}, SQLite {self.sqlite}, SQLAlchemy {self.sqlalchemy}",
        ]


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "Hardware"):
            return value.strip()
    return platform.processor() or "unknown"


def this_machine() -> Machine:
    return Machine(
        cpus=len(os.sched_getaffinity(0)),
        cpu_model=_cpu_model(),
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        sqlalchemy=sqlalchemy.__version__,
    )


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def _spread(series: Series) -> str:
    return f"{_rate(series.low)}–{_rate(series.high)}"


def comparison_rows(comparison: Comparison) -> list[list[str]]:
    """Two rows (measured, reference) of: what, median, spread, goal, verdict."""
    c = comparison
    verdict = "met" if c.goal_met else "NOT met"
    return [
        [
            c.measured.name,
            _rate(c.measured.median),
            _spread(c.measured),
            f"≥ {_rate(c.goal)} {c.unit}: {verdict}",
        ],
        [
            c.reference.name,
            _rate(c.reference.median),
            _spread(c.reference),
            f"ratio engine/raw: {c.ratio:.2f}",
        ],
    ]


HEADER = ["measurement", "median", "spread (min–max)", "goal / ratio"]


def text_table(comparisons: list[Comparison]) -> str:
    rows = [HEADER] + [row for c in comparisons for row in comparison_rows(c)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.rjust(w) if 0 < i < 3 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(comparisons: list[Comparison]) -> str:
    rows = [HEADER, ["---", "---:", "---:", "---"]]
    rows += [row for c in comparisons for row in comparison_rows(c)]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


@dataclass(frozen=True)
class Settings:
    """How the run was made: sizes, repetitions and the command line."""

    command: str
    single_cases: int
    bulk_cases: int
    runs: int


def docs_text(
    comparisons: list[Comparison],
    statements: dict[str, float],
    machine: Machine,
    settings: Settings,
    at: datetime,
) -> str:
    """docs/benchmarks.md: the table, how it was measured, and on what."""
    per_transition = ", ".join(f"{n:g} {kind}" for kind, n in statements.items())
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{settings.command}` on {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC;"
        " run it again rather than editing this page.",
        "",
        "## Machine",
        "",
        *[f"- {line}" for line in machine.lines()],
        "",
        "## Results",
        "",
        f"Rates in cases per second; median and spread of {settings.runs} runs, fresh cases"
        " in every run. Each engine run is paired with its raw-SQL reference on the same"
        " database file, back to back; machines are shared and noisy, so the ratio is the"
        " figure to compare across machines.",
        "",
        markdown_table(comparisons),
        "",
        f"SQL statements per single transition (advance + commit): {per_transition}.",
        "",
        "## What is measured",
        "",
        f"- **Single transitions**: {settings.single_cases:,} submitted WRSE cases, each moved"
        ' by `workflows.engine.advance(session, case, "start_verification", actor=verifier)`'
        " in its own unit of work (`db.unit_of_work()`, one commit each), as a request does."
        " The case objects are loaded before the clock starts; `advance` reloads each one"
        " under its row lock. Reference: the same writes with the `sqlite3` module (BEGIN"
        " IMMEDIATE; `UPDATE cases … WHERE id AND version`; `INSERT INTO case_events`;"
        " COMMIT) per case.",
        f"- **Bulk move**: {settings.bulk_cases:,} submitted cases moved by one"
        ' `advance_many(session, ids, "start_verification", actor=verifier)` and one'
        " commit (the guard-free, set-based path). Reference: the same set-based UPDATE and"
        " INSERT … SELECT per chunk of 500 ids, in one transaction, with `sqlite3`.",
        "- Both sides use a fresh SQLite file built by the app's migrations, with the app's"
        " connection settings: WAL, synchronous=NORMAL, foreign keys on, BEGIN IMMEDIATE.",
        "- Cases are inserted set-based before each run (outside the timed part) as the"
        " services would write them: one applicant each, numbered, in their village and"
        " regency, state `submitted`, version 1, with their `submit` event. After each run a"
        " check fails the benchmark unless every case moved once, to version 2, with its event.",
        "",
    ]
    return "\n".join(lines)


def write_docs(text: str, path: Path = DOCS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
