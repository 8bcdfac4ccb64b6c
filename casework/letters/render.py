"""PDF rendering of letters with WeasyPrint, from Jinja templates under templates/letters/.

The templates are named ``*.html.jinja``: they are documents in Indonesian by regulation
(Tata Naskah Dinas), not screens, so the screen-translation checks do not apply to them.

One ``LetterRenderer`` keeps the Jinja environment, the parsed stylesheets (letter.css, and
ua.css in place of WeasyPrint's user-agent stylesheet: see ``_LetterHTML``) and the font
configuration (Liberation Serif/Sans from fonts-liberation2, subset into each PDF), so
rendering many letters pays for them once. ``render_many`` lays many letters out in ONE
WeasyPrint document and splits its pages back into one PDF per letter: each letter starts
on a new page and carries an anchor, and is a page group of its own (letter.css), so its
pages are numbered "- 2 -", "- 3 -" from its own first page in a batch as when alone.
"""

from __future__ import annotations

import atexit
import hashlib
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import cssselect2
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration

from casework.letters.kinds import KINDS, LetterKind
from casework.letters.pdfsplit import BatchPdf
from casework.letters.qr import qr_data_uri
from casework.letters.terbilang import rupiah_figures, rupiah_in_words, terbilang

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates" / "letters"
STYLESHEET = "letter.css"
USER_AGENT = "ua.css"
ANCHOR = "letter-{}"
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")  # fmt: skip


