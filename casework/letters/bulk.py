"""Bulk rendering: many pending letters (a decree's 1,500) across a pool of processes.

The letter rows and their numbers already exist (written in the issuing transaction, the
outbox); this only turns pending rows into PDFs, so running it twice, or again after a
crash, renders each letter once and uses no number:

- the parent claims pending rows (a conditional UPDATE; ``take_over`` also takes the
  claims a killed run left behind) and reads each letter's document in a short unit of
  work; no transaction stays open while WeasyPrint works;
- each worker process (casework/letters/worker.py) loads the templates, the stylesheet and
  the fonts ONCE, lays a batch of letters out in one WeasyPrint document written as ONE PDF
  (fonts subset once), splits it per letter, and writes each file once;
- the parent marks each batch rendered with its SHA-256 in a small transaction of its
  own. A crash between the file and the mark leaves the file: the next run keeps it and
  records its hash, so a letter's PDF is never written twice.

The decree (SK) with its long lampiran is a batch of its own, started first.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework import clock
from casework.letters.render import default_renderer
from casework.letters.store import LetterStore
from casework.letters.worker import Done, Task, _init_worker, _ready, render_batch
from casework.models.letter import Letter, LetterStatus
from casework.services.letters import (
    CLAIM_TIMEOUT,
    UnitOfWork,
    _claim,
    _Job,
    _jobs,
    _mark_rendered,
)

log = logging.getLogger("berdaya.letters")

BATCH = 50
"""Letters laid out in one WeasyPrint document."""
LONG_KINDS = frozenset({"decree"})
"""Kinds rendered alone (many pages: the SK's lampiran)."""

Progress = Callable[[int], None]


# --- progress ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LetterProgress:
    """How far the letters of a decree (or all letters) are: counted from their rows."""

    total: int
    rendered: int
    pending: int
    voided: int

    @property
    def done(self) -> bool:
        return self.pending == 0

    @property
    def percent(self) -> int:
        finished = self.total - self.pending
        return 100 if self.total == 0 else finished * 100 // self.total

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "rendered": self.rendered,
            "pending": self.pending,
            "voided": self.voided,
            "percent": self.percent,
            "done": self.done,
        }


def letter_progress(session: Session, decree_id: int | None = None) -> LetterProgress:
    """Counts of the current letters by status (those of the decree, when given)."""
    stmt = select(Letter.status, func.count()).group_by(Letter.status)
    if decree_id is not None:
        stmt = stmt.where(Letter.decree_id == decree_id)
    counts: dict[str, int] = {row[0]: row[1] for row in session.execute(stmt)}
    rendered = counts.get(LetterStatus.RENDERED.value, 0)
    pending = counts.get(LetterStatus.PENDING.value, 0)
    voided = counts.get(LetterStatus.VOIDED.value, 0)
    return LetterProgress(rendered + pending + voided, rendered, pending, voided)


def pending_ids(session: Session, decree_id: int | None = None) -> list[int]:
    """Ids of the letters still pending (those of the decree, when given), oldest first."""
    stmt = select(Letter.id).where(Letter.status == LetterStatus.PENDING.value)
    if decree_id is not None:
        stmt = stmt.where(Letter.decree_id == decree_id)
    return list(session.scalars(stmt.order_by(Letter.id)))


class _InProcess(Executor):
    """The pool's interface, run in the calling thread (no pool for small jobs)."""

    def __init__(self, store_root: str) -> None:
        self.store = LetterStore(store_root)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, default_renderer(), self.store, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


@contextmanager
def workers_started(pool: Executor, workers: int) -> Iterator[None]:
    """Start the pool's worker processes in a thread while the caller claims and reads the
    first letters (about a second of start-up, the forkserver's and each worker's, that
    would otherwise come after the claim); wait for that thread on the way out."""
    if not isinstance(pool, ProcessPoolExecutor):
        yield
        return

    def start() -> None:
        try:
            for future in [pool.submit(_ready) for _ in range(workers)]:
                future.result()
        except Exception:  # a broken pool fails the batches themselves, where it is reported
            log.debug("starting the render workers ahead failed", exc_info=True)

    thread = threading.Thread(target=start, name="berdaya-letter-workers", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def default_workers() -> int:
    """One worker per core."""
    return os.cpu_count() or 1


def _pool(workers: int, store_root: str) -> Executor:
    if workers <= 1:
        return _InProcess(store_root)
    context = multiprocessing.get_context("forkserver")  # never fork a threaded web process
    context.set_forkserver_preload(["casework.letters.worker"])  # no database code
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(store_root,),
    )


