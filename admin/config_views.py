"""Configuration screens: programs with yearly rules, business types, users, regions."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional

from admin.base import AdminForm, BerdayaModelView, show_domain_error
from casework.errors import DomainError
from casework.models.program import ApplicantKind, ProgramYear
from casework.models.region import Region, RegionLevel
from casework.models.user import ROLE_LABELS, User
from casework.services.users import create_user, update_user
from web.db import db
from workflows.programs import DEFINITIONS


class ProgramView(BerdayaModelView):
    """Programs and their rules per fiscal year; admin and manager edit, everyone reads."""

    read_action = "reference.read"
    edit_action = "reference.write"
    column_list = ["code", "name", "workflow", "applicant_kind", "active"]
    column_details_list = [*column_list, "description", "years"]
    column_labels = {
        "code": _l("Code"),
        "name": _l("Name"),
        "workflow": _l("Workflow"),
        "applicant_kind": _l("Applicant"),
        "active": _l("Active"),
        "description": _l("Description"),
        "years": _l("Rules per fiscal year"),
    }
    column_formatters_detail = {
        "years": lambda v, c, m, n: ", ".join(
            f"{y.fiscal_year}: Rp{y.unit_value:,}".replace(",", ".") for y in m.years
        )
    }
    form_columns = ["code", "name", "description", "workflow", "applicant_kind", "active"]
    # Selects built here, not scaffolded: Flask-Admin would pass tuple choices that
    # WTForms 3.3 deprecates; choices are filled per request instead.
    form_extra_fields = {
        "workflow": SelectField(_l("Workflow")),
        "applicant_kind": SelectField(_l("Applicant"), coerce=ApplicantKind),
    }
    inline_models = [
        (
            ProgramYear,
            {
                "form_columns": [
                    "id",  # Flask-Admin needs the key to update existing rows in place
                    "fiscal_year",
                    "unit_value",
                    "min_age",
                    "max_age",
                    "required_sex",
                    "max_decile",
                    "group_min_members",
                    "group_max_members",
                    "required_documents",
                ],
            },
        )
    ]

    def create_form(self, obj: Any = None) -> Any:
        return _program_choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return _program_choices(super().edit_form(obj))


def _program_choices(form: Any) -> Any:
    form.workflow.choices = [(key, gettext(d.title)) for key, d in DEFINITIONS.items()]
    form.applicant_kind.choices = [
        (ApplicantKind.PERSON, gettext("A person")),
        (ApplicantKind.GROUP, gettext("A KUBE group")),
    ]
    return form


class BusinessTypeView(BerdayaModelView):
    read_action = "reference.read"
    edit_action = "reference.write"
    column_list = ["code", "name", "active"]
    column_labels = {"code": _l("Code"), "name": _l("Name"), "active": _l("Active")}
    column_searchable_list = ["name"]
    form_columns = ["code", "name", "active"]


def regency_choices() -> list[tuple[str, str]]:
    stmt = select(Region.code, Region.name).where(Region.level == RegionLevel.REGENCY)
    rows = db.session.execute(stmt.order_by(Region.name))
    return [("", gettext("Whole province")), *((c, f"{n} ({c})") for c, n in rows)]


class UserEditForm(AdminForm):
    full_name = StringField(_l("Full name"), validators=[InputRequired(), Length(max=120)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=200)])
    role = SelectField(_l("Role"))
    region_code = SelectField(_l("Region"))
    active = BooleanField(_l("Active (may log in)"), default=True)

    def fill_choices(self) -> None:
        self.role.choices = [(r.value, gettext(label)) for r, label in ROLE_LABELS.items()]
        self.region_code.choices = regency_choices()


class UserCreateForm(UserEditForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=200)])


class UserView(BerdayaModelView):
    """Staff accounts (administrators only); the password hash is never shown."""

    read_action = "user.read"
    edit_action = "user.write"
    column_list = ["username", "full_name", "role", "region_code", "active", "last_login_at"]
    column_details_list = [*column_list, "email", "created_at"]
    column_labels = {
        "username": _l("Username"),
        "full_name": _l("Full name"),
        "role": _l("Role"),
        "region_code": _l("Region"),
        "active": _l("Active"),
        "last_login_at": _l("Last login"),
        "email": _l("E-mail"),
        "created_at": _l("Created"),
    }
    column_formatters = {
        "role": lambda v, c, m, n: gettext(ROLE_LABELS[m.role]),
        "region_code": lambda v, c, m, n: m.region_code or gettext("Whole province"),
    }
    column_formatters_detail = column_formatters
    column_searchable_list = ["username", "full_name"]
    column_filters = ["role", "active"]

    def get_create_form(self) -> Any:
        return UserCreateForm

    def get_edit_form(self) -> Any:
        return UserEditForm

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form.fill_choices()
        return form

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        form.fill_choices()
        if obj is not None and not form.is_submitted():
            form.role.data = obj.role.value
            form.region_code.data = obj.region_code or ""
        return form

    def create_model(self, form: Any) -> Any:
        try:
            user = create_user(
                db.current(),
                username=form.username.data or "",
                full_name=form.full_name.data or "",
                role=form.role.data or "",
                password=form.password.data or "",
                region_code=form.region_code.data or None,
                email=form.email.data or None,
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form)
            return False
        return user

    def update_model(self, form: Any, model: User) -> bool:
        try:
            update_user(
                db.current(),
                model,
                full_name=form.full_name.data or "",
                role=form.role.data or "",
                region_code=form.region_code.data or None,
                active=bool(form.active.data),
                email=form.email.data or None,
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form)
            return False
        return True


class RegionView(BerdayaModelView):
    """Kemendagri regions of Kalimantan Timur: read-only, searchable by name or code."""

    read_action = "reference.read"
    edit_action = "region.write"
    column_list = ["code", "name", "level", "parent_code"]
    column_labels = {
        "code": _l("Code"),
        "name": _l("Name"),
        "level": _l("Level"),
        "parent_code": _l("Part of"),
    }
    column_searchable_list = ["code", "name"]
    column_filters = ["level"]
    column_default_sort = ("code", False)
    can_view_details = False
