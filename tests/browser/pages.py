"""Short helpers for the browser journeys: log in, fill the admin's forms, press the
workflow buttons, check accessibility with axe-core, save screenshots.

New journeys (the decree and its letter with the QR page, the Excel import) are meant to
be a few calls of these: ``ui.login(...)``, ``ui.open_case(number)``, ``ui.fire(trigger)``,
``ui.check_accessibility(name)``, ``ui.screenshot(name)``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# Screens go to docs/screens/ only when asked (`make screens`): a test run leaves the
# committed pictures alone and writes its own under the temporary directory.
SCREENS = Path(
    os.environ.get("BERDAYA_SCREENS_DIR") or Path(tempfile.gettempdir()) / "berdaya-screens"
)
DEMO_PASSWORD = "berdaya-demo-2026"  # casework.services.demo.DEMO_PASSWORD
# A one-page PDF: what the document store accepts for an upload.
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
SERIOUS = {"serious", "critical"}
SCREEN_BYTES = 150_000  # the README shows them: keep the repository light


class App:
    """The Berdaya screens as a user drives them, in one browser page."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base = base_url

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    # --- session ------------------------------------------------------------------

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.goto("/login")
        self.page.get_by_label(re.compile("Nama pengguna|Username")).fill(username)
        self.page.get_by_label(re.compile("Kata sandi|Password")).fill(password)
        self.page.locator("form button[type=submit]").click()
        expect(self.page.locator(".current-user")).to_be_visible()

    def logout(self) -> None:
        self.page.locator("form[action$='/logout'] button").click()
        expect(self.page).to_have_url(re.compile(r"/login"))

    # --- forms --------------------------------------------------------------------

    def choose_ajax(self, field: str, search: str) -> None:
        """Pick the first match of ``search`` in a Flask-Admin ajax (select2) field."""
        self.page.locator(f"#s2id_{field}").click()
        self.page.keyboard.type(search)
        result = self.page.locator(".select2-result-selectable").first
        expect(result).to_be_visible()
        result.click()

    def register_person(self, *, nik: str, kk: str, name: str, birth: date, village: str) -> None:
        self.goto("/admin/person/new/")
        form = self.page.locator("form:has(#nik)")
        form.locator("#nik").fill(nik)
        form.locator("#kk_number").fill(kk)
        form.locator("#full_name").fill(name)
        form.locator("#sex").select_option("P")
        form.locator("#birth_place").fill("Kota Bangun")
        form.locator("#birth_date").fill(birth.isoformat())
        form.locator("#marital_status").select_option("cerai_mati")
        form.locator("#is_breadwinner").check()
        form.locator("#address").fill("Jl. Poros RT 03")
        self.choose_ajax("village", village)
        form.locator("input[type=submit]").first.click()
        self.expect_success()

    def open_new_case(self, *, program: str, applicant: str, amount: int) -> str:
        """Create a case from the case list's form; returns its number."""
        self.goto("/admin/case/new/")
        self.select_starting_with("#program", program)
        self.choose_ajax("person", applicant)
        self.page.locator("#requested_package").fill("Mesin jahit dan obras")
        self.page.locator("#requested_amount").fill(str(amount))
        self.page.locator("input[type=submit]").first.click()
        self.expect_success()
        return self.case_number()

    def select_starting_with(self, selector: str, text: str) -> None:
        """Choose the option of a <select> whose label starts with ``text``."""
        labels = self.page.locator(f"{selector} option").all_inner_texts()
        self.page.locator(selector).select_option(
            label=next(label for label in labels if label.strip().startswith(text))
        )

    def case_number(self) -> str:
        heading = self.page.locator("h4").first.inner_text()
        match = re.search(r"[A-Z]+-\d{4}-\d+", heading)
        assert match, heading
        return match.group(0)

    def expect_success(self) -> None:
        expect(self.page.locator(".alert-success").first).to_be_visible()

    # --- the case page ------------------------------------------------------------

    def open_case(self, number: str) -> None:
        self.goto(f"/admin/case/?search={number}")
        self.page.get_by_role("link", name=number).first.click()
        expect(self.page.locator(".case-state")).to_be_visible()

    def state(self) -> str:
        return str(self.page.locator(".case-state").get_attribute("data-state"))

    def upload(self, kind: str, filename: str) -> None:
        form = self.page.locator("form.document-form")
        form.locator("select[name=kind]").select_option(kind)
        form.locator("input[type=file]").set_input_files(
            {"name": filename, "mimeType": "application/pdf", "buffer": TINY_PDF}
        )
        form.locator("button[type=submit]").click()
        self.expect_success()

    def record_dtsen(self, *, decile: int, on: date) -> None:
        form = self.page.locator("form.dtsen-form")
        form.locator("select[name=status]").select_option("registered")
        form.locator("input[name=decile]").fill(str(decile))
        form.locator("select[name=source]").select_option("siks_ng")
        form.locator("input[name=checked_on]").fill(on.isoformat())
        form.locator("button[type=submit]").click()
        self.expect_success()

    def record_assessment(self, *, on: date, items: list[tuple[str, int, int]]) -> None:
        form = self.page.locator("form.assessment-form")
        form.locator("input[name=assessed_on]").fill(on.isoformat())
        form.locator("input[name=is_feasible]").check()
        form.locator("textarea[name=feasibility_notes]").fill("Usaha layak; tempat memadai.")
        for i, (name, quantity, price) in enumerate(items):
            form.locator(f"input[name='items-{i}-name']").fill(name)
            form.locator(f"input[name='items-{i}-quantity']").fill(str(quantity))
            form.locator(f"input[name='items-{i}-unit_price']").fill(str(price))
        form.locator("button[type=submit]").click()
        self.expect_success()

    def fire(self, trigger: str, reason: str | None = None) -> None:
        """Press the workflow button of ``trigger`` on the case page."""
        form = self.page.locator(f"form.transition-form[data-trigger='{trigger}']")
        if reason is not None:
            form.locator("textarea[name=reason]").fill(reason)
        form.locator("button[type=submit]").click()
        self.expect_success()

    # --- checks and pictures ------------------------------------------------------

    def check_accessibility(self, name: str) -> None:
        """axe-core on the current page: no serious or critical violation."""
        # Styles decide contrast: a check while a stylesheet is still loading (the DOM can
        # be there before) sees Bootstrap's defaults instead of Berdaya's.
        self.page.wait_for_load_state("load")
        violations = axe_violations(self.page)
        serious = [v for v in violations if v["impact"] in SERIOUS]
        assert not serious, f"axe-core found on {name}:\n" + describe(serious)

    def screenshot(self, name: str) -> Path:
        return screenshot(self.page, name)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, so the app's Content-Security-Policy
        # (script-src 'self') stays in force for the page and does not block the checker.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [json.dumps(n["target"]) for n in v["nodes"][:5]]
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} -> {', '.join(targets)}")
    return "\n".join(lines)


def screenshot(page: Page, name: str) -> Path:
    """SCREENS/<name>.png (docs/screens/ under `make screens`): the visible screen (not the
    full page) in CSS pixels, kept under SCREEN_BYTES (a 256-colour palette when the
    full-colour picture is larger)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.wait_for_load_state("load")
    page.screenshot(path=str(path), full_page=False, scale="css")
    if path.stat().st_size > SCREEN_BYTES:
        with Image.open(path) as picture:
            small = picture.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)
    return path