# --- the parent side ----------------------------------------------------------------------


def claim_chunks(count: int, batch: int, workers: int) -> Iterator[tuple[int, int]]:
    """Where each claim of ``count`` letters starts and ends: one batch for each worker
    first, so that each starts on a batch as soon as its letters are read (not after the
    first two rounds are), then two rounds of batches at a time."""
    workers = max(workers, 1)
    start = 0
    sizes = [batch] * workers
    while start < count:
        size = sizes.pop(0) if sizes else batch * workers * 2
        yield start, min(start + size, count)
        start += size


def _batches(jobs: Sequence[_Job], size: int) -> Iterator[list[Task]]:
    """The long letters one by one first, then the others ``size`` at a time."""
    long = [j for j in jobs if j.kind in LONG_KINDS]
    short = [j for j in jobs if j.kind not in LONG_KINDS]
    for job in long:
        yield [(job.letter_id, job.path, job.document)]
    for start in range(0, len(short), size):
        yield [(j.letter_id, j.path, j.document) for j in short[start : start + size]]


def _mark(unit_of_work: UnitOfWork, done: Sequence[Done], kinds: dict[int, str]) -> None:
    with unit_of_work() as session:
        _mark_rendered(
            session,
            default_renderer(),
            [(letter_id, kinds[letter_id], stored) for letter_id, stored in done],
        )


@dataclass
class BulkRender:
    """One run: which letters, how many processes, what to report."""

    unit_of_work: UnitOfWork
    store_root: str
    base_url: str
    workers: int
    batch: int = BATCH
    take_over: bool = False
    on_progress: Progress | None = None

    def claim(self, ids: Sequence[int]) -> list[_Job]:
        timeout = timedelta(0) if self.take_over else CLAIM_TIMEOUT
        with self.unit_of_work() as session:
            claimed = _claim(session, ids, len(ids), clock.now(), timeout)
        if not claimed:
            return []
        with self.unit_of_work() as session:
            return _jobs(session, claimed, self.base_url)

    def run(self, ids: Sequence[int]) -> int:
        """Render the pending letters among ``ids``; return how many were rendered."""
        done = 0
        with _pool(self.workers, self.store_root) as pool, workers_started(pool, self.workers):
            in_flight: dict[Future[list[Done]], dict[int, str]] = {}
            for start, end in claim_chunks(len(ids), self.batch, self.workers):
                jobs = self.claim(ids[start:end])
                kind_of = {j.letter_id: j.kind for j in jobs}
                for tasks in _batches(jobs, self.batch):
                    kinds = {t[0]: kind_of[t[0]] for t in tasks}
                    in_flight[pool.submit(render_batch, tasks)] = kinds
                done += self._collect(in_flight, keep=self.workers)
            done += self._collect(in_flight, keep=0)
        return done

    def _collect(self, in_flight: dict[Future[list[Done]], dict[int, str]], keep: int) -> int:
        """Mark finished batches until at most ``keep`` are still running."""
        done = 0
        while len(in_flight) > keep:
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                kinds = in_flight.pop(future)
                try:
                    result = future.result()
                except Exception:
                    log.exception("a batch of %s letters failed; they stay pending", len(kinds))
                    continue
                _mark(self.unit_of_work, result, kinds)
                done += len(result)
                if self.on_progress is not None:
                    self.on_progress(len(kinds))
        return done


def render_letters(
    unit_of_work: UnitOfWork,
    store_root: str | os.PathLike[str],
    *,
    base_url: str,
    decree_id: int | None = None,
    ids: Sequence[int] | None = None,
    workers: int | None = None,
    batch: int = BATCH,
    take_over: bool = False,
    on_progress: Progress | None = None,
) -> int:
    """Render every pending letter (of the decree, of ``ids``, when given) in batches across
    ``workers`` processes (one per core by default; 1: in this process); return how many.

    ``take_over`` also renders letters another run claimed (after a crash: safe even if
    that run is alive, as each file is written once and each row marked once).
    """
    with unit_of_work() as session:
        pending = pending_ids(session, decree_id)
    wanted = set(ids) if ids is not None else None
    ids = [i for i in pending if wanted is None or i in wanted]
    if not ids:
        return 0
    workers = default_workers() if workers is None else workers
    workers = min(workers, -(-len(ids) // batch))  # no idle processes for a small job
    job = BulkRender(
        unit_of_work, str(store_root), base_url, workers, batch, take_over, on_progress
    )
    return job.run(ids)
