"""A render run's housekeeping: temporary files a killed writer left are removed, those a
live writer may still be writing are kept; WeasyPrint and fontTools log no routine steps."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from casework.letters.store import PARTIAL_DIR, STALE_PART_AGE, LetterStore
from casework.models.letter import Letter
from tests.letters.conftest import Render, pdf_of


def _part(store: LetterStore, name: str, age_seconds: float) -> Path:
    """A ``.part`` file as a writer leaves it, last written ``age_seconds`` ago."""
    path = store.root / PARTIAL_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.7 half a letter")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_a_render_run_removes_a_killed_writers_part_file_and_keeps_a_fresh_one(
    render: Render, letter_store: LetterStore, rejected_letter: Letter
) -> None:
    stale = _part(letter_store, "tmpkilled.part", STALE_PART_AGE.total_seconds() + 60)
    fresh = _part(letter_store, "tmpwriting.part", 5)
    assert render() >= 1
    assert pdf_of(letter_store, rejected_letter).exists()
    assert not stale.exists(), "the killed writer's file is gone"
    assert fresh.exists(), "a live writer's file is kept"
    fresh.unlink()


def test_the_store_writes_no_part_file_next_to_letters_and_leaves_none_behind(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = LetterStore(tmp_path)
    _part(store, "tmpold.part", STALE_PART_AGE.total_seconds() * 2)
    with caplog.at_level(logging.INFO, logger="berdaya.letters"):
        first = store.save("2026/00000001-v1-abcdefgh.pdf", b"%PDF-1.7 one")
        store.save("2026/00000002-v1-ijklmnop.pdf", b"%PDF-1.7 two")
    assert first.size_bytes == len(b"%PDF-1.7 one")
    assert sorted(p.name for p in (tmp_path / "2026").iterdir()) == [
        "00000001-v1-abcdefgh.pdf",
        "00000002-v1-ijklmnop.pdf",
    ]
    assert list((tmp_path / PARTIAL_DIR).iterdir()) == []
    assert caplog.text.count("removed 1 stale temporary letter files") == 1


def test_a_render_run_logs_no_routine_steps_of_weasyprint_or_fonttools(
    render: Render, rejected_letter: Letter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        assert render() >= 1
    noisy = [r for r in caplog.records if r.name.split(".")[0] in ("weasyprint", "fontTools")]
    assert [r.getMessage() for r in noisy if r.levelno < logging.WARNING] == []
