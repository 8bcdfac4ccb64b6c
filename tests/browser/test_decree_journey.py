"""From pokir review to the recipient's letter: the manager approves a recommended WRSE case
funded by a pokir line in the APBD, fixes it in a decree (SK), issues the decree (which
issues the approval letter), downloads the letter, follows its QR code to the public
verification page, and the recipient finds the letter on the status page on her phone."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import App

SIGNATORY_NIP = "197001011995031001"


def test_an_approved_case_is_decreed_and_its_letter_verifies_from_its_qr_code(
    ui: App,
    page: Page,
    phone: Page,
    journeys: dict[str, Any],
    server_url: str,
    server_instance: Path,
    tmp_path: Path,
) -> None:
    case = journeys["decree_case"]
    ui.login("kabid")
    ui.open_case(case["number"])
    ui.fire("send_to_pokir_review")
    ui.fire("approve")
    assert ui.state() == "approved"

    draft_decree(ui, case["number"])
    page.locator("form.issue-form button[type=submit]").click()
    expect(page.locator(".decree-status")).to_have_attribute("data-status", "issued")
    expect(page.locator("h4").first).to_contain_text("SK")
    ui.check_accessibility("issued decree page")
    ui.screenshot("10-decree-issued")

    ui.open_case(case["number"])
    assert ui.state() == "decreed"
    letter_row = page.locator("#letters tr.letter[data-kind='approval_notice']")
    wait_until_rendered(page, letter_row, server_instance / "server.log")
    expect(letter_row.locator(".badge")).to_have_text(re.compile("Sah|Valid"))
    letter_row.scroll_into_view_if_needed()
    ui.screenshot("11-case-decreed-letter")
    with page.expect_download() as download:
        letter_row.locator("a.letter-download").click()
    pdf = tmp_path / "letter.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert case["recipient"] in pdf_text(pdf)

    verify_url = qr_url(pdf, tmp_path)
    assert verify_url.startswith(server_url + "/verify/"), verify_url
    page.goto(verify_url)
    expect(page.locator("#letter-status")).to_have_attribute("data-status", "valid")
    expect(page.locator(".recipient")).to_have_text(case["recipient"])
    ui.check_accessibility("letter verification page")
    ui.screenshot("12-letter-verified")

    on_the_phone = App(phone, server_url)
    on_the_phone.goto("/status/")
    phone.get_by_label("Nomor permohonan").fill(case["number"])
    phone.get_by_label("Tanggal lahir").fill(case["birth_date"])
    phone.get_by_role("button", name="Tampilkan status").click()
    expect(phone.locator(".current-step")).to_have_attribute("data-state", "decreed")
    letter_link = phone.locator(".letter-list a").first
    expect(letter_link).to_have_attribute("href", verify_url.removeprefix(server_url))
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    phone.locator(".letters").scroll_into_view_if_needed()
    on_the_phone.screenshot("13-status-decreed-letter-phone")
    letter_link.click()
    expect(phone.locator("#letter-status")).to_have_attribute("data-status", "valid")


def wait_until_rendered(
    page: Page, letter_row: Locator, server_log: Path, seconds: float = 60
) -> None:
    """Reload the page until the letter's PDF is ready: letters render after the response
    that issued them went out (web/verify.py), so the next page may still say pending."""
    deadline = time.monotonic() + seconds
    while "badge-success" not in (letter_row.locator(".badge").get_attribute("class") or ""):
        assert time.monotonic() < deadline, (
            "the letter was never rendered; the end of the server's log:\n"
            + server_log.read_text(errors="replace")[-6000:]
        )
        page.wait_for_timeout(250)
        page.reload()


def draft_decree(ui: App, number: str) -> None:
    """A WRSE decree of this year drafted in the admin, with the case listed on it."""
    page = ui.page
    ui.goto("/admin/decree/new/")
    ui.select_starting_with("#program", "WRSE")
    page.locator("#title").fill(
        "Penetapan Penerima Bantuan Usaha Ekonomi Produktif bagi Wanita Rawan Sosial Ekonomi"
    )
    page.locator("#signatory_name").fill("Nama Pejabat Contoh, S.Sos., M.Si.")
    page.locator("#signatory_position").fill("Kepala Dinas Sosial Provinsi Kalimantan Timur")
    page.locator("#signatory_nip").fill(SIGNATORY_NIP)
    page.locator("#considerations").fill(
        "bahwa untuk memberdayakan perempuan rawan sosial ekonomi perlu bantuan usaha"
    )
    page.locator("#legal_basis").fill(
        "Undang-Undang Nomor 11 Tahun 2009 tentang Kesejahteraan Sosial"
    )
    page.locator("input[type=submit]").first.click()
    expect(page.locator(".decree-status")).to_have_attribute("data-status", "draft")
    cases = page.locator("form.add-cases-form select[name=case_ids]")
    labels = cases.locator("option").all_inner_texts()
    cases.select_option(label=next(label for label in labels if label.startswith(number)))
    page.locator("form.add-cases-form button[type=submit]").click()
    expect(page.locator("table.decree-entries tbody")).to_contain_text(number)
    ui.check_accessibility("decree page")
    ui.screenshot("09-decree-draft")


def pdf_text(pdf: Path) -> str:
    """The text of a PDF as poppler's pdftotext reads it."""
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def qr_url(pdf: Path, folder: Path) -> str:
    """The URL in the QR code on the PDF's first page (pdftoppm renders it, zbarimg reads it)."""
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(pdf), str(folder / "page")],
        check=True,
    )
    image = next(folder.glob("page*.png"))
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert decoded, "no QR code found on the letter's first page"
    return decoded.splitlines()[0]
