"""Where issued PDFs live: a directory (LETTER_DIR); a file is written once, never replaced."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredLetter:
    relative_path: str
    sha256: str
    size_bytes: int


class LetterStore:
    """PDF files under ``root``; ``save`` never overwrites an existing file."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, relative_path: str) -> Path:
        """The absolute path of a stored file (ValueError for a path leaving the root)."""
        path = (self.root / relative_path).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"not under the letter directory: {relative_path}")
        return path

    def save(self, relative_path: str, content: bytes) -> StoredLetter:
        """Write ``content`` once; when the file exists already (a render that crashed after
        writing), keep the existing file and describe it instead."""
        target = self.path(relative_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temporary, target)  # atomic, and fails rather than replace a file
            except FileExistsError:
                content = target.read_bytes()
        finally:
            os.unlink(temporary)
        return StoredLetter(relative_path, hashlib.sha256(content).hexdigest(), len(content))

    def read(self, relative_path: str) -> bytes:
        return self.path(relative_path).read_bytes()
