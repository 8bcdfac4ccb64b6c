"""Uploaded files: type checked by content, size limited, stored under random names."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from casework.errors import NotFound, field_error
from casework.i18n import N_

# Magic numbers of the accepted formats; the file name's extension is never trusted.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


def sniff_content_type(content: bytes) -> str | None:
    """The content type the bytes really are (pdf, png or jpeg), or None."""
    return next((ctype for magic, ctype, _ in _SIGNATURES if content.startswith(magic)), None)


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    content_type: str
    size_bytes: int
    sha256: str


class DocumentStore:
    """A directory outside the web root; files are written once and never overwritten."""

    def __init__(self, root: str | os.PathLike[str], max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def check(self, content: bytes, *, field: str = "file") -> str:
        """The content type of acceptable ``content``; ValidationError otherwise."""
        if not content:
            raise field_error(field, N_("The file is empty."))
        if len(content) > self.max_bytes:
            raise field_error(
                field,
                N_("The file is larger than %(mb)s MB."),
                mb=round(self.max_bytes / 1_048_576, 1),
            )
        content_type = sniff_content_type(content)
        if content_type is None:
            raise field_error(field, N_("Only PDF, JPG and PNG files are accepted."))
        return content_type

    def save(self, content: bytes, *, field: str = "file") -> StoredFile:
        """Check and store ``content`` under a new random name."""
        content_type = self.check(content, field=field)
        ext = next(e for _, c, e in _SIGNATURES if c == content_type)
        self.root.mkdir(parents=True, exist_ok=True)
        name = secrets.token_hex(16) + ext
        with open(self.root / name, "xb") as handle:
            handle.write(content)
        return StoredFile(name, content_type, len(content), hashlib.sha256(content).hexdigest())

    def path(self, stored_name: str) -> Path:
        """The path of a stored file; refuses any name that is not a plain stored name."""
        if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name[0] == ".":
            raise NotFound()
        path = self.root / stored_name
        if not path.is_file():
            raise NotFound()
        return path

    def discard(self, stored_name: str) -> None:
        """Remove a file whose database row was rolled back."""
        (self.root / stored_name).unlink(missing_ok=True)
