"""Where issued PDFs live: a directory (LETTER_DIR); a file is written once, never replaced.

A PDF is first written to a temporary ``*.part`` file in ``.partial/`` under the root (the
same file system, so the final ``os.link`` is atomic), then linked to its place. A process
killed in between (SIGKILL, OOM, power cut) leaves its ``.part`` file behind: each store
removes the stale ones (untouched for ``STALE_PART_AGE``, so no live writer's) before its
first write, which is at the start of every render run. Only ``.partial/`` is listed for
that, never the year directories of finished letters.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

PARTIAL_DIR = ".partial"
PART_SUFFIX = ".part"
STALE_PART_AGE = timedelta(minutes=5)
"""A ``.part`` file untouched this long has no live writer (a write takes milliseconds)."""

log = logging.getLogger("berdaya.letters")


@dataclass(frozen=True)
class StoredLetter:
    relative_path: str
    sha256: str
    size_bytes: int


class LetterStore:
    """PDF files under ``root``; ``save`` never overwrites an existing file."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._swept = False

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
        partial = self.root / PARTIAL_DIR
        if not self._swept:
            partial.mkdir(exist_ok=True)
            self.remove_stale_parts()
            self._swept = True
        handle, temporary = tempfile.mkstemp(dir=partial, suffix=PART_SUFFIX)
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

    def remove_stale_parts(self, older_than: timedelta = STALE_PART_AGE) -> int:
        """Delete the ``.part`` files a killed writer left (untouched for ``older_than``);
        return how many. A fresher one may belong to a live writer and is kept."""
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        try:
            entries = list(os.scandir(self.root / PARTIAL_DIR))
        except FileNotFoundError:
            return 0
        for entry in entries:
            if not entry.name.endswith(PART_SUFFIX):
                continue
            try:
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:  # another process removed it meanwhile
                continue
        if removed:
            log.info("removed %s stale temporary letter files from %s", removed, self.root)
        return removed

    def read(self, relative_path: str) -> bytes:
        return self.path(relative_path).read_bytes()
