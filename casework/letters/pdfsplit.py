"""One PDF per letter out of the PDF of a batch of letters, without a PDF library.

A render worker lays 50 letters out in one WeasyPrint document and writes it as ONE PDF
(the fonts subset once for all), then needs each letter's pages as a PDF of its own.
pypdf did that by cloning each page's object tree into a writer of its own and writing it
again object by object: 2.4 ms a letter, more than the rest of writing the batch's PDF.

Here the batch is written uncompressed (``uncompressed_pdf``: every object plain in the
file, found through its cross-reference table), and each letter's file is put together
from the bytes of the objects its pages reach: its page objects and content streams, the
fonts, their widths and ToUnicode maps, and only the images its pages draw (WeasyPrint
gives every page of a document one resource dictionary naming the images of all of them:
each letter's QR code). Objects are numbered again from 1, references rewritten, and each
stream without a filter compressed once for the whole batch (the fonts are the same for
every letter). Each letter also gets the catalog's language and a title, its number, as a
letter rendered alone has.

Only what WeasyPrint (pydyf) writes uncompressed is read: a classic cross-reference table,
direct stream lengths, a page tree of one level. Anything else is refused with
``PdfSplitError`` before a file is made (the caller then renders the letters one by one):
the checks are strict because a wrong split would be a letter with another's page.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

COMPRESSION = 6
"""zlib level for the streams written here. Measured on a batch of 50 letters, a letter's
split took 1.2 ms at 6, 2.3 ms at 9 (WeasyPrint's level; files 0.3% smaller) and 1.0 ms at
1 (files 6% larger)."""

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_OBJ = re.compile(rb"(\d+) 0 obj\n")
_STRING = re.compile(rb"\((?:\\.|[^\\()])*\)", re.S)
_REF = re.compile(rb"(?<![\w.])(\d+) 0 R\b")
_DRAWN = re.compile(rb"(/[^\s/<>\[\]()]+)\s+Do\b")
_LENGTH = re.compile(rb"/Length (\d+)(?![\d.])")
_STREAM = b">>\nstream\n"
_ENDSTREAM = b"\nendstream\nendobj\n"
_ENDOBJ = b"\nendobj\n"


class PdfSplitError(ValueError):
    """The batch's PDF is not what the splitter reads (see the module's docstring)."""


@dataclass(frozen=True)
class _Object:
    head: bytes
    """The object without its stream: the dictionary (or other value)."""
    stream: bytes | None


def _outside_strings(head: bytes) -> list[tuple[bool, bytes]]:
    """``head`` cut into (is a string literal, bytes) parts, so that references are looked
    for, and rewritten, only outside strings."""
    parts: list[tuple[bool, bytes]] = []
    last = 0
    for match in _STRING.finditer(head):
        parts.append((False, head[last : match.start()]))
        parts.append((True, match.group(0)))
        last = match.end()
    parts.append((False, head[last:]))
    return parts


def references(head: bytes) -> list[int]:
    """The object numbers ``head`` refers to, in order."""
    return [
        int(number)
        for is_string, part in _outside_strings(head)
        if not is_string
        for number in _REF.findall(part)
    ]


def renumbered(head: bytes, numbers: dict[int, int]) -> bytes:
    """``head`` with each reference ``n 0 R`` made ``numbers[n] 0 R``."""

    def new(match: re.Match[bytes]) -> bytes:
        return b"%d 0 R" % numbers[int(match.group(1))]

    return b"".join(
        part if is_string else _REF.sub(new, part) for is_string, part in _outside_strings(head)
    )


def _value(head: bytes, key: bytes) -> bytes | None:
    """The reference or name that ``key`` maps to at the top of ``head`` (None if absent)."""
    match = re.search(rb"/" + key + rb" (\d+ 0 R|/[^\s/<>\[\]()]+)", head)
    return match.group(1) if match else None


def _ref(head: bytes, key: bytes) -> int:
    value = _value(head, key)
    if value is None or not value.endswith(b" 0 R"):
        raise PdfSplitError(f"/{key.decode()} is not a reference")
    return int(value.split()[0])


class BatchPdf:
    """The objects of a batch's uncompressed PDF, and each letter's PDF made from them."""

    def __init__(self, data: bytes, level: int = COMPRESSION) -> None:
        self.data = data
        self.level = level
        self.header = data[: data.find(b"\n", data.find(b"\n") + 1) + 1]
        if not self.header.startswith(b"%PDF-"):
            raise PdfSplitError("not a PDF")
        self.objects = self._read_objects()
        self._packed: dict[int, _Object] = {}
        trailer = data[data.rindex(b"trailer") :]
        self.info = self.objects[_ref(trailer, b"Info")].head if b"/Info" in trailer else b""
        self.root = _ref(trailer, b"Root")
        catalog = self.objects[self.root].head
        self.language = self._string(catalog, b"Lang")
        self.producer = self._string(self.info, b"Producer")
        self.tree = _ref(catalog, b"Pages")
        tree = self.objects[self.tree].head
        kids = re.search(rb"/Kids \[([^\]]*)\]", tree)
        if kids is None:
            raise PdfSplitError("no /Kids in the page tree")
        self.pages = references(kids.group(1))
        for number in self.pages:
            if _value(self.objects[number].head, b"Type") != b"/Page":
                raise PdfSplitError(f"object {number} of the page tree is not a page")

    def _read_objects(self) -> dict[int, _Object]:
        data = self.data
        end = _STARTXREF.search(data[-64:])
        if end is None:
            raise PdfSplitError("no startxref at the end")
        xref = int(end.group(1))
        head = re.compile(rb"xref\n0 (\d+)\n").match(data, xref)
        if head is None:
            raise PdfSplitError("no classic cross-reference table (a compressed PDF?)")
        count = int(head.group(1))
        table = data[head.end() : head.end() + 20 * count]
        offsets: dict[int, int] = {}
        for number in range(1, count):
            entry = table[20 * number : 20 * number + 20]
            if entry[17:18] != b"n":
                raise PdfSplitError(f"object {number} is not in use")
            offsets[number] = int(entry[:10])
        ends = dict(pairwise([*sorted(offsets.values()), xref]))
        return {number: self._object(number, at, ends[at]) for number, at in offsets.items()}

    def _object(self, number: int, start: int, end: int) -> _Object:
        data = self.data
        match = _OBJ.match(data, start)
        if match is None or int(match.group(1)) != number:
            raise PdfSplitError(f"object {number} is not where the table says")
        body = match.end()
        split = data.find(_STREAM, body, end)
        if split < 0:
            if data[end - len(_ENDOBJ) : end] != _ENDOBJ:
                raise PdfSplitError(f"object {number} does not end with endobj")
            return _Object(data[body : end - len(_ENDOBJ)], None)
        head = data[body : split + 2]
        length = _LENGTH.search(head)
        if length is None:
            raise PdfSplitError(f"stream {number} has no direct /Length")
        first = split + len(_STREAM)
        last = first + int(length.group(1))
        if data[last:end] != _ENDSTREAM:
            raise PdfSplitError(f"stream {number} is not as long as its /Length")
        return _Object(head, data[first:last])

    @staticmethod
    def _string(head: bytes, key: bytes) -> bytes | None:
        match = re.search(rb"/" + key + rb" (" + _STRING.pattern + rb"|<[0-9a-fA-F]*>)", head)
        return match.group(1) if match else None

    def _packed_object(self, number: int) -> _Object:
        """The object as a letter's file carries it: a stream without a filter compressed
        (once for the batch: the fonts are the same in every letter)."""
        packed = self._packed.get(number)
        if packed is None:
            packed = self.objects[number]
            if packed.stream is not None and b"/Filter" not in packed.head:
                stream = zlib.compress(packed.stream, self.level)
                head = _LENGTH.sub(b"/Length %d/Filter /FlateDecode" % len(stream), packed.head)
                packed = _Object(head, stream)
            self._packed[number] = packed
        return packed

    def letter(self, first: int, count: int, title: str | None = None) -> bytes:
        """The PDF of the ``count`` pages from page ``first`` (0-based): one letter."""
        pages = self.pages[first : first + count]
        if len(pages) != count or count < 1:
            raise PdfSplitError(f"no pages {first}–{first + count - 1} in the batch")
        contents = {number: self._contents(number) for number in pages}
        drawn = b"".join(contents.values())
        # 1: catalog, 2: page tree, 3: document information; then what the pages reach
        numbers: dict[int, int] = {}
        order: list[int] = []
        heads: dict[int, bytes] = {}
        for number in pages:
            head = self.objects[number].head
            parent = _ref(head, b"Parent")
            head = head.replace(b"/Parent %d 0 R" % parent, b"/Parent 0 0 R")
            resources = _ref(head, b"Resources")
            heads[number] = head
            heads.setdefault(resources, self._own_images(self.objects[resources].head, drawn))
        queue = list(pages)
        while queue:
            number = queue.pop(0)
            if number in numbers:
                continue
            if number not in self.objects or number in (self.root, self.tree):
                raise PdfSplitError(f"a page reaches object {number}: not there, or the root")
            numbers[number] = len(order) + 4
            order.append(number)
            head = heads.get(number, self.objects[number].head)
            queue.extend(n for n in references(head) if n not in numbers and n != 0)
        numbers[0] = 2  # the page tree, as /Parent
        kids = b" ".join(b"%d 0 R" % numbers[n] for n in pages)
        lang = b"/Lang " + self.language if self.language else b""
        info = b"/Producer " + self.producer if self.producer else b""
        if title is not None:
            info += b"/Title " + _pdf_string(title)
        objects: list[tuple[bytes, bytes | None]] = [
            (b"<</Type /Catalog/Pages 2 0 R" + lang + b">>", None),
            (b"<</Type /Pages/Kids [" + kids + b"]/Count %d>>" % count, None),
            (b"<<" + info + b">>", None),
        ]
        for number in order:
            packed = self._packed_object(number)
            head = heads.get(number, packed.head)
            if number in heads and packed.stream is not None:
                raise PdfSplitError(f"object {number} is rewritten and a stream")
            objects.append((renumbered(head, numbers), packed.stream))
        return _write(self.header, objects)

    def _contents(self, page: int) -> bytes:
        number = _ref(self.objects[page].head, b"Contents")
        stream = self.objects[number].stream
        if stream is None or b"/Filter" in self.objects[number].head:
            raise PdfSplitError(f"the content of page object {page} is not a plain stream")
        return stream

    @staticmethod
    def _own_images(resources: bytes, drawn: bytes) -> bytes:
        """The resource dictionary naming only the images that ``drawn`` draws."""
        match = re.search(rb"/XObject <<([^<>]*)>>", resources)
        if match is None:
            if b"/XObject" in resources:
                raise PdfSplitError("the images of the resources are not a plain dictionary")
            return resources
        entries = re.findall(rb"(/[^\s/<>\[\]()]+) (\d+ 0 R)", match.group(1))
        used = set(_DRAWN.findall(drawn))
        own = b"".join(name + b" " + ref for name, ref in entries if name in used)
        return resources[: match.start(1)] + own + resources[match.end(1) :]


def _pdf_string(text: str) -> bytes:
    """A PDF text string: literal when it is ASCII, UTF-16 (with its mark) otherwise."""
    if text.isascii():
        return b"(" + re.sub(rb"([\\()])", rb"\\\1", text.encode("ascii")) + b")"
    return b"<feff" + text.encode("utf-16-be").hex().encode("ascii") + b">"


def _write(header: bytes, objects: Sequence[tuple[bytes, bytes | None]]) -> bytes:
    """A PDF of ``objects`` numbered from 1, the first the catalog, the third the document
    information."""
    out = bytearray(header)
    offsets = []
    for number, (head, stream) in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number
        out += head
        if stream is not None:
            out += b"\nstream\n"
            out += stream
            out += b"\nendstream"
        out += b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R/Info 3 0 R>>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
