"""Kemendagri administrative regions of Kalimantan Timur (province → village)."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.models.base import Base


class RegionLevel(enum.StrEnum):
    PROVINCE = "province"
    REGENCY = "regency"
    DISTRICT = "district"
    VILLAGE = "village"


LEVEL_BY_PARTS = {
    1: RegionLevel.PROVINCE,
    2: RegionLevel.REGENCY,
    3: RegionLevel.DISTRICT,
    4: RegionLevel.VILLAGE,
}


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code"), index=True, default=None
    )
    level: Mapped[RegionLevel] = mapped_column(
        Enum(
            RegionLevel,
            native_enum=False,
            length=10,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    name: Mapped[str] = mapped_column(String(120))

    parent: Mapped[Region | None] = relationship(remote_side=[code])

    @property
    def regency_code(self) -> str | None:
        """The kabupaten/kota this region lies in (itself for a regency)."""
        parts = self.code.split(".")
        return ".".join(parts[:2]) if len(parts) >= 2 else None

    def path(self) -> list[Region]:
        """Province first, this region last."""
        chain: list[Region] = []
        node: Region | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
