"""The QR code a letter carries: whatever the link, zbar (a reader independent of the
encoder) reads it back exactly, and the symbol keeps its white quiet zone."""

from __future__ import annotations

import base64
import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from casework.letters.qr import QUIET_ZONE, qr_data_uri, qr_png

LINKS = [
    "https://berdaya.example/verify/abc",
    "https://dinsos.kaltimprov.go.id/berdaya/verify/" + "Zx9_-" * 9,
    "http://127.0.0.1:5000/verify/" + "a" * 150,
    "https://berdaya.example/verify/K0de?x=1&y=%20",
]


def _read_back(png: bytes, tmp_path: Path) -> str:
    """What zbarimg reads from the PNG scaled up 8 times (one pixel per module is too small
    for a camera-minded reader, as it is for a printed page before scaling)."""
    image = Image.open(io.BytesIO(png))
    large = image.resize((image.width * 8, image.height * 8), Image.Resampling.NEAREST)
    path = tmp_path / "qr.png"
    large.save(path)
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True,
                         text=True, check=True)  # fmt: skip
    return out.stdout.strip()


@pytest.mark.parametrize("link", LINKS, ids=lambda link: f"{len(link)}-chars")
def test_a_qr_code_reads_back_as_exactly_its_link(link: str, tmp_path: Path) -> None:
    assert _read_back(qr_png(link), tmp_path) == link


def test_a_qr_code_is_one_bit_per_module_with_a_white_quiet_zone_and_a_dark_finder_corner() -> None:
    image = Image.open(io.BytesIO(qr_png(LINKS[1]))).convert("L")
    size = image.width
    assert image.height == size
    # versions 1..40 are 21..177 modules wide, in steps of 4
    assert (size - 2 * QUIET_ZONE - 21) % 4 == 0
    border = [(x, y) for x in range(size) for y in range(size)
              if min(x, y) < QUIET_ZONE or max(x, y) >= size - QUIET_ZONE]  # fmt: skip
    assert {image.getpixel(p) for p in border} == {255}
    assert image.getpixel((QUIET_ZONE, QUIET_ZONE)) == 0  # the top-left finder pattern


def test_a_qr_data_uri_is_the_png_in_base64() -> None:
    uri = qr_data_uri(LINKS[0])
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == qr_png(LINKS[0])
