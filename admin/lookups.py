"""Ajax look-ups for form fields, limited to the user's region (persons, groups, villages)."""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from sqlalchemy import or_

from admin.security import actor
from casework.identity import normalize_number
from casework.models.person import Group, Person
from casework.models.region import Region, RegionLevel
from web.db import db

NIK_LENGTH = 16


class _ScopedLoader(QueryAjaxModelLoader):
    """Loads only records of the user's kabupaten/kota; terms match as prefixes."""

    def __init__(self, name: str, model: type, fields: list[str]) -> None:
        super().__init__(name, db.session, model, fields=fields, page_size=10)

    def _scope(self, query: Any) -> Any:
        user = actor()
        if user is None:
            return query.filter(False)
        if user.region_code is None:
            return query
        return query.filter(self.model.regency_code == user.region_code)

    def get_query(self) -> Any:
        return self._scope(super().get_query())

    def get_one(self, pk: Any) -> Any:
        try:
            record_id = int(pk)
        except (TypeError, ValueError):
            return None
        return self.get_query().filter(self.model.id == record_id).first()

    def _term_filter(self, term: str) -> Any:
        return self.model.name.ilike(f"{term}%")

    def get_list(self, term: str, offset: int = 0, limit: int = 10) -> Any:
        query = self.get_query()
        if term:
            query = query.filter(self._term_filter(term.strip()))
        return query.order_by(*self._order()).offset(offset or 0).limit(limit).all()

    def _order(self) -> list[Any]:
        return [self.model.name]


class PersonLoader(_ScopedLoader):
    """Persons by name prefix or exact NIK."""

    def __init__(self, name: str = "person") -> None:
        super().__init__(name, Person, ["full_name"])

    def _term_filter(self, term: str) -> Any:
        nik = normalize_number(term)
        if len(nik) == NIK_LENGTH and nik.isdigit():
            return Person.nik_is(nik)
        return Person.full_name.ilike(f"{term}%")

    def _order(self) -> list[Any]:
        return [Person.full_name, Person.id]


class GroupLoader(_ScopedLoader):
    def __init__(self, name: str = "group") -> None:
        super().__init__(name, Group, ["name"])


class VillageLoader(QueryAjaxModelLoader):
    """Villages (desa/kelurahan) of the user's region, by name prefix or code prefix."""

    def __init__(self, name: str = "village") -> None:
        super().__init__(name, db.session, Region, fields=["name"])

    def get_query(self) -> Any:
        query = super().get_query().filter(Region.level == RegionLevel.VILLAGE)
        user = actor()
        if user is not None and user.region_code is not None:
            query = query.filter(Region.code.startswith(user.region_code + "."))
        return query

    def get_one(self, pk: Any) -> Any:
        return self.get_query().filter(Region.code == pk).first()

    def get_list(self, term: str, offset: int = 0, limit: int = 10) -> Any:
        query = self.get_query()
        if term:
            term = term.strip()
            query = query.filter(or_(Region.name.ilike(f"{term}%"), Region.code.startswith(term)))
        return query.order_by(Region.name).offset(offset or 0).limit(limit).all()
