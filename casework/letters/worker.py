"""The render workers' side of bulk letters (casework/letters/bulk.py has the parent's).

A worker imports only this, the renderer, the splitter and the store (WeasyPrint, Jinja;
no database, no models): the forkserver that starts the workers preloads it in about half a
second, where the whole of bulk.py, with SQLAlchemy and the models, took about one.

Each worker loads the templates, the stylesheet and the fonts ONCE (its initialiser), lays
a batch of letters out in one WeasyPrint document written as ONE PDF (fonts subset once),
splits it per letter (``LetterRenderer.render_many``, casework/letters/pdfsplit.py), and
writes each file once (temporary file, then an atomic link that never replaces a file).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from casework.letters.render import LetterDocument, LetterRenderer
from casework.letters.store import LetterStore, StoredLetter

log = logging.getLogger("berdaya.letters")

Task = tuple[int, str, LetterDocument]
"""(letter id, stored name, document): what a worker needs for one letter."""
Done = tuple[int, StoredLetter]

_worker: dict[str, Any] = {}


def _init_worker(store_root: str) -> None:
    """Once per worker process: templates, stylesheet and fonts loaded and parsed, then
    frozen out of the garbage collector's sight (they live as long as the worker)."""
    renderer = LetterRenderer()
    _ = renderer.stylesheet, renderer.user_agent
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
            pdfs: list[bytes | None] = list(renderer.render_many(documents))
        except Exception:
            log.exception("laying out a batch of %s letters failed", len(documents))
            pdfs = render_alone(renderer, documents)  # not laid out together again
    return [
        (letter_id, store.save(path, pdf))
        for (letter_id, path, _), pdf in zip(tasks, pdfs, strict=True)
        if pdf is not None
    ]


def _ready() -> None:
    """Nothing: a task that makes the pool start a worker (its initialiser runs first)."""


def render_each(
    renderer: LetterRenderer, documents: Sequence[LetterDocument]
) -> list[bytes | None]:
    """The PDFs of letters laid out together (one document, split), or, if that fails, one
    by one (``render_alone``)."""
    try:
        return list(renderer.render_many(documents))
    except Exception:
        log.exception(
            "rendering a batch of %s letters failed; trying them one by one", len(documents)
        )
    return render_alone(renderer, documents)


def render_alone(
    renderer: LetterRenderer, documents: Sequence[LetterDocument]
) -> list[bytes | None]:
    """The PDFs of letters rendered one by one, so that a letter that cannot be rendered
    fails alone (None)."""
    pdfs: list[bytes | None] = []
    for document in documents:
        try:
            pdfs.append(renderer.render(document))
        except Exception:
            log.exception("rendering letter %s failed; it stays pending", document.number)
            pdfs.append(None)
    return pdfs
