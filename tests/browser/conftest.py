"""Browser tests: Playwright for Python driving Debian's Chromium against a real server.

The server (tests/browser/server.py) runs in its own process on a migrated, seeded
database: a SQLite file, or a database of its own on the PostgreSQL server named by
BERDAYA_TEST_DATABASE (created here, dropped at the end), so it never touches the
rolled-back fixtures of the other tests.

Every test here is marked ``browser``. They are skipped, with the reason, only when
/usr/bin/chromium is missing on a developer machine; under CI (env CI set) a missing
Chromium fails them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlalchemy.engine import make_url

from tests.browser.pages import App
from tests.browser.seeds import FACTS_FILE
from tests.database_support import admin_execute

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_SECONDS = 120


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium against a running server")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium package")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium to run the browser tests)")


@pytest.fixture(scope="session")
def server_instance() -> Iterator[Path]:
    """The server's instance directory (uploads, log, SQLite file), outside pytest's
    rotating temporary directories."""
    with tempfile.TemporaryDirectory(prefix="berdaya-browser-") as directory:
        yield Path(directory)


@pytest.fixture(scope="session")
def browser_database(server_instance: Path) -> Iterator[str]:
    choice = os.environ.get("BERDAYA_TEST_DATABASE", "sqlite")
    if choice == "sqlite":
        yield f"sqlite:///{server_instance / 'berdaya.sqlite3'}"
        return
    base = make_url(choice)
    name = f"{base.database}_browser_{os.getpid()}"
    admin_execute(choice, f'DROP DATABASE IF EXISTS "{name}"')
    admin_execute(choice, f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        admin_execute(choice, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def server_url(browser_database: str, server_instance: Path) -> Iterator[str]:
    _require_chromium()
    instance = server_instance
    log = (instance / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.browser.server", browser_database, str(instance)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "BERDAYA_ENV": "test"},
    )
    assert process.stdout is not None and process.stdin is not None
    port = process.stdout.readline().strip()
    if not port.isdigit():
        process.kill()
        log.close()
        pytest.fail(
            "the browser-test server did not start:\n" + (instance / "server.log").read_text()
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stdin.close()
        process.stdout.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def journeys(server_url: str, server_instance: Path) -> dict[str, Any]:
    """The facts of the records seeded for the journeys (tests/browser/seeds.py)."""
    facts: dict[str, Any] = json.loads((server_instance / FACTS_FILE).read_text())
    return facts


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    _require_chromium()
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture()
def phone(browser: Browser) -> Iterator[Page]:
    """An iPhone-sized screen (390x844, touch, mobile user agent)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture()
def ui(server_url: str, page: Page) -> App:
    return App(page, server_url)
