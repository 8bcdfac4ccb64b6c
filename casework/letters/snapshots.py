"""Snapshots of what a recipient gets: page 1 of each kind of letter as PNG under docs/letters/,
and for the decree (SK) also page 2 (its lampiran, with the repeated table header).

    .venv/bin/flask --app wsgi letters snapshots     (or scripts/letter_snapshots.py)

Uses the real templates, stylesheet, fonts and QR code with fictional recipients (no
database needed), then poppler's pdftoppm at 60 dpi to keep the images small.
"""

from __future__ import annotations

import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from casework.letters.kinds import KINDS
from casework.letters.render import LetterDocument, Letterhead, LetterRenderer

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "letters"
DAY = date(2026, 11, 27)
HEAD = Letterhead(
    lines=("PEMERINTAH PROVINSI KALIMANTAN TIMUR", "DINAS SOSIAL"),
    address="Jalan Contoh Nomor 1, Samarinda 75111 (alamat contoh untuk demo)",
    contact="",
    logo_uri="",
    city="Samarinda",
    signatory_position="Kepala Dinas Sosial Provinsi Kalimantan Timur",
    signatory_name="Nama Pejabat Contoh, S.Sos., M.Si.",
    signatory_rank="Pembina Utama Muda (IV/c)",
    signatory_nip="197001011995031001",
    tembusan=("Gubernur Kalimantan Timur (sebagai laporan)",),
)
COMMON: dict[str, Any] = {
    "case_number": "WRSE-2026-000123",
    "program_name": "Wanita Rawan Sosial Ekonomi",
    "program_code": "WRSE",
    "fiscal_year": 2026,
    "business_type": "Menjahit",
    "amount": 5_000_000,
    "report_due_on": date(2027, 1, 10),
}
PACKAGE: dict[str, Any] = {
    "items": [
        {"name": "Mesin jahit portabel", "quantity": 1, "unit": "unit", "unit_price": 3_250_000,
         "subtotal": 3_250_000},
        {"name": "Mesin obras", "quantity": 1, "unit": "unit", "unit_price": 1_350_000,
         "subtotal": 1_350_000},
        {"name": "Kain katun", "quantity": 20, "unit": "m", "unit_price": 20_000,
         "subtotal": 400_000},
    ],
    "package_text": "",
    "decree_number": "007/SK-KADIS/DINSOS/2026",
    "decree_date": DAY,
}  # fmt: skip
MEMBERS = [
    {"name": name, "nik": f"6402********{i:04d}", "role": role}
    for i, (name, role) in enumerate(
        [("Rahmat Hidayat", "Ketua"), ("Junaidi", "Sekretaris"), ("Syamsuddin", "Bendahara"),
         ("Abdul Karim", "Anggota"), ("Muhammad Yusuf", "Anggota")], start=11
    )
]  # fmt: skip
BODIES: dict[str, dict[str, Any]] = {
    "approval_notice": {**COMMON, **PACKAGE},
    "kube_group_notice": {
        **COMMON,
        **PACKAGE,
        "items": [],
        "package_text": "peralatan dan bahan usaha menjahit untuk kelompok",
        "program_name": "Kelompok Usaha Bersama",
        "case_number": "KUBE-2026-000045",
        "amount": 20_000_000,
        "group_name": "Maju Bersama",
        "members": MEMBERS,
    },
    "rejection_notice": {**COMMON, "reason": "Pemohon tidak terdaftar dalam DTSEN desil 1–5.",
                         "due_at": None},
    "return_notice": {**COMMON, "reason": "Foto KTP tidak terbaca; mohon unggah ulang.",
                      "due_at": date(2026, 12, 11)},
    "monitoring_notice": {**COMMON, "visits": [{"due_on": date(2027, 4, 10), "months": 3},
                                               {"due_on": date(2027, 7, 10), "months": 6}]},
    "usage_report_reminder": {**COMMON, **PACKAGE},
}  # fmt: skip
NUMBERS = {"decree": "007/SK-KADIS/DINSOS/2026"}


VILLAGES = ("Liang, Kota Bangun, Kabupaten Kutai Kartanegara",
            "Sungai Pinang Dalam, Sungai Pinang, Kota Samarinda",
            "Loa Janan Ulu, Loa Janan, Kabupaten Kutai Kartanegara")  # fmt: skip
