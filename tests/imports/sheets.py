"""Building applicant workbooks for the import tests (real .xlsx files via openpyxl)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import Workbook

from casework.identity import build_nik
from casework.importing.columns import columns_for
from casework.models.program import ApplicantKind
from tests.factories import KOTA_BANGUN_LIANG

_serials = itertools.count(5000)


def english(message: str) -> str:
    return message


def person_cells(
    *,
    sex: str = "P",
    birth_date: date = date(1985, 6, 15),
    village: str = KOTA_BANGUN_LIANG,
    serial: int | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A valid WRSE/UEP row (the cells of one applicant), with ``overrides`` applied."""
    n = serial or next(_serials)
    district = ".".join(village.split(".")[:3])
    nik = build_nik(district_code=district, birth_date=birth_date, sex=sex, serial=n % 9999 + 1)
    cells = {
        "nik": nik,
        "kk_number": nik[:6] + "010120" + f"{n % 9999 + 1:04d}",
        "full_name": f"Warga Impor {n}",
        "sex": sex,
        "birth_place": "Tenggarong",
        "birth_date": birth_date,
        "marital_status": "cerai_mati" if sex == "P" else "kawin",
        "is_breadwinner": "Y",
        "address": "Jl. Poros RT 03",
        "village_code": village,
        "phone": "081234567890",
        "business_type": "menjahit",
        "requested_package": "Mesin jahit",
        "requested_amount": 4_500_000,
    }
    return cells | overrides


def member_cells(group: str, role: str, **overrides: Any) -> dict[str, Any]:
    cells = person_cells(sex="L", **overrides)
    cells |= {"group_name": group, "member_role": role}
    if role != "ketua":
        cells |= {"business_type": None, "requested_package": None, "requested_amount": None}
    return cells


def kube_rows(group: str, size: int = 5, **overrides: Any) -> list[dict[str, Any]]:
    roles = ["ketua", "sekretaris", "bendahara"] + ["anggota"] * (size - 3)
    return [member_cells(group, role, **overrides) for role in roles]


def workbook(
    rows: Iterable[Mapping[str, Any]],
    kind: ApplicantKind = ApplicantKind.PERSON,
    headers: Mapping[str, str] | None = None,
) -> BytesIO:
    """A workbook with the program's English headers and one row per mapping."""
    columns = columns_for(kind)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([(headers or {}).get(c.key, c.label) for c in columns])
    for row in rows:
        sheet.append([row.get(c.key) for c in columns])
    out = BytesIO()
    book.save(out)
    out.seek(0)
    return out
