"""``python -m benchmarks``: the engine against raw SQLite, printed and written to docs/.

Options: ``--quick`` (small sizes, a smoke run well under a minute), ``--runs``,
``--single``/``--bulk`` (cases per run), ``--write-docs``/``--no-write-docs`` (a full run
writes docs/benchmarks.md, a quick one does not unless asked), ``--profile`` (cProfile of
the single-transition path).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.dashboard import measure_dashboard
from benchmarks.dataset import CaseFactory, build_app, make_staff
from benchmarks.decree import measure_decree
from benchmarks.imports import measure_import
from benchmarks.letters import measure_letters
from benchmarks.measure import Comparison, Run, Series
from benchmarks.profiling import profile_engine_single, statements_per_transition
from benchmarks.report import (
    Settings,
    docs_text,
    text_table,
    this_machine,
    write_docs,
)
from benchmarks.scenarios import (
    Bench,
    engine_bulk,
    engine_single,
    raw_bulk,
    raw_single,
)
from benchmarks.sweep import measure_sweep
from web.db import db

SINGLE_GOAL = 3_000.0
BULK_GOAL = 50_000.0
Scenario = Callable[[Bench, int], Run]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--runs", type=int, help="repetitions per measurement (5; quick: 3)")
    parser.add_argument("--single", type=int, help="cases per single run (3000; quick: 300)")
    parser.add_argument("--bulk", type=int, help="cases per bulk run (10000; quick: 1000)")
    parser.add_argument(
        "--write-docs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write docs/benchmarks.md (default: on, off with --quick)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of single transitions"
    )
    parser.add_argument(
        "--dashboard",
        type=int,
        help="cases for the dashboard bench (100000; quick: 10000; 0: skip)",
    )
    parser.add_argument(
        "--decree", type=int, default=1_500, help="cases in the decree bench (1500; 0: skip)"
    )
    parser.add_argument(
        "--imports", type=int, default=10_000, help="rows in the Excel import bench (0: skip)"
    )
    parser.add_argument(
        "--letters",
        type=int,
        help="letters in the bulk letter bench, next to LibreOffice (500; quick: 50; 0: skip)",
    )
    parser.add_argument(
        "--sweep",
        type=int,
        help="open cases for the deadline sweep (100000; quick: 10000; 0: skip)",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="the million-case run (benchmarks/scale.py): admin pages at each --scale-sizes"
        " on SQLite and on --scale-pg, then the API under gunicorn; writes its own section",
    )
    parser.add_argument("--scale-sizes", default="10000,100000,1000000", help="cases, in turn")
    parser.add_argument(
        "--scale-pg",
        default=os.environ.get("BERDAYA_BENCH_PG", ""),
        help="PostgreSQL URL of a database for the scale run (kept: seeding resumes)",
    )
    parser.add_argument(
        "--scale-dir",
        default="instance/bench-scale",
        help="where the SQLite scale database is kept",
    )
    args = parser.parse_args(argv)
    if args.dashboard is None:
        args.dashboard = 10_000 if args.quick else 100_000
    if args.sweep is None:
        args.sweep = 10_000 if args.quick else 100_000
    if args.letters is None:
        args.letters = 50 if args.quick else 500
    args.runs = args.runs or (3 if args.quick else 5)
    args.single = args.single or (300 if args.quick else 3_000)
    args.bulk = args.bulk or (1_000 if args.quick else 10_000)
    if args.write_docs is None:
        args.write_docs = not args.quick
    return args


def compare(
    bench: Bench,
    title: str,
    pair: tuple[tuple[str, Scenario], tuple[str, Scenario]],
    count: int,
    runs: int,
    goal: float,
) -> Comparison:
    """Run both sides ``runs`` times, back to back, alternating which goes first."""
    (name, measured_side), (ref_name, reference_side) = pair
    measured, reference = Series(name), Series(ref_name)
    for n in range(runs):
        order = [(measured, measured_side), (reference, reference_side)]
        for series, scenario in order if n % 2 == 0 else reversed(order):
            series.runs.append(scenario(bench, count))
        print(
            f"  {title} run {n + 1}/{runs}: engine {measured.runs[-1].rate:,.0f}/s,"
            f" raw {reference.runs[-1].rate:,.0f}/s",
            flush=True,
        )
    return Comparison(title, "cases/s", measured, reference, goal)


def warm_up(bench: Bench) -> None:
    """One small untimed round of every scenario: imports, caches, SQLite pages."""
    for scenario in (engine_single, raw_single):
        scenario(bench, 30)
    for scenario in (engine_bulk, raw_bulk):
        scenario(bench, 300)


def measure(bench: Bench, args: argparse.Namespace) -> list[Comparison]:
    warm_up(bench)
    single = compare(
        bench,
        "single",
        (("engine advance + commit", engine_single), ("raw sqlite3, same writes", raw_single)),
        args.single,
        args.runs,
        SINGLE_GOAL,
    )
    bulk = compare(
        bench,
        "bulk",
        (("engine advance_many", engine_bulk), ("raw sqlite3, set-based", raw_bulk)),
        args.bulk,
        args.runs,
        BULK_GOAL,
    )
    return [single, bulk]


def command_line(argv: Sequence[str]) -> str:
    python = Path(sys.executable)
    shown = python.relative_to(Path.cwd()) if python.is_relative_to(Path.cwd()) else python
    return shlex.join([str(shown), "-m", "benchmarks", *argv])


def run(args: argparse.Namespace, command: str, directory: Path) -> None:
    machine = this_machine()
    print(f"Berdaya benchmarks: {command}")
    for line in machine.lines():
        print(f"  {line}")
    print(f"  {args.single:,} single / {args.bulk:,} bulk cases per run, {args.runs} runs")
    app = build_app(directory)
    with app.app_context():
        with db.unit_of_work() as session:
            staff = make_staff(session)
            bench = Bench(app, CaseFactory(session, staff), staff)
        db.session.remove()
        comparisons = measure(bench, args)
        statements = statements_per_transition(bench)
        print()
        print(text_table(comparisons))
        print()
        print("SQL statements per single transition (advance + commit):")
        print("  " + ", ".join(f"{n:g} {kind}" for kind, n in statements.items()))
        if args.profile:
            print(profile_engine_single(bench, args.single))
        # the sweep first: it deletes its cases again, the dashboard's stay
        sweep = measure_sweep(bench, args.sweep, args.runs) if args.sweep else None
        if sweep:
            print("\n" + "\n".join(sweep.lines()))
        dashboard = measure_dashboard(bench, args.dashboard, args.runs) if args.dashboard else None
        if dashboard:
            print("\n" + "\n".join(dashboard.lines()))
        decree = measure_decree(bench, args.decree, args.runs) if args.decree else None
        if decree:
            print("\n" + "\n".join(decree.lines()))
        # letters before the import: its cases take numbers from the app's sequence, which the
        # benchmark's own case factory (numbering by id) does not follow
        letters = measure_letters(bench, args.letters, min(args.runs, 3)) if args.letters else None
        if letters:
            print("\n" + "\n".join(letters.lines()))
        imported = measure_import(bench, args.imports, args.runs) if args.imports else None
        if imported:
            print("\n" + "\n".join(imported.lines()))
        if args.write_docs:
            settings = Settings(command, args.single, args.bulk, args.runs)
            text = docs_text(comparisons, statements, machine, settings, datetime.now(UTC))
            # a section this run skipped (its size 0) keeps the figures of the run that made it
            text += sweep.markdown() if sweep else kept_section("## Deadline sweep")
            text += dashboard.markdown() if dashboard else kept_section("## Overdue dashboard")
            text += decree.markdown() if decree else kept_section("## Decree issue")
            text += imported.markdown() if imported else kept_section("## Excel import")
            text += letters.markdown() if letters else kept_section("## Letters")
            print(f"\nWrote {write_docs(text + kept_scale_section())}")
        assert db.engine is not None
        db.engine.dispose()


def kept_section(heading: str) -> str:
    """The section ``heading`` of docs/benchmarks.md as it is (up to the next section), for a
    run that does not redo it; "" when there is none."""
    from benchmarks.report import DOCS

    old = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    start = old.find(f"\n{heading}\n")
    if start < 0:
        return ""
    end = old.find("\n## ", start + 1)
    return old[start + 1 : end + 1 if end >= 0 else len(old)]


def kept_scale_section() -> str:
    """The "At scale" section of docs/benchmarks.md (the last one), kept by a run that does
    not redo it."""
    section = kept_section("## At scale")
    return "\n" + section if section else ""


def run_scale(args: argparse.Namespace, command: str) -> None:
    """SQLite, then PostgreSQL when given, at each size; the API load on PostgreSQL."""
    from benchmarks.load import default_settings, measure_load
    from benchmarks.report import DOCS
    from benchmarks.scale import replace_section, run_backend, scale_markdown

    sizes = [int(s) for s in args.scale_sizes.split(",") if s.strip()]
    directory = Path(args.scale_dir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    print(f"Berdaya scale run: {command}")
    results = run_backend(
        "SQLite", f"sqlite:///{directory / 'scale.sqlite3'}", sizes, args.runs, str(directory)
    )
    load = None
    if args.scale_pg:
        results += run_backend("PostgreSQL", args.scale_pg, sizes, args.runs, str(directory))
        # gunicorn.conf.py's settings (WEB_* from the environment), 3 runs of 20 s per kind,
        # as fast as served and paced to each goal's rate
        settings = default_settings(seconds=20, runs=min(args.runs, 3))
        load = measure_load(args.scale_pg, settings, at_goal_rate=True)
    section = scale_markdown(results, load, args.runs, command)
    if args.write_docs:
        old = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
        print(f"\nWrote {write_docs(replace_section(old, section))}")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.scale:
        run_scale(args, command_line(argv))
        return 0
    with tempfile.TemporaryDirectory(prefix="berdaya-bench-") as tmp:
        run(args, command_line(argv), Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
