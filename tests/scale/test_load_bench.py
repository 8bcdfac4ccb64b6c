"""The API load benchmark (benchmarks/load.py and its wrk scripts): transitions never move a
case twice, requests carry the bearer token, errors are counted, and the figures replace
only their own part of docs/benchmarks.md."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmarks.load import (
    SUBSECTION,
    LoadResult,
    ModeFigures,
    Settings,
    WrkRun,
    parse_wrk,
    run_wrk,
    write_into_docs,
)


class Recorder(BaseHTTPRequestHandler):
    """Answers 200 to everything and remembers (method, path, authorization, body)."""

    seen: list[tuple[str, str, str, str]] = []
    lock = threading.Lock()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        with self.lock:
            self.seen.append((self.command, self.path, self.headers.get("Authorization", ""), body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[int]:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (Debian package wrk)")
    Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


SETTINGS = Settings(1, "sync", 1, 4, 2, 2, 1)
# wrk runs for its whole -d even when every thread stopped early (the tests' runs need well
# under a second), so the bound is kept short: the suite waits for it in full.
BOUND = 4


def test_transition_runs_move_every_listed_case_once_and_stop_when_they_run_out(
    server: int, tmp_path: Path
) -> None:
    ids = tmp_path / "move.txt"
    ids.write_text("".join(f"{n}\n" for n in range(1000, 1300)))

    found = run_wrk(
        "transition", server, SETTINGS, token="tok", ids=ids, seconds=BOUND, max_requests=0
    )

    posts = [(path, auth, body) for method, path, auth, body in Recorder.seen if method == "POST"]
    moved = [int(path.split("/")[4]) for path, _, _ in posts]
    # wrk calls request() once before the run to check what it returns: one id is not sent
    assert len(moved) == len(set(moved)) >= 299
    assert set(moved) <= set(range(1000, 1300))
    assert {auth for _, auth, _ in posts} == {"Bearer tok"}
    assert {json.loads(body)["trigger"] for _, _, body in posts} == {"start_verification"}
    assert found.ran_out and found.seconds < BOUND


def test_read_runs_stop_at_their_share_of_the_request_limit(server: int, tmp_path: Path) -> None:
    ids = tmp_path / "read.txt"
    ids.write_text("7\n8\n9\n")

    found = run_wrk("read", server, SETTINGS, token="tok", ids=ids, seconds=BOUND, max_requests=200)

    reads = [path for method, path, _, _ in Recorder.seen if method == "GET"]
    assert 200 <= len(reads) <= 200 + SETTINGS.connections
    assert set(reads) <= {"/api/v1/cases/7", "/api/v1/cases/8", "/api/v1/cases/9"}
    assert found.seconds < BOUND and found.errors == 0


def test_a_response_other_than_2xx_and_a_socket_error_count_as_errors() -> None:
    line = (
        "WRK_RESULT requests=100 seconds=2.000 connect=1 read=2 write=0 status=3 timeout=1"
        " non2xx=5 ranout=0 p50_ms=1.00 p90_ms=2.00 p99_ms=3.00 max_ms=4.00"
    )

    found = parse_wrk("read", "noise\n" + line + "\n")

    assert (found.rate, found.errors, found.p99_ms) == (50.0, 9, 3.0)
    assert found.detail == "connect 1 read 2 timeout 1 non2xx 5"


def test_the_figures_replace_only_the_api_part_of_the_benchmarks_page(tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text(
        "# Benchmarks\n\n## At scale\n\n### Growth\n\ngrowth table\n\n"
        f"{SUBSECTION}\n\nold figures\n\n## Later section\n\nkept\n",
        encoding="utf-8",
    )
    run = WrkRun("read", 1000, 2.0, 0, 0, "", 4.0, 9.0)
    figures = ModeFigures("read", [run], [1000.0])
    result = LoadResult(SETTINGS, 1_000_000, [figures], [5000.0], [140.0], [80.0])

    write_into_docs(result, page)

    text = page.read_text(encoding="utf-8")
    assert "old figures" not in text
    assert "read: 500 req/s" in text and "growth table" in text
    assert text.index(SUBSECTION) < text.index("## Later section") and "kept" in text


def test_a_kind_whose_run_ran_out_of_cases_does_not_meet_its_goal() -> None:
    fast = WrkRun("transition", 9_000, 20.0, 0, 0, "", p50_ms=60.0, p99_ms=80.0)
    figures = ModeFigures("transition", [fast, replace(fast, ran_out=True)], [1200.0, 1200.0])

    assert ModeFigures("transition", [fast, fast], [1200.0, 1200.0]).goal_met() is True
    assert figures.goal_met() is False
    assert "ran out of submitted cases" in figures.line()
    assert figures.line().endswith("NOT met")
