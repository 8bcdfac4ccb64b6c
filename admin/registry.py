"""Persons and KUBE groups: masked personal numbers, region scoping, writes via the registry."""

from __future__ import annotations

from typing import Any

from flask import flash, url_for
from flask_admin.model.fields import AjaxSelectField
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from admin.base import AdminForm, BerdayaModelView, show_domain_error
from admin.case_columns import regency_name
from admin.case_forms import business_type_choices
from admin.lookups import VillageLoader
from admin.security import require_actor
from casework.errors import DomainError, Duplicate, NotFound
from casework.identity import normalize_number
from casework.models.person import (
    GROUP_ROLE_LABELS,
    MARITAL_LABELS,
    SEX_LABELS,
    Group,
    GroupRole,
    Person,
)
from casework.services.access import get_scoped
from casework.services.registry import (
    GroupInput,
    MemberInput,
    PersonInput,
    register_group,
    register_person,
    update_person,
)
from web.db import db
from web.i18n import error_message

_LOADER = VillageLoader()


class _ScopedView(BerdayaModelView):
    read_action = "person.read"
    edit_action = "person.write"
    form_ajax_refs = {"village": _LOADER}

    def _scope(self, query: Any) -> Any:
        user = require_actor()
        if user.region_code is not None:
            query = query.filter(self.model.regency_code == user.region_code)
        return query

    def get_query(self) -> Any:
        return self._scope(super().get_query())

    def get_count_query(self) -> Any:
        return self._scope(super().get_count_query())

    def get_one(self, id: Any) -> Any:
        try:
            record_id = int(id)
        except (TypeError, ValueError):
            raise NotFound() from None
        return get_scoped(db.current(), self.model, record_id, require_actor())

    def init_search(self) -> bool:
        super().init_search()
        return True

    def _apply_search(self, query, count_query, joins, count_joins, search):
        clause = self.search_clause(search.strip())
        if clause is not None:
            query = query.filter(clause)
            count_query = count_query.filter(clause) if count_query is not None else None
        return query, count_query, joins, count_joins


class PersonForm(AdminForm):
    nik = StringField(_l("NIK"), validators=[InputRequired(), Length(max=40)])
    kk_number = StringField(_l("KK number"), validators=[InputRequired(), Length(max=40)])
    full_name = StringField(_l("Full name"), validators=[Length(max=200)])
    sex = SelectField(_l("Sex"))
    birth_place = StringField(_l("Place of birth"), validators=[Length(max=80)])
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    marital_status = SelectField(_l("Marital status"))
    is_breadwinner = BooleanField(_l("Main breadwinner of the family"))
    address = TextAreaField(_l("Address (as on KTP/KK)"), validators=[Length(max=500)])
    village = AjaxSelectField(_LOADER, _l("Village (desa/kelurahan)"), allow_blank=True)
    phone = StringField(_l("Phone"), validators=[Length(max=20)])

    def fill_choices(self) -> None:
        self.sex.choices = [(k.value, gettext(v)) for k, v in SEX_LABELS.items()]
        self.marital_status.choices = [(k.value, gettext(v)) for k, v in MARITAL_LABELS.items()]

    def to_input(self) -> PersonInput:
        return PersonInput(
            nik=self.nik.data or "",
            kk_number=self.kk_number.data or "",
            full_name=self.full_name.data or "",
            sex=self.sex.data or "",
            birth_date=self.birth_date.data,
            marital_status=self.marital_status.data or "",
            village_code=self.village.data.code if self.village.data else "",
            birth_place=self.birth_place.data or "",
            address=self.address.data or "",
            phone=self.phone.data or "",
            is_breadwinner=bool(self.is_breadwinner.data),
        )


def _masked(attr: str) -> Any:
    return lambda v, c, m, n: getattr(m, attr)


class PersonView(_ScopedView):
    details_template = "admin/privacy_person_details.html"
    column_list = ["full_name", "nik", "kk_number", "sex", "birth_date", "village", "regency_code"]
    column_details_list = [*column_list, "birth_place", "marital_status", "address", "phone"]
    column_labels = {
        "full_name": _l("Name"),
        "nik": _l("NIK"),
        "kk_number": _l("KK number"),
        "sex": _l("Sex"),
        "birth_date": _l("Date of birth"),
        "village": _l("Village"),
        "regency_code": _l("Kabupaten/kota"),
        "birth_place": _l("Place of birth"),
        "marital_status": _l("Marital status"),
        "address": _l("Address"),
        "phone": _l("Phone"),
    }
    column_formatters = {
        "nik": _masked("nik_masked"),
        "kk_number": _masked("kk_masked"),
        "sex": lambda v, c, m, n: gettext(SEX_LABELS[m.sex]),
        "marital_status": lambda v, c, m, n: gettext(MARITAL_LABELS[m.marital_status]),
        "village": lambda v, c, m, n: m.village.name,
        "regency_code": lambda v, c, m, n: regency_name(m.regency_code),
    }
    column_formatters_detail = column_formatters
    column_searchable_list = ["full_name"]
    column_sortable_list = ["full_name", "birth_date"]
    column_default_sort = ("full_name", False)

    def search_clause(self, term: str) -> Any:
        if not term:
            return None
        nik = normalize_number(term)
        if len(nik) == 16 and nik.isdigit():
            return Person.nik_is(nik)
        return Person.full_name.istartswith(term, autoescape=True)

    def search_placeholder(self) -> str:
        return gettext("Name or NIK")

    def get_create_form(self) -> Any:
        return PersonForm

    def get_edit_form(self) -> Any:
        return PersonForm

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form.fill_choices()
        return form

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        form.fill_choices()
        return form

    def create_model(self, form: Any) -> Any:
        try:
            person = register_person(db.current(), form.to_input(), actor=require_actor())
            db.session.commit()
        except DomainError as error:
            self._refuse(error, form)
            return False
        return person

    def update_model(self, form: Any, model: Person) -> bool:
        try:
            update_person(db.current(), model, form.to_input(), actor=require_actor())
            db.session.commit()
        except DomainError as error:
            self._refuse(error, form)
            return False
        return True

    def _refuse(self, error: DomainError, form: Any) -> None:
        if isinstance(error, Duplicate) and error.existing_id is not None:
            db.session.rollback()
            url = url_for("person.details_view", id=error.existing_id)
            link = Markup('<a href="{}">{}</a>').format(url, gettext("Open the registered person"))
            flash(Markup("{} {}").format(error_message(error), link), "error")
            form.nik.errors = [*form.nik.errors, error_message(error)]
            return
        show_domain_error(error, form, {"village_code": "village"})


