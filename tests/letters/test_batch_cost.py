"""What keeps a batch of letters cheap to render, checked where it can break: the letters of a
batch share their computed styles (nothing in a letter's markup makes WeasyPrint compute
them again per letter), and a render worker's memory stays that of one batch while its
garbage collector is paused during each batch."""

from __future__ import annotations

import gc
import multiprocessing
import os
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.letters import bulk, worker
from casework.letters.kinds import KINDS
from casework.letters.render import LetterDocument, LetterRenderer
from casework.letters.snapshots import document


class _Elements(HTMLParser):
    """For each element with an ``id``: whether anything (element or text) is inside it."""

    VOID = frozenset({"br", "img", "col", "meta", "hr", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str | None]] = []
        self.filled: dict[str, bool] = {}
        self.attributes: list[tuple[str, str]] = []

    def _inside(self) -> None:
        for _tag, ident in self.open:
            if ident is not None:
                self.filled[ident] = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._inside()
        given = dict(attrs)
        self.attributes += [(tag, name) for name in ("style", "lang") if name in given]
        ident = given.get("id")
        if ident is not None:
            self.filled.setdefault(ident, False)
        if tag not in self.VOID:
            self.open.append((tag, ident))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if data.strip():
            self._inside()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_letters_anchor_is_an_empty_element_so_the_letters_of_a_batch_share_their_styles(
    kind: str,
) -> None:
    # WeasyPrint turns an element's id (and its style and lang attributes) into a
    # declaration of that element alone: its descendants could share no computed style with
    # the other letters of the batch, and each letter's ~600 elements were styled anew.
    parsed = _Elements()
    parsed.feed(LetterRenderer().section(document(kind), index=7))

    assert parsed.filled == {"letter-7": False}
    assert parsed.attributes == []


def _documents(count: int, start: int) -> list[LetterDocument]:
    base = document("approval_notice")
    return [
        replace(
            base,
            number=f"400.9/{start + n}/Dinsos/2026",
            recipient_name=f"Siti Aminah {start + n}",
            recipient_lines=("Desa Liang, Kota Bangun",),
            verify_url=f"https://berdaya.example/verify/code{start + n}",
        )
        for n in range(count)
    ]


def _batch_in_worker(tasks: list[worker.Task]) -> tuple[int, bool, int, int]:
    """Run in the pool's worker: a batch, then what the worker's collector holds."""
    done = worker.render_batch(tasks)
    return len(done), gc.isenabled(), gc.get_freeze_count(), len(gc.get_objects())


def test_a_render_workers_collector_is_back_on_after_each_batch_and_its_memory_does_not_grow(
    tmp_path: Path,
) -> None:
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        max_workers=1,
        mp_context=context,
        initializer=worker._init_worker,
        initargs=(str(tmp_path),),
    ) as pool:
        results = []
        for start in range(0, 12, 4):
            tasks = [
                (100 + start + n, f"2026/letter-{start + n}.pdf", doc)
                for n, doc in enumerate(_documents(4, start))
            ]
            results.append(pool.submit(_batch_in_worker, tasks).result(timeout=300))

    assert [rendered for rendered, *_ in results] == [4, 4, 4]
    assert all(enabled for _, enabled, _, _ in results)
    assert all(frozen > 0 for _, _, frozen, _ in results)  # what it loaded once is frozen
    tracked = [objects for *_, objects in results]
    # after the first batch (caches of fonts and glyphs filled), nothing piles up
    assert max(tracked[1:]) <= tracked[0] * 1.05, tracked
    assert len(list(tmp_path.rglob("*.pdf"))) == 12


def _initialised_in(directory: str) -> None:
    """A pool initialiser that leaves a file named after its process."""
    Path(directory, f"worker-{os.getpid()}").touch()


def test_the_render_workers_are_started_while_the_caller_goes_on_with_its_claim(
    tmp_path: Path,
) -> None:
    # The pool's processes start (forkserver, initialiser) in a thread of their own while
    # the caller claims and reads its first letters, not after it submits its first batch.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        max_workers=2, mp_context=context, initializer=_initialised_in, initargs=(str(tmp_path),)
    ) as pool:
        with bulk.workers_started(pool, 2):
            pass  # the caller's claim; it submits no batch
        started = sorted(p.name for p in tmp_path.iterdir())

    assert 1 <= len(started) <= 2, started  # the second starts unless the first is idle first
    assert not any(t.name == "berdaya-letter-workers" for t in threading.enumerate())


def test_starting_workers_ahead_does_nothing_without_a_pool_of_processes(tmp_path: Path) -> None:
    pool = bulk._InProcess(str(tmp_path))

    with bulk.workers_started(pool, 1):
        starting = [t for t in threading.enumerate() if t.name == "berdaya-letter-workers"]

    assert starting == []
    assert not any(t.name == "berdaya-letter-workers" for t in threading.enumerate())


@given(
    count=st.integers(min_value=0, max_value=5_000),
    batch=st.integers(min_value=1, max_value=200),
    workers=st.integers(min_value=1, max_value=16),
)
def test_claims_cover_every_letter_once_in_order_a_batch_for_each_worker_first(
    count: int, batch: int, workers: int
) -> None:
    chunks = list(bulk.claim_chunks(count, batch, workers))

    covered = [n for start, end in chunks for n in range(start, end)]
    assert covered == list(range(count))
    assert all(end - start <= batch for start, end in chunks[:workers])
    assert all(end - start <= batch * workers * 2 for start, end in chunks)
    assert len(chunks) <= workers + -(-count // (batch * workers * 2))


def test_a_render_worker_loads_no_database_code() -> None:
    # The forkserver preloads what the workers need; without SQLAlchemy and the models it
    # starts in about half the time (each fresh `flask letters render` pays for it once).
    probe = (
        "import sys, casework.letters.worker;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy', 'flask'}"
        " or m.startswith(('casework.models', 'casework.services'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )

    assert out.stdout.strip() == "[]"
