"""Letters are laid out with their own user-agent stylesheet (templates/letters/ua.css: the
rules of WeasyPrint's html5_ua.css for the elements letters use), a tenth faster than with
WeasyPrint's whole one. That holds only while it changes nothing: every page of every kind
and branch must draw exactly what WeasyPrint's own stylesheet draws."""

from __future__ import annotations

import shutil
from functools import cached_property
from pathlib import Path

import pytest
from weasyprint import CSS
from weasyprint.html import UA_STYLESHEET

from casework.letters.pdfsplit import BatchPdf
from casework.letters.render import LetterDocument, LetterRenderer
from tests.letters.test_parsing import _variants

VARIANTS = _variants()


class _WeasyPrintDefaults(LetterRenderer):
    """The renderer as it would be with WeasyPrint's own user-agent stylesheet."""

    @cached_property
    def user_agent(self) -> CSS:
        return UA_STYLESHEET


def _page_drawings(renderer: LetterRenderer, documents: list[LetterDocument]) -> list[bytes]:
    """What each page of the letters laid out together draws: its content stream, as
    WeasyPrint writes it (text, rules, images, at their positions)."""
    batch = BatchPdf(bytes(renderer.layout(documents).write_pdf(uncompressed_pdf=True)))
    return [batch._contents(page) for page in batch.pages]


@pytest.fixture(scope="module")
def ours_and_weasyprints() -> tuple[list[bytes], list[bytes]]:
    documents = [document for _, document in VARIANTS]
    return (
        _page_drawings(LetterRenderer(), documents),
        _page_drawings(_WeasyPrintDefaults(), documents),
    )


def test_every_page_of_every_kind_draws_exactly_what_weasyprints_own_stylesheet_draws(
    ours_and_weasyprints: tuple[list[bytes], list[bytes]],
) -> None:
    ours, weasyprints = ours_and_weasyprints
    assert len(ours) == len(weasyprints) > len(VARIANTS), "the same pages, some letters long"
    differing = [n for n, (a, b) in enumerate(zip(ours, weasyprints, strict=True)) if a != b]
    assert differing == []


def test_a_rule_left_out_of_the_letters_stylesheet_would_be_seen(
    ours_and_weasyprints: tuple[list[bytes], list[bytes]],
) -> None:
    """The comparison above is sharp enough: without the user-agent rule that makes a
    table's cells bold headers and pads them, the same letters draw differently."""

    class _Missing(LetterRenderer):
        @cached_property
        def user_agent(self) -> CSS:
            css = (self.directory / "ua.css").read_text(encoding="utf-8")
            return CSS(string=css.replace("td, th { padding: 1px }", ""))

    _, weasyprints = ours_and_weasyprints
    documents = [document for _, document in VARIANTS]
    assert _page_drawings(_Missing(), documents) != weasyprints


def test_the_user_agent_stylesheet_is_part_of_each_letters_template_version(
    tmp_path: Path,
) -> None:
    renderer = LetterRenderer()
    kind = VARIANTS[0][1].kind
    version = renderer.template_version(kind)
    copy = tmp_path / "letters"
    shutil.copytree(renderer.directory, copy)
    (copy / "ua.css").write_text("/* changed */\n", encoding="utf-8")
    assert LetterRenderer(copy).template_version(kind) != version
