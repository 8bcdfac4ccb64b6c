"""What keeps a batch of letters cheap to render, checked where it can break: the letters of a
batch share their computed styles (nothing in a letter's markup makes WeasyPrint compute
them again per letter)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from casework.letters.kinds import KINDS
from casework.letters.render import LetterRenderer
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
