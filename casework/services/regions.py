"""Loading the Kemendagri region codes of Kalimantan Timur (data/regions, ODbL)."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.models.region import LEVEL_BY_PARTS, Region

FILES = ("provinces.csv", "regencies.csv", "districts.csv", "villages.csv")


def _read(directory: Path) -> list[tuple[str, str | None, str]]:
    rows: list[tuple[str, str | None, str]] = []
    for name in FILES:
        with open(directory / name, newline="", encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                code = record["code"].strip()
                parent = next((record[k] for k in record if k.endswith("_code")), None)
                rows.append((code, parent.strip() if parent else None, record["name"].strip()))
    return rows


def load_regions(session: Session, directory: str | Path) -> int:
    """Insert or update every region from the CSV files; return how many were new.

    Idempotent: running it again changes only names that changed.
    """
    existing = {r.code: r for r in session.scalars(select(Region))}
    added = 0
    for code, parent, name in _read(Path(directory)):
        region = existing.get(code)
        if region is None:
            session.add(
                Region(
                    code=code,
                    parent_code=parent,
                    name=name,
                    level=LEVEL_BY_PARTS[len(code.split("."))],
                )
            )
            added += 1
        elif region.name != name or region.parent_code != parent:
            region.name, region.parent_code = name, parent
    session.flush()
    return added
