"""Reference data every installation starts with: programs, their yearly rules, business types.

The figures come from DOMAIN.md §9 (Kaltim news reports): KUBE Rp20 juta per group of
5–20, WRSE Rp5 juta for women 18–59, UEP Rp5 juta for men or women in DTSEN decile 1–5.
An administrator changes them in the admin; this only fills what is missing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.models.program import ApplicantKind, BusinessType, Program, ProgramYear

PROGRAMS = (
    (
        "KUBE",
        "Kelompok Usaha Bersama",
        "kube",
        ApplicantKind.GROUP,
        "Bantuan usaha untuk kelompok 5–20 kepala keluarga dari satu desa.",
    ),
    (
        "WRSE",
        "Wanita Rawan Sosial Ekonomi",
        "wrse",
        ApplicantKind.PERSON,
        "Bantuan usaha untuk perempuan 18–59 tahun, pencari nafkah utama keluarga.",
    ),
    (
        "UEP",
        "Usaha Ekonomi Produktif",
        "uep",
        ApplicantKind.PERSON,
        "Bantuan usaha perorangan (sejak 2025), laki-laki atau perempuan, desil DTSEN 1–5.",
    ),
)

# (program, year) -> unit value, min age, max age, sex, max decile, min members, max members
YEAR_RULES = {
    ("KUBE", 2024): (20_000_000, 18, 60, None, 4, 5, 20),
    ("KUBE", 2025): (20_000_000, 18, 60, None, 4, 5, 20),
    ("KUBE", 2026): (20_000_000, 18, 60, None, 5, 5, 20),
    ("WRSE", 2024): (5_000_000, 18, 59, "P", 4, None, None),
    ("WRSE", 2025): (5_000_000, 18, 59, "P", 5, None, None),
    ("WRSE", 2026): (5_000_000, 18, 59, "P", 5, None, None),
    ("UEP", 2025): (5_000_000, 18, 59, None, 5, None, None),
    ("UEP", 2026): (5_000_000, 18, 59, None, 5, None, None),
}
REQUIRED_DOCUMENTS = "ktp,kk,dtsen_proof|sktm,business_plan"

BUSINESS_TYPES = (
    ("menjahit", "Menjahit"),
    ("kuliner", "UMKM kuliner"),
    ("gorengan", "Gorengan dan makanan ringan"),
    ("minuman", "Minuman"),
    ("perbengkelan", "Perbengkelan"),
    ("multimedia", "Multimedia"),
    ("peternakan_ayam", "Peternakan ayam"),
    ("sembako", "Warung sembako"),
    ("perikanan", "Perikanan dan budidaya"),
    ("pertanian", "Pertanian"),
)


def ensure_reference_data(session: Session) -> None:
    """Create the standard programs, yearly rules and business types that are missing."""
    programs = {p.code: p for p in session.scalars(select(Program))}
    for code, name, workflow, kind, description in PROGRAMS:
        if code not in programs:
            programs[code] = Program(
                code=code,
                name=name,
                workflow=workflow,
                applicant_kind=kind,
                description=description,
            )
            session.add(programs[code])
    session.flush()
    for (code, year), rule in YEAR_RULES.items():
        program = programs[code]
        if program.rules_for(year) is None:
            value, low, high, sex, decile, gmin, gmax = rule
            program.years.append(
                ProgramYear(
                    fiscal_year=year,
                    unit_value=value,
                    min_age=low,
                    max_age=high,
                    required_sex=sex,
                    max_decile=decile,
                    group_min_members=gmin,
                    group_max_members=gmax,
                    required_documents=REQUIRED_DOCUMENTS,
                )
            )
    known = set(session.scalars(select(BusinessType.code)))
    for code, name in BUSINESS_TYPES:
        if code not in known:
            session.add(BusinessType(code=code, name=name))
    session.flush()
