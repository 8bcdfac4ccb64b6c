"""QR codes for the verify link, as PNG data URIs of one pixel per module (no temporary files).

The letter scales the image to 2.5 cm with ``image-rendering: pixelated`` (no smoothing, so
the modules stay sharp at any resolution). A PNG of a few hundred bytes costs WeasyPrint far
less to lay out and draw than an SVG path of every module (measured: about 7 ms a letter).
"""

from __future__ import annotations

import segno


def qr_data_uri(url: str) -> str:
    """A PNG data URI of a QR code (error correction M, quiet zone of 2 modules) of ``url``."""
    return str(segno.make(url, error="m", micro=False).png_data_uri(scale=1, border=2))
