"""Letters are parsed by expat (C) rather than WeasyPrint's HTML5 parser (pure Python): the
two must build the same tree from every template on every branch, or the letter would
change, and a letter expat refuses is still rendered, through the HTML5 parser."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import tinyhtml5

from casework.letters.kinds import KINDS
from casework.letters.render import LetterDocument, LetterRenderer
from casework.letters.snapshots import HEAD, decree_body, document
from tests.letters.conftest import pdf_text

LOGO = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
HOSTILE = '<script>alert("x")</script> & Sons\' "Toko" Ümit — Nur\'aini binti Abdul Rahman ' * 3


def _shape(element: Any) -> tuple[Any, ...]:
    """Everything of an element WeasyPrint reads: tag, attributes, text, children, tails."""
    return (
        element.tag,
        dict(element.attrib),
        element.text or "",
        [(_shape(child), child.tail or "") for child in element],
    )


def _changes() -> list[dict[str, Any]]:
    return [
        {"name": "Siti Aminah", "nik": "6402********0011", "change": "Diganti",
         "old_amount": 5_000_000, "new_amount": None, "reason": "Meninggal dunia"},
        {"name": "Nurhayati", "nik": "6402********0012", "change": "Nilai diubah",
         "old_amount": 5_000_000, "new_amount": 4_500_000, "reason": "Harga paket turun"},
    ]  # fmt: skip


def _variants() -> list[tuple[str, LetterDocument]]:
    bare = replace(HEAD, logo_uri=LOGO, contact="Telp. (0541) 000000", signatory_rank="",
                   tembusan=())  # fmt: skip
    many = replace(HEAD, tembusan=("Gubernur Kalimantan Timur", "Inspektorat", "Arsip"))
    variants = []
    for kind in sorted(KINDS):
        base = document(kind)
        variants += [
            (kind, base),
            (f"{kind}-logo-no-rank-no-tembusan", replace(base, head=bare)),
            (f"{kind}-three-tembusan", replace(base, head=many)),
            (
                f"{kind}-markup-in-the-name",
                replace(base, recipient_name=HOSTILE, recipient_lines=(HOSTILE,)),
            ),
        ]
    changes = {**decree_body(3), "changes": _changes()}
    variants.append(("decree-changes", replace(document("decree"), body=changes)))
    return variants


VARIANTS = _variants()


@pytest.mark.parametrize(("name", "letter"), VARIANTS, ids=[name for name, _ in VARIANTS])
def test_expat_and_the_html5_parser_build_the_same_tree_of_every_letter(
    name: str, letter: LetterDocument
) -> None:
    renderer = LetterRenderer()
    html = renderer.html([letter, letter])

    by_expat = ElementTree.fromstring(html)
    by_html5 = tinyhtml5.parse(html, namespace_html_elements=False)

    assert _shape(by_expat) == _shape(by_html5)


def test_a_letter_expat_refuses_is_parsed_as_html_and_still_printed(tmp_path: Path) -> None:
    # A form feed is text to an HTML parser and not a character XML allows.
    letter = replace(document("rejection_notice"), recipient_name="Siti\x0cAminah Binti Umar")
    renderer = LetterRenderer()
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(renderer.html([letter]))

    path = tmp_path / "letter.pdf"
    path.write_bytes(renderer.render(letter))
    text = pdf_text(path)

    assert "Aminah Binti Umar" in text
    assert letter.number in text


def test_the_parsed_tree_is_the_one_weasyprint_lays_out(tmp_path: Path) -> None:
    letter = replace(document("approval_notice"), recipient_name="Rusmini Parsed-By-Expat")
    renderer = LetterRenderer()

    parsed = renderer.parsed(renderer.html([letter]))

    path = tmp_path / "letter.pdf"
    path.write_bytes(bytes(parsed.render(stylesheets=[renderer.stylesheet]).write_pdf()))

    assert "Rusmini Parsed-By-Expat" in pdf_text(path)
