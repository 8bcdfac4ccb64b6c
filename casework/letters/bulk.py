"""Bulk rendering: many pending letters (a decree's 1,500) across a pool of processes.

The letter rows and their numbers already exist (written in the issuing transaction, the
outbox); this only turns pending rows into PDFs, so running it twice, or again after a
crash, renders each letter once and uses no number:

- the parent claims pending rows (a conditional UPDATE; ``take_over`` also takes the
  claims a killed run left behind) and reads each letter's document in a short unit of
  work; no transaction stays open while WeasyPrint works;
- each worker process loads the templates, the stylesheet and the fonts ONCE (its
  initialiser), lays a batch of letters out in one WeasyPrint document written as ONE
  PDF (fonts subset once), splits it per letter with pypdf (``split_batch``), and writes
  each file once (temporary file, then an atomic link that never replaces a file);
- the parent marks each batch rendered with its SHA-256 in a small transaction of its
  own. A crash between the file and the mark leaves the file: the next run keeps it and
  records its hash, so a letter's PDF is never written twice.

The decree (SK) with its long lampiran is a batch of its own, started first.
"""

from __future__ import annotations

import gc
import io
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework import clock
from casework.letters.render import (
    LetterDocument,
    LetterRenderer,
    default_renderer,
    split_pages,
)
from casework.letters.store import LetterStore, StoredLetter
from casework.models.letter import Letter, LetterStatus
from casework.services.letters import (
    CLAIM_TIMEOUT,
    UnitOfWork,
    _claim,
    _Job,
    _jobs,
    _mark_rendered,
    _render,
)

log = logging.getLogger("berdaya.letters")

BATCH = 50
"""Letters laid out in one WeasyPrint document."""
LONG_KINDS = frozenset({"decree"})
"""Kinds rendered alone (many pages: the SK's lampiran)."""

Task = tuple[int, str, LetterDocument]
"""(letter id, stored name, document): what a worker needs for one letter."""
Done = tuple[int, StoredLetter]
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


# --- the worker side ----------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(store_root: str) -> None:
    """Once per worker process: templates, stylesheet and fonts loaded and parsed, then
    frozen out of the garbage collector's sight (they live as long as the worker)."""
    renderer = LetterRenderer()
    _ = renderer.stylesheet
    _worker.update(renderer=renderer, store=LetterStore(store_root))
    gc.collect()
    gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a batch is laid out and written, and one
    collection after it.

    A batch builds hundreds of thousands of boxes and styles that all live until its PDF is
    written; the collector, started every 700 allocations, examined them again and again
    (about an eighth of a letter's CPU). Only for a worker process, which does nothing else
    meanwhile: the collection after each batch frees its cycles, so a worker holds at most
    one batch.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def render_batch(
    tasks: Sequence[Task],
    renderer: LetterRenderer | None = None,
    store: LetterStore | None = None,
) -> list[Done]:
    """Render a batch (one document, split per letter) and store each PDF once.

    Runs in a worker (its own renderer and store) or in the caller (given ones); a letter
    that cannot be rendered is left out and stays pending.
    """
    in_worker = renderer is None
    renderer = renderer or _worker["renderer"]
    store = store or _worker["store"]
    assert renderer is not None and store is not None
    documents = [document for _, _, document in tasks]
    with collector_paused() if in_worker else nullcontext():
        try:
            pdfs: list[bytes | None] = list(split_batch(renderer, documents))
        except Exception:
            log.exception("laying out a batch of %s letters failed", len(documents))
            pdfs = _render(renderer, documents)  # one by one, each failure on its own
    return [
        (letter_id, store.save(path, pdf))
        for (letter_id, path, _), pdf in zip(tasks, pdfs, strict=True)
        if pdf is not None
    ]


def split_batch(renderer: LetterRenderer, documents: Sequence[LetterDocument]) -> list[bytes]:
    """The PDFs of many letters: ONE layout and ONE PDF for the batch (fonts subset once),
    split per letter with pypdf. A letter of several pages keeps them all, numbered from its
    own first page (each letter is a page group of its own: letter.css)."""
    if len(documents) == 1:
        return [renderer.render(documents[0])]
    laid_out = renderer.layout(documents)
    groups = split_pages(laid_out, len(documents))
    whole = PdfReader(io.BytesIO(laid_out.write_pdf()))
    pdfs: list[bytes] = []
    first = 0
    for pages in groups:
        writer = PdfWriter()
        for index in range(first, first + len(pages)):
            writer.add_page(_own_images(whole.pages[index]))
        out = io.BytesIO()
        writer.write(out)
        pdfs.append(out.getvalue())
        first += len(pages)
    return pdfs


def _own_images(page: PageObject) -> PageObject:
    """The page with resources naming only the images it draws: WeasyPrint gives every page
    of a document ONE resource dictionary naming every image of the document (each letter's
    QR code), which would copy all 50 QR codes of a batch into each letter's PDF."""
    resources = page["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    images = resources.get("/XObject")
    images = images.get_object() if images is not None else None
    if not isinstance(images, DictionaryObject) or not images:
        return page
    content = page.get_contents()
    drawn = content.get_data() if content is not None else b""
    own = DictionaryObject(resources)
    own[NameObject("/XObject")] = DictionaryObject(
        {NameObject(name): ref for name, ref in images.items() if f"{name} Do".encode() in drawn}
    )
    page[NameObject("/Resources")] = own
    return page


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


def _ready() -> None:
    """Nothing: a task that makes the pool start a worker (its initialiser runs first)."""


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
    context.set_forkserver_preload(["casework.letters.render", "casework.letters.bulk"])
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
    renderer = default_renderer()
    with unit_of_work() as session:
        for letter_id, stored in done:
            _mark_rendered(session, _Job(letter_id, kinds[letter_id], "", None), renderer, stored)


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
