"""Production's gunicorn (gunicorn.conf.py) logs JSON lines, with one line per request only
when WEB_ACCESS_LOG=1 asks for it (the proxy in front keeps the access log otherwise)."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.process_support import GUNICORN, gunicorn


def _serve_and_log(tmp_path: Path, access_log: str) -> list[dict[str, str]]:
    """Start gunicorn with the production settings, ask /healthz twice (once to see it is
    up), stop it: its log."""
    log = tmp_path / f"gunicorn-{access_log}.log"
    env = {
        "BERDAYA_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "BERDAYA_SECRET_KEY": "gunicorn-log-test",
        "BERDAYA_INSTANCE_DIR": str(tmp_path / "instance"),
        "WEB_WORKERS": "1",
        "WEB_ACCESS_LOG": access_log,
    }
    # 503 (the empty database has no schema) answers as well
    with gunicorn(log, env) as base, contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(f"{base}/healthz", timeout=5).close()
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _request_lines(entries: list[dict[str, str]]) -> list[dict[str, str]]:
    return [e for e in entries if e["logger"] == "gunicorn.access"]


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed in this venv")
def test_gunicorn_logs_json_lines_and_no_line_per_request_by_default(tmp_path: Path) -> None:
    entries = _serve_and_log(tmp_path, access_log="0")

    assert any(e["logger"] == "gunicorn.error" for e in entries), "gunicorn's own lines"
    assert _request_lines(entries) == []


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed in this venv")
def test_gunicorn_logs_a_json_line_per_request_when_the_access_log_is_asked_for(
    tmp_path: Path,
) -> None:
    entries = _serve_and_log(tmp_path, access_log="1")

    lines = _request_lines(entries)
    assert len(lines) == 2
    assert all('"GET /healthz HTTP/1.1"' in line["message"] for line in lines)