class GroupForm(AdminForm):
    name = StringField(_l("Group name"), validators=[Length(max=120)])
    village = AjaxSelectField(_LOADER, _l("Village (desa/kelurahan)"), allow_blank=True)
    business_type = SelectField(_l("Business type"), coerce=int)
    members = TextAreaField(
        _l("Members: one per line, NIK then role (ketua, sekretaris, bendahara, anggota)"),
        render_kw={"rows": 8, "placeholder": "6402084506850001 ketua"},
    )

    def fill_choices(self) -> None:
        self.business_type.choices = [(0, "—"), *business_type_choices()]


def parse_members(text: str, user: Any) -> tuple[list[MemberInput], list[str]]:
    """Member lines "NIK role" -> inputs; problems are messages for the members field."""
    members: list[MemberInput] = []
    problems: list[str] = []
    roles = {r.value for r in GroupRole}
    for number, line in enumerate((text or "").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        nik = normalize_number(parts[0])
        role = parts[1].lower() if len(parts) > 1 else GroupRole.MEMBER.value
        stmt = select(Person.id).where(Person.nik_is(nik))
        if user.region_code is not None:
            stmt = stmt.where(Person.regency_code == user.region_code)
        person_id = db.session.scalar(stmt)
        if person_id is None:
            problems.append(gettext("Line %(n)s: no registered person has this NIK.", n=number))
        elif role not in roles:
            problems.append(gettext("Line %(n)s: unknown role %(role)s.", n=number, role=role))
        else:
            members.append(MemberInput(person_id, role))
    return members, problems


def _members_markup(view: Any, context: Any, group: Group, name: str) -> Markup:
    items = Markup("").join(
        Markup("<li>{} ({}) — {}</li>").format(
            m.person.full_name, m.person.nik_masked, gettext(GROUP_ROLE_LABELS[m.role])
        )
        for m in group.members
    )
    return Markup("<ul class='mb-0'>{}</ul>").format(items)


class GroupView(_ScopedView):
    read_action = "group.read"
    edit_action = "group.write"
    column_list = ["name", "village", "regency_code", "business_type", "members"]
    column_details_list = column_list
    column_labels = {
        "name": _l("Group name"),
        "village": _l("Village"),
        "regency_code": _l("Kabupaten/kota"),
        "business_type": _l("Business type"),
        "members": _l("Members"),
    }
    column_formatters = {
        "village": lambda v, c, m, n: m.village.name,
        "regency_code": lambda v, c, m, n: regency_name(m.regency_code),
        "business_type": lambda v, c, m, n: m.business_type.name if m.business_type else "",
        "members": lambda v, c, m, n: len(m.members),
    }
    column_formatters_detail = {**column_formatters, "members": _members_markup}
    column_searchable_list = ["name"]
    column_default_sort = ("name", False)

    @property
    def can_edit(self) -> bool:
        return False  # the registry has no group update yet; register a corrected group

    def get_query(self) -> Any:
        return super().get_query().options(selectinload(Group.members))

    def search_clause(self, term: str) -> Any:
        return Group.name.istartswith(term, autoescape=True) if term else None

    def get_create_form(self) -> Any:
        return GroupForm

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form.fill_choices()
        return form

    def create_model(self, form: Any) -> Any:
        user = require_actor()
        members, problems = parse_members(form.members.data, user)
        if problems:
            form.members.errors = [*form.members.errors, *problems]
            return False
        data = GroupInput(
            name=form.name.data or "",
            village_code=form.village.data.code if form.village.data else "",
            business_type_id=form.business_type.data or None,
            members=members,
        )
        try:
            group = register_group(db.current(), data, actor=user)
            db.session.commit()
        except DomainError as error:
            show_domain_error(
                error, form, {"village_code": "village", "business_type_id": "business_type"}
            )
            return False
        return group
