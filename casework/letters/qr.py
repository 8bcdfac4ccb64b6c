"""QR codes for the verify link, as inline SVG data URIs (no temporary files)."""

from __future__ import annotations

import segno


def qr_data_uri(url: str) -> str:
    """An SVG data URI of a QR code (error correction M) encoding ``url``."""
    return str(segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=2))
