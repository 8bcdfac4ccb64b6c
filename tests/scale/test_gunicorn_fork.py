"""Production's gunicorn (gunicorn.conf.py) freezes the preloaded app's objects before it
forks a worker, so the worker's garbage collections leave the pages it shares alone."""

from __future__ import annotations

import gc
import os
import runpy
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]


def test_the_master_freezes_its_objects_before_forking_a_worker() -> None:
    with mock.patch.dict(os.environ):  # the settings set the workers' environment
        settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        settings["pre_fork"](None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
