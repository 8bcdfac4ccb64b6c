"""An Excel import as a caseworker does it: download the WRSE template, fill it in (one row
with a bad NIK), upload it, read the dry-run report, fix the row, upload again, confirm,
watch the progress bar finish and find the new cases in the case list."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from casework.importing.columns import columns_for
from casework.models.program import ApplicantKind
from tests.browser.pages import App
from tests.imports.sheets import person_cells

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAD_NIK = "64020812345"  # eleven digits
FIRST = "Rusmini Impor Peramban"
SECOND = "Jumiati Impor Peramban"


def test_an_excel_import_with_a_bad_nik_is_fixed_and_imported(
    ui: App, page: Page, tmp_path: Path
) -> None:
    ui.login("pendamping")
    ui.goto("/admin/import/")
    ui.check_accessibility("import page")
    with page.expect_download() as download:
        page.locator("a[href*='program=WRSE']").click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)

    rows = applicants()
    check(page, filled(template, [rows[0] | {"nik": BAD_NIK}, rows[1]]), "pemohon.xlsx")
    report = page.locator("table.import-report tbody tr")
    expect(report).to_have_count(1)
    expect(report.locator("td").nth(0)).to_have_text("2")  # the sheet's row
    expect(report.locator("td").nth(1)).to_have_text(re.compile(r"^A — NIK"))
    expect(report.locator("td").nth(2)).to_contain_text("16")
    ui.check_accessibility("import report")
    ui.screenshot("14-import-dry-run-errors")

    page.locator("a[href$='/admin/import/']", has_text="Periksa berkas lain").click()
    check(page, filled(template, rows), "pemohon-diperbaiki.xlsx")
    expect(page.locator("table.import-report")).to_have_count(0)
    page.locator("form[action*='/confirm/'] button[type=submit]").click()
    expect(page.locator(".import-done")).to_be_visible(timeout=30_000)
    expect(page.locator(".import-cases")).to_have_text("2")
    bar = page.locator(".progress-bar")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(bar).to_have_attribute("style", re.compile(r"width: 100%"))  # import.js drew it
    ui.check_accessibility("import progress page")
    ui.screenshot("15-import-finished")

    page.locator(".import-done a").click()
    page.locator("input[name=search]").fill(SECOND)
    page.locator("input[name=search]").press("Enter")
    listed = page.locator("table.model-list tbody tr")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(re.compile(r"WRSE-\d{4}-\d+"))
    expect(listed).to_contain_text(SECOND)
    ui.screenshot("16-imported-case-in-list")


def applicants() -> list[dict[str, Any]]:
    """Two valid WRSE applicants in desa Liang that no run or demo data has used."""
    births = (date(1979, 4, 21), date(1983, 9, 2))
    return [
        person_cells(serial=7700 + i, birth_date=birth, full_name=name)
        for i, (birth, name) in enumerate(zip(births, (FIRST, SECOND), strict=True))
    ]


def filled(template: Path, rows: list[dict[str, Any]]) -> bytes:
    """The downloaded template with ``rows`` written under its headers."""
    book = load_workbook(template)
    sheet = book.worksheets[0]
    columns = columns_for(ApplicantKind.PERSON)
    headers = [cell.value for cell in sheet[1]]
    assert len(headers) == len(columns) and all(headers), headers
    for r, row in enumerate(rows, start=2):
        for c, column in enumerate(columns, start=1):
            sheet.cell(row=r, column=c, value=row.get(column.key))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def check(page: Page, content: bytes, filename: str) -> None:
    """Upload a filled-in WRSE template for its dry run."""
    form = page.locator("form[action$='/check']")
    form.locator("#program").select_option("WRSE")
    form.locator("#file").set_input_files({"name": filename, "mimeType": XLSX, "buffer": content})
    form.locator("button[type=submit]").click()
    expect(page.locator("h3")).to_contain_text(filename)
