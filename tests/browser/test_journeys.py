"""Journeys through Berdaya in a real browser (Chromium), with axe-core on the main pages
and screenshots of the key screens under docs/screens/."""

from __future__ import annotations

import re
import time
from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from casework import clock
from casework.identity import build_nik
from tests.browser.pages import App, screenshot

BIRTH = date(1984, 3, 9)
KOTA_BANGUN = "64.02.08"  # kecamatan Kota Bangun, Kutai Kartanegara


def new_applicant() -> tuple[str, str, str]:
    """NIK, KK and a name no other run or demo person has."""
    serial = 9000 + int(time.time() * 1000) % 999
    nik = build_nik(district_code=KOTA_BANGUN, birth_date=BIRTH, sex="P", serial=serial)
    kk = nik[:6] + "0101" + "26" + f"{serial:04d}"
    return nik, kk, f"Nur Aisyah {serial}"


def test_a_wrse_application_goes_from_the_caseworker_through_verification_to_pokir_review(
    ui: App, page: Page
) -> None:
    today = clock.today_wita()
    ui.goto("/login")
    ui.check_accessibility("login")
    ui.screenshot("01-login")

    ui.login("pendamping")
    ui.check_accessibility("dashboard")
    nik, kk, name = new_applicant()
    ui.register_person(nik=nik, kk=kk, name=name, birth=BIRTH, village="Liang")
    number = ui.open_new_case(program="WRSE", applicant=name, amount=4_500_000)
    for kind, filename in (
        ("ktp", "ktp.pdf"),
        ("kk", "kk.pdf"),
        ("sktm", "sktm.pdf"),
        ("business_plan", "rencana-usaha.pdf"),
    ):
        ui.upload(kind, filename)
    ui.record_dtsen(decile=2, on=today)
    ui.record_assessment(on=today, items=[("Mesin jahit", 1, 3_000_000), ("Obras", 1, 1_500_000)])
    ui.check_accessibility("case page")
    ui.fire("submit")
    assert ui.state() == "submitted"
    # The caseworker has no button now; the panel says who acts next and by when.
    panel = page.locator(".next-step-panel")
    expect(panel.locator(".next-step-none")).to_be_visible()
    expect(panel).to_contain_text("Verifikator")
    expect(panel.locator(".next-step-due")).to_contain_text("WITA")
    ui.screenshot("02-case-submitted-next-step")
    ui.logout()

    ui.login("verifikator")
    ui.open_case(number)
    for trigger in ("start_verification", "pass_admin_verification", "confirm_dtsen", "recommend"):
        ui.fire(trigger)
    assert ui.state() == "recommended"
    ui.logout()

    ui.login("kabid")
    ui.open_case(number)
    ui.fire("send_to_pokir_review")
    assert ui.state() == "pokir_review"
    expect(page.locator(".timeline .case-event")).to_have_count(6)
    ui.screenshot("03-case-in-pokir-review")

    ui.goto(f"/admin/case/?search={number}")
    ui.check_accessibility("case list")


def test_a_manager_follows_the_overdue_number_to_a_list_of_as_many_cases(
    ui: App, page: Page
) -> None:
    ui.login("kabid")
    ui.goto("/admin/")
    link = page.locator(".overdue-count a")
    expect(link).to_be_visible()
    overdue = int(link.inner_text())
    assert overdue > 0
    ui.check_accessibility("overdue dashboard")
    ui.screenshot("04-overdue-dashboard")
    link.click()
    page.goto(page.url + ("&" if "?" in page.url else "?") + "page_size=100")
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(overdue)
    ui.screenshot("05-overdue-list")


def test_the_status_page_answers_a_beneficiary_on_a_phone(
    phone: Page, server_url: str, browser_database: str
) -> None:
    number, birth = _a_person_case(browser_database)
    status = App(phone, server_url)
    status.goto("/status/")
    expect(phone.locator("h1")).to_have_text("Cek permohonan Anda")
    status.check_accessibility("status form")
    phone.get_by_label("Nomor permohonan").fill(number)
    phone.get_by_label("Tanggal lahir").fill(birth.isoformat())
    status.screenshot("06-status-form-phone")
    phone.get_by_role("button", name="Tampilkan status").click()
    expect(phone.locator(".case-number")).to_have_text(number)
    expect(phone.locator(".current-step")).to_be_visible()
    status.check_accessibility("status result")
    # One column that fits the phone: nothing wider than the screen.
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(phone, "07-status-result-phone")

    status.goto("/status/")
    phone.get_by_label("Nomor permohonan").fill(number)
    phone.get_by_label("Tanggal lahir").fill("1900-01-01")
    phone.get_by_role("button", name="Tampilkan status").click()
    expect(phone.locator("#status-message")).to_contain_text("Tidak ada permohonan yang cocok")


def test_the_language_switches_to_english_and_back(ui: App, page: Page) -> None:
    ui.login("pendamping")
    expect(page.locator(".lang-current")).to_have_text("ID")
    expect(page.get_by_role("link", name="Permohonan", exact=True).first).to_be_visible()
    page.get_by_role("link", name="EN", exact=True).click()
    expect(page.locator(".lang-current")).to_have_text("EN")
    expect(page.get_by_role("link", name="Cases", exact=True).first).to_be_visible()
    ui.screenshot("08-dashboard-english")
    page.get_by_role("link", name="ID", exact=True).click()
    expect(page.locator(".lang-current")).to_have_text("ID")
    expect(page.locator("html")).to_have_attribute("lang", re.compile("^id"))


def _a_person_case(database_url: str) -> tuple[str, date]:
    """A seeded case of one applicant, with the birth date that opens it."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.number, p.birth_date FROM cases c JOIN persons p ON p.id = c.person_id "
                "WHERE c.state = 'field_assessment' ORDER BY c.id LIMIT 1"
            )
        ).one()
    engine.dispose()
    birth = row[1] if isinstance(row[1], date) else date.fromisoformat(str(row[1]))
    return str(row[0]), birth
