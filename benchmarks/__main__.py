"""``python -m benchmarks``: the engine against raw SQLite, printed and written to docs/.

Options: ``--quick`` (small sizes, a smoke run well under a minute), ``--runs``,
``--single``/``--bulk`` (cases per run), ``--write-docs``/``--no-write-docs`` (a full run
writes docs/benchmarks.md, a quick one does not unless asked), ``--profile`` (cProfile of
the single-transition path).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.dashboard import measure_dashboard
from benchmarks.dataset import CaseFactory, build_app, make_staff
from benchmarks.decree import measure_decree
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
        "--sweep",
        type=int,
        help="open cases for the deadline sweep (100000; quick: 10000; 0: skip)",
    )
    args = parser.parse_args(argv)
    if args.dashboard is None:
        args.dashboard = 10_000 if args.quick else 100_000
    if args.sweep is None:
        args.sweep = 10_000 if args.quick else 100_000
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
        if args.write_docs:
            settings = Settings(command, args.single, args.bulk, args.runs)
            text = docs_text(comparisons, statements, machine, settings, datetime.now(UTC))
            text += sweep.markdown() if sweep else ""
            text += dashboard.markdown() if dashboard else ""
            text += decree.markdown() if decree else ""
            print(f"\nWrote {write_docs(text)}")
        assert db.engine is not None
        db.engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="berdaya-bench-") as tmp:
        run(args, command_line(argv), Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