NAMES = ("Siti Aminah", "Nurhayati", "Rusmini", "Hasnah", "Jumiati", "Masitah", "Rahmawati",
         "Sri Wahyuni", "Fatimah", "Halimah", "Rosdiana", "Kartini")  # fmt: skip
BUSINESSES = ("Menjahit", "Warung kelontong", "Kue basah", "Salon kecantikan")


def decree_body(count: int = 40) -> dict[str, Any]:
    """A fictional decree of ``count`` WRSE recipients (NIK masked as the lampiran prints)."""
    from casework.letters.decree import ORDINALS

    rows = [
        {"name": f"{NAMES[i % len(NAMES)]} {chr(65 + i % 26)}.", "nik": f"6402********{i:04d}",
         "address": VILLAGES[i % len(VILLAGES)], "business": BUSINESSES[i % len(BUSINESSES)],
         "amount": 5_000_000 - (i % 3) * 500_000}
        for i in range(count)
    ]  # fmt: skip
    return {
        "issuer": "KEPALA DINAS SOSIAL PROVINSI KALIMANTAN TIMUR",
        "title": "Penetapan Penerima Bantuan Wanita Rawan Sosial Ekonomi Tahun Anggaran 2026",
        "considerations": [
            "bahwa dalam rangka pemberdayaan ekonomi perempuan rawan sosial ekonomi perlu"
            " diberikan bantuan usaha ekonomi produktif;",
            "bahwa berdasarkan pertimbangan sebagaimana dimaksud dalam huruf a, perlu"
            " menetapkan Keputusan Kepala Dinas Sosial tentang penerima bantuan;",
        ],
        "legal_basis": [
            "Undang-Undang Nomor 11 Tahun 2009 tentang Kesejahteraan Sosial;",
            "Peraturan Menteri Sosial Nomor 2 Tahun 2019 tentang Pemberdayaan Sosial;",
        ],
        "program_name": "Wanita Rawan Sosial Ekonomi",
        "fiscal_year": 2026,
        "dicta": [
            f"Menetapkan {count} penerima bantuan Wanita Rawan Sosial Ekonomi Tahun Anggaran"
            " 2026 sebagaimana tercantum dalam Lampiran yang merupakan bagian tidak"
            " terpisahkan dari Keputusan ini.",
            "Keputusan ini mulai berlaku pada tanggal ditetapkan.",
        ],
        "ordinals": ORDINALS,
        "rows": rows,
        "total": sum(r["amount"] for r in rows),
        "changes": None,
    }


def document(kind: str) -> LetterDocument:
    group = kind == "kube_group_notice"
    return LetterDocument(
        kind=KINDS[kind],
        number=NUMBERS.get(kind, f"400.9/{list(KINDS).index(kind) + 101}/Dinsos/2026"),
        letter_date=DAY,
        recipient_name="KUBE Maju Bersama" if group else "Siti Aminah",
        recipient_lines=(
            ("u.p. Ketua Kelompok, Rahmat Hidayat",) if group else ("Jalan Mawar RT 07",)
        )
        + ("Desa/Kelurahan Liang", "Kecamatan Kota Bangun", "Kabupaten Kutai Kartanegara"),
        verify_url="https://berdaya.example/verify/contoh-" + kind,
        head=HEAD,
        body=decree_body() if kind == "decree" else BODIES[kind],
    )


PAGES: dict[str, tuple[int, ...]] = {"decree": (1, 2)}
"""Pages shown per kind (page 1 unless named here); file ``<kind>.png``, ``<kind>-2.png``."""


def write_snapshots(out: Path = OUT, renderer: LetterRenderer | None = None) -> list[Path]:
    """Render every kind of letter and write its snapshot pages; return the PNG paths."""
    out.mkdir(parents=True, exist_ok=True)
    renderer = renderer or LetterRenderer()
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in KINDS:
            pdf = Path(tmp) / f"{kind}.pdf"
            pdf.write_bytes(renderer.render(document(kind)))
            for page in PAGES.get(kind, (1,)):
                name = kind if page == 1 else f"{kind}-{page}"
                subprocess.run(
                    ["pdftoppm", "-r", "60", "-png", "-f", str(page), "-l", str(page),
                     "-singlefile", str(pdf), str(out / name)],
                    check=True,
                )  # fmt: skip
                written.append(out / f"{name}.png")
    return written
