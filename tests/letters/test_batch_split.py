"""A batch of letters laid out in one WeasyPrint document and split per letter: each letter's
PDF is one page with its own text and its own QR code, and nothing of the other letters."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from pypdf import PdfReader

from casework.letters.bulk import split_batch
from casework.letters.render import LetterRenderer
from casework.letters.snapshots import document
from tests.letters.conftest import pdf_text, qr_payloads

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
    pdfs = split_batch(LetterRenderer(), documents)

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
