"""A batch of letters laid out in one WeasyPrint document and split per letter: each letter's
PDF has its own pages, text and QR code, and nothing of the other letters; a letter of
several pages is numbered from its own first page, as when it is rendered alone."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pypdf import PdfReader
from weasyprint.document import Document

from casework.letters.render import LetterDocument, LetterRenderer
from casework.letters.snapshots import document
from casework.letters.store import LetterStore
from casework.letters.worker import render_batch
from tests.letters.conftest import pdf_text, qr_payloads

PAGE_NUMBER = re.compile(r"(?m)^- ?\d+ ?-$")

NAMES = ("Siti Aminah", "Nurhayati binti Jamal", "Rusmini")


def test_each_letter_of_a_batch_carries_only_its_own_name_number_and_qr_code(
    tmp_path: Path,
) -> None:
    base = document("approval_notice")
    documents = [
        replace(
            base,
            number=f"400.9/{n + 1}/Dinsos/2026",
            recipient_name=name,
            recipient_lines=("Desa Liang, Kota Bangun",),  # one page: split from the batch
            verify_url=f"https://berdaya.example/verify/code{n}",
        )
        for n, name in enumerate(NAMES)
    ]
    pdfs = LetterRenderer().render_many(documents)

    assert len(pdfs) == len(documents)
    for n, (doc, pdf) in enumerate(zip(documents, pdfs, strict=True)):
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        assert len(reader.pages[0].images) == 1  # its QR code, not the batch's three
        path = tmp_path / f"letter-{n}.pdf"
        path.write_bytes(pdf)
        text = pdf_text(path)
        assert doc.recipient_name in text and doc.number in text
        others = [d for d in documents if d is not doc]
        assert not any(o.recipient_name in text or o.number in text for o in others)
        assert qr_payloads(path, tmp_path) == [doc.verify_url]


def _items(count: int) -> list[dict[str, object]]:
    return [
        {"name": f"Barang ke-{n}", "quantity": 1, "unit": "unit", "unit_price": 100_000,
         "subtotal": 100_000}
        for n in range(1, count + 1)
    ]  # fmt: skip


def _pages_text(pdf: bytes, path: Path) -> list[str]:
    """Each page's text as pdftotext reads it, line by line."""
    path.write_bytes(pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"],
            capture_output=True, check=True, text=True,
        ).stdout
        for n in range(1, pages + 1)
    ]  # fmt: skip


def test_letters_of_several_pages_in_a_batch_are_numbered_from_their_own_first_page(
    tmp_path: Path,
) -> None:
    """``render_many``: a render worker's batch, a small job or the letters right after a
    request (one PDF for the batch, cut by pdfsplit.py)."""
    base = document("approval_notice")
    short = ("Desa Liang, Kota Bangun",)
    documents: list[LetterDocument] = [
        replace(base, recipient_name="Satu Halaman", recipient_lines=short),
        replace(base, recipient_name="Dua Halaman", body={**base.body, "items": _items(20)}),
        replace(base, recipient_name="Tiga Halaman", body={**base.body, "items": _items(100)}),
        replace(base, recipient_name="Lagi Satu", recipient_lines=short),
    ]
    documents = [
        replace(d, number=f"400.9/{n + 1}/Dinsos/2026", verify_url=f"https://b.example/v/c{n}")
        for n, d in enumerate(documents)
    ]
    renderer = LetterRenderer()
    pdfs = renderer.render_many(documents)

    assert [len(PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs] == [1, 2, 3, 1]
    for n, (doc, pdf) in enumerate(zip(documents, pdfs, strict=True)):
        pages = _pages_text(pdf, tmp_path / f"batch-{n}.pdf")
        numbers = [PAGE_NUMBER.findall(page) for page in pages]
        assert numbers[0] == [], "a letter's first page has no number"
        assert [[f.replace(" ", "") for f in found] for found in numbers[1:]] == [
            [f"-{k}-"] for k in range(2, len(pages) + 1)
        ], "the next pages are numbered - 2 -, - 3 - at their foot"
        assert pages == _pages_text(renderer.render(doc), tmp_path / f"alone-{n}.pdf")
        others = [d.recipient_name for d in documents if d is not doc]
        assert doc.recipient_name in pages[0] and not any(o in "".join(pages) for o in others)
        reader = PdfReader(io.BytesIO(pdf))
        images = {image.data for page in reader.pages for image in page.images}
        assert len(images) == 1, "its own QR code only, none of the batch's others"


class _Flaky(LetterRenderer):
    """A renderer whose batches fail to lay out and which cannot render one letter."""

    def __init__(self, broken: str) -> None:
        super().__init__()
        self.broken = broken
        self.batches = 0

    def layout(self, documents: Sequence[LetterDocument]) -> Document:
        if len(documents) > 1:
            self.batches += 1
            raise RuntimeError("the batch cannot be laid out")
        if documents[0].number == self.broken:
            raise RuntimeError("this letter cannot be rendered")
        return super().layout(documents)


def test_a_batch_that_fails_is_rendered_letter_by_letter_once_and_a_broken_letter_stays_out(
    tmp_path: Path,
) -> None:
    base = document("approval_notice")
    documents = [replace(base, number=f"400.9/{n}/Dinsos/2026") for n in range(1, 4)]
    tasks = [(n, f"2026/letter-{n}.pdf", d) for n, d in enumerate(documents, start=1)]
    renderer = _Flaky(broken=documents[1].number)

    done = render_batch(tasks, renderer, LetterStore(tmp_path))

    assert [letter_id for letter_id, _ in done] == [1, 3]
    assert renderer.batches == 1, "the batch is not laid out a second time"
    assert sorted(p.name for p in tmp_path.rglob("*.pdf")) == ["letter-1.pdf", "letter-3.pdf"]
