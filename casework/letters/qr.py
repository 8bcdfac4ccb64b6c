"""QR codes for the verify link, as PNG data URIs of one pixel per module (no temporary files).

The symbol is encoded by zxing-cpp (the C++ ZXing library's encoder: error correction M, the
smallest version that holds the link, the mask of lowest penalty as the QR standard asks,
chosen among all eight in C++, about 0.6 ms where segno's pure Python took 4.6-6.6 ms). A quiet
zone of 2 modules is added around it; the letter scales the image to 2.5 cm with
``image-rendering: pixelated`` (no smoothing, so the modules stay sharp at any resolution).
A PNG of a few hundred bytes costs WeasyPrint far less to lay out and draw than an SVG path
of every module (measured: about 7 ms a letter).
"""

from __future__ import annotations

import base64
import io

import zxingcpp
from PIL import Image, ImageOps

QUIET_ZONE = 2
"""Modules of white around the symbol (the page's white margin adds to it)."""


def qr_png(text: str) -> bytes:
    """A PNG of the QR code of ``text``: one pixel per module, black on white, in 8-bit grey
    (WeasyPrint takes such a PNG as it is; a 1-bit one it converts to RGB and encodes again:
    0.65 against 0.9 ms a code)."""
    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = zxingcpp.write_barcode_to_image(symbol, scale=1, add_quiet_zones=False)
    height, width = modules.shape
    image = Image.frombuffer("L", (width, height), modules, "raw", "L", 0, 1)
    image = ImageOps.expand(image, border=QUIET_ZONE, fill=255)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def qr_data_uri(url: str) -> str:
    """A PNG data URI of the QR code of ``url``."""
    return "data:image/png;base64," + base64.b64encode(qr_png(url)).decode("ascii")
