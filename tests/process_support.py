"""Helpers for tests that start real processes: a free port, production's gunicorn
(gunicorn.conf.py) serving until the block ends, and a setting of ProductionConfig as a
fresh interpreter reads it from the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(log: Path, env: dict[str, str]) -> Iterator[str]:
    """gunicorn with the production settings and ``env`` (BERDAYA_*, WEB_*) on a free port,
    up once ``/healthz`` answered (200 or 503): its base URL. Stopped at the end."""
    port = free_port()
    full = {**os.environ, "WEB_BIND": f"127.0.0.1:{port}", "PYTHONPATH": str(ROOT), **env}
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env=full,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "gunicorn never answered:\n" + log.read_text()
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5).close()
                break
            except urllib.error.HTTPError:  # 503: answered (a database without the schema)
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def production_setting(name: str, **env: str) -> str:
    """``ProductionConfig.<name>`` as a fresh interpreter reads it from ``env`` (and from
    the environment without the variables ``env`` may set, BERDAYA_* of the setting)."""
    overridden = {"BERDAYA_" + name, "BERDAYA_DATABASE_URL", *env}
    clean = {k: v for k, v in os.environ.items() if k not in overridden}
    found = subprocess.run(
        [sys.executable, "-c", f"import config; print(config.ProductionConfig.{name})"],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return found.stdout.strip()
