"""The splitter that cuts a batch's PDF into one PDF per letter (casework/letters/pdfsplit.py):
its files are well-formed PDFs a strict reader opens, references are rewritten only outside
strings, and a PDF it was not made for is refused before any letter is cut from it."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from casework.letters.pdfsplit import BatchPdf, PdfSplitError, references, renumbered
from casework.letters.render import LetterRenderer, split_pages
from casework.letters.snapshots import document


@pytest.fixture(scope="module")
def batch() -> tuple[bytes, list[int]]:
    """Three approval notices laid out together, written uncompressed; pages per letter."""
    base = document("approval_notice")
    documents = [
        replace(base, number=f"400.9/{n}/Dinsos/2026", recipient_name=f"Penerima {n}",
                verify_url=f"https://berdaya.example/verify/kode{n}")
        for n in range(1, 4)
    ]  # fmt: skip
    laid_out = LetterRenderer().layout(documents)
    groups = split_pages(laid_out, len(documents))
    return bytes(laid_out.write_pdf(uncompressed_pdf=True)), [len(g) for g in groups]


def test_each_letter_is_a_pdf_a_strict_reader_opens_without_a_warning(
    batch: tuple[bytes, list[int]],
) -> None:
    data, counts = batch
    pdf = BatchPdf(data)
    first = 0
    for n, count in enumerate(counts, start=1):
        letter = pdf.letter(first, count, title=f"400.9/{n}/Dinsos/2026")
        first += count
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            reader = PdfReader(io.BytesIO(letter), strict=True)
            assert len(reader.pages) == count
            assert reader.metadata is not None
            assert reader.metadata.title == f"400.9/{n}/Dinsos/2026"
            assert f"Penerima {n}" in reader.pages[0].extract_text()
        # every entry of the cross-reference table points at its object
        table = letter[letter.rindex(b"xref\n") :]
        offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", table)]
        for number, offset in enumerate(offsets, start=1):
            assert letter.startswith(b"%d 0 obj\n" % number, offset)


def test_streams_are_compressed_and_fonts_compressed_once_for_the_whole_batch(
    batch: tuple[bytes, list[int]],
) -> None:
    data, counts = batch
    pdf = BatchPdf(data)
    letters = [pdf.letter(n, 1) for n in range(len(counts))]
    for letter in letters:
        streams = [o for o in BatchPdf(letter).objects.values() if o.stream is not None]
        assert streams and all(b"/Filter" in o.head for o in streams)
    fonts = [n for n, o in pdf.objects.items() if b"/Length1" in o.head]
    assert fonts and all(pdf._packed[n] is pdf._packed_object(n) for n in fonts)


def test_a_title_outside_ascii_is_written_as_a_unicode_string(
    batch: tuple[bytes, list[int]],
) -> None:
    data, _ = batch
    letter = BatchPdf(data).letter(0, 1, title="Surat (perubahan) ke-2 \\ Déc")
    metadata = PdfReader(io.BytesIO(letter)).metadata
    assert metadata is not None and metadata.title == "Surat (perubahan) ke-2 \\ Déc"


def test_a_compressed_pdf_is_refused() -> None:
    compressed = LetterRenderer().render(document("approval_notice"))
    with pytest.raises(PdfSplitError, match="cross-reference"):
        BatchPdf(compressed)


def test_a_stream_whose_length_is_wrong_is_refused(batch: tuple[bytes, list[int]]) -> None:
    data, _ = batch
    match = re.search(rb"<</Length (\d+)>>\nstream\n", data)
    assert match is not None
    wrong = b"<</Length %d>>" % (int(match.group(1)) - 1)
    broken = data[: match.start()] + wrong.ljust(len(match.group(0)) - 8) + data[match.end() - 8 :]
    with pytest.raises(PdfSplitError, match="not as long as its /Length"):
        BatchPdf(broken)


def test_pages_that_are_not_in_the_batch_are_refused(batch: tuple[bytes, list[int]]) -> None:
    data, counts = batch
    with pytest.raises(PdfSplitError, match="no pages"):
        BatchPdf(data).letter(sum(counts), 1)


_NAME = st.from_regex(r"/[A-Za-z][A-Za-z0-9]{0,6}", fullmatch=True)
_TEXT = st.lists(
    st.one_of(
        st.text(alphabet="0R ()\\abc123\n", max_size=8),
        st.builds("{} 0 R".format, st.integers(1, 99)),
    ),
    max_size=4,
).map(" ".join)
"""What a string may hold: parentheses, backslashes, and what looks like a reference."""


def _literal(text: str) -> bytes:
    return b"(" + re.sub(rb"([\\()])", rb"\\\1", text.encode()) + b")"


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("ref"), st.integers(1, 999)),
            st.tuples(st.just("string"), _TEXT),
            st.tuples(st.just("name"), _NAME),
            st.tuples(st.just("number"), st.integers(0, 9999)),
        ),
        max_size=12,
    )
)
def test_references_are_found_and_renumbered_outside_strings_only(
    tokens: list[tuple[str, object]],
) -> None:
    parts, refs = [], []
    for kind, value in tokens:
        if kind == "ref":
            parts.append(b"%d 0 R" % value)  # type: ignore[str-bytes-safe]
            refs.append(value)
        elif kind == "string":
            parts.append(_literal(str(value)))
        elif kind == "name":
            parts.append(str(value).encode())
        else:
            parts.append(b"%d" % value)  # type: ignore[str-bytes-safe]
    head = b"<<" + b" ".join(parts) + b">>"
    assert references(head) == refs, "each reference, in order, and none inside a string"
    rewritten = renumbered(head, {n: n + 1000 for n in refs})
    assert references(rewritten) == [n + 1000 for n in refs]
    assert re.findall(rb"\((?:\\.|[^\\()])*\)", rewritten) == re.findall(
        rb"\((?:\\.|[^\\()])*\)", head
    ), "strings are left as they were"