def long_date_id(day: date) -> str:
    """``27 November 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Letterhead:
    """The settings a letter prints: kop, place, signatory and tembusan."""

    lines: tuple[str, ...]
    address: str
    contact: str
    logo_uri: str
    city: str
    signatory_position: str
    signatory_name: str
    signatory_rank: str
    signatory_nip: str
    tembusan: tuple[str, ...]


@dataclass(frozen=True)
class LetterDocument:
    """Everything one letter shows; plain values only (no ORM objects)."""

    kind: LetterKind
    number: str
    letter_date: date
    recipient_name: str
    recipient_lines: tuple[str, ...]
    verify_url: str
    head: Letterhead
    body: Mapping[str, Any] = field(default_factory=dict)


class LetterRenderer:
    """Renders letter documents to PDF bytes; reuse one instance for many letters."""

    def __init__(self, directory: Path = TEMPLATES) -> None:
        self.directory = directory
        self.env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=True,  # names and reasons are text, never markup
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            rupiah=rupiah_figures,
            rupiah_words=rupiah_in_words,
            terbilang=terbilang,
            long_date=long_date_id,
        )
        self.fonts = FontConfiguration()
        self._versions: dict[str, str] = {}

    @cached_property
    def stylesheet(self) -> CSS:
        css = (self.directory / STYLESHEET).read_text(encoding="utf-8")
        return CSS(string=css, font_config=self.fonts, base_url=str(self.directory))

    @cached_property
    def user_agent(self) -> CSS:
        """The letters' user-agent stylesheet (ua.css), in place of WeasyPrint's."""
        css = (self.directory / USER_AGENT).read_text(encoding="utf-8")
        return CSS(string=css, base_url=str(self.directory))

    def template_version(self, kind: LetterKind) -> str:
        """A short hash of everything that shapes the kind's letters: its template, the
        shared partials (``_*.html.jinja``) and the stylesheets; read once per process."""
        if kind.key not in self._versions:
            digest = hashlib.sha256()
            shared = sorted(p.name for p in self.directory.glob("_*.html.jinja"))
            for name in (kind.template, *shared, STYLESHEET, USER_AGENT):
                digest.update((self.directory / name).read_bytes())
            self._versions[kind.key] = digest.hexdigest()[:12]
        return self._versions[kind.key]

    def section(self, document: LetterDocument, index: int = 0) -> str:
        """The HTML of one letter: a <section> that starts a new page."""
        template = self.env.get_template(document.kind.template)
        return template.render(
            letter=document,
            kind=document.kind,
            head=document.head,
            body=document.body,
            anchor=ANCHOR.format(index),
            qr=Markup(qr_data_uri(document.verify_url)),
            date_text=f"{document.head.city}, {long_date_id(document.letter_date)}",
        )

    def html(self, documents: Sequence[LetterDocument]) -> str:
        """One HTML document holding every letter, each in its own section."""
        title = documents[0].number if len(documents) == 1 else "Surat"
        sections = "\n".join(self.section(d, i) for i, d in enumerate(documents))
        return (
            '<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"/>'
            f"<title>{Markup.escape(title)}</title></head><body>{sections}</body></html>"
        )

    def parsed(self, html: str) -> HTML:
        """WeasyPrint's document of ``html``.

        The letter templates write well-formed XML (void elements closed, every table row
        in a row group), so the C parser of the standard library (expat) builds the same
        tree as WeasyPrint's HTML5 parser (pure Python, 3.4 ms a letter) in a fraction of
        the time; tests/letters/test_parsing.py holds the two trees equal for every kind.
        What expat refuses (a character XML does not allow, in a name typed with one) is
        parsed as HTML, as before.
        """
        base_url = str(self.directory)
        try:
            root = ElementTree.fromstring(html)
        except ElementTree.ParseError:
            return _LetterHTML(string=html, base_url=base_url, user_agent=self.user_agent)
        # WeasyPrint's own set-up, then the tree parsed here in place of its empty one
        document = _LetterHTML(string=_EMPTY, base_url=base_url, user_agent=self.user_agent)
        document.wrapper_element = cssselect2.ElementWrapper.from_html_root(root)
        document.etree_element = document.wrapper_element.etree_element
        return document

    def layout(self, documents: Sequence[LetterDocument]) -> Document:
        """The letters laid out in one document, each from a new page."""
        return self.parsed(self.html(documents)).render(
            stylesheets=[self.stylesheet], font_config=self.fonts
        )

    def render(self, document: LetterDocument) -> bytes:
        """The PDF of one letter."""
        return bytes(self.layout([document]).write_pdf())

    def render_many(self, documents: Sequence[LetterDocument]) -> list[bytes]:
        """The PDFs of many letters: ONE layout and ONE PDF for them all (fonts subset
        once), written uncompressed and split per letter (casework/letters/pdfsplit.py). A
        letter of several pages keeps them all, numbered from its own first page (each
        letter is a page group of its own: letter.css)."""
        if len(documents) <= 1:
            return [self.render(document) for document in documents]
        laid_out = self.layout(documents)
        groups = split_pages(laid_out, len(documents))
        batch = BatchPdf(laid_out.write_pdf(uncompressed_pdf=True))
        pdfs: list[bytes] = []
        first = 0
        for document, pages in zip(documents, groups, strict=True):
            pdfs.append(batch.letter(first, len(pages), title=document.number))
            first += len(pages)
        return pdfs


def split_pages(document: Document, count: int) -> list[list[Any]]:
    """The pages of each of ``count`` letters, found by the anchor each letter starts with."""
    groups: list[list[Any]] = []
    for page in document.pages:
        if ANCHOR.format(len(groups)) in page.anchors:
            groups.append([])
        if not groups:
            raise ValueError("the first page does not start a letter")
        groups[-1].append(page)
    if len(groups) != count:
        raise ValueError(f"{count} letters laid out as {len(groups)}")
    return groups


class _LetterHTML(HTML):
    """WeasyPrint's document with the letters' user-agent stylesheet (templates/letters/
    ua.css: html5_ua.css's rules for the elements letters use) in place of its own.

    ``_ua_stylesheets`` is the method WeasyPrint's own tests override for the same purpose.
    """

    def __init__(self, *, user_agent: CSS, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user_agent = user_agent

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [self.user_agent]


_EMPTY = "<html><body></body></html>"
"""The document WeasyPrint's ``HTML`` is made with before a tree parsed here replaces it."""

_local = threading.local()


@atexit.register
def _release_renderer() -> None:
    """Drop this (the main) thread's renderer while the interpreter is whole: left to the
    interpreter's final clean-up, its Pango objects are freed after GLib and crash the
    process on exit (SIGSEGV)."""
    _local.__dict__.pop("renderer", None)


def default_renderer() -> LetterRenderer:
    """This thread's renderer (templates, stylesheet and fonts loaded once per thread:
    WeasyPrint's font configuration is not meant to be shared between threads)."""
    renderer: LetterRenderer | None = getattr(_local, "renderer", None)
    if renderer is None:
        renderer = _local.renderer = LetterRenderer()
    return renderer


def kind_named(key: str) -> LetterKind:
    """The registered kind ``key`` (KeyError when unknown)."""
    return KINDS[key]
