"""The render workers' side of bulk letters (casework/letters/bulk.py has the parent's).

A worker imports only this, the renderer and the store (WeasyPrint, Jinja, pypdf; no
database, no models): the forkserver that starts the workers preloads it in about half a
second, where the whole of bulk.py, with SQLAlchemy and the models, took about one.

Each worker loads the templates, the stylesheet and the fonts ONCE (its initialiser), lays
a batch of letters out in one WeasyPrint document written as ONE PDF (fonts subset once),
splits it per letter with pypdf (``split_batch``), and writes each file once (temporary
file, then an atomic link that never replaces a file).
"""

from __future__ import annotations

import gc
import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject

from casework.letters.render import LetterDocument, LetterRenderer, split_pages
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
            pdfs = render_alone(renderer, documents)  # not laid out together again
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
