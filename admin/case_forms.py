"""Forms of the case screen. Choices are filled per request; the state is never a field."""

from __future__ import annotations

from flask_admin.model.fields import AjaxSelectField
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from admin.base import AdminForm
from admin.lookups import GroupLoader, PersonLoader
from casework import clock
from casework.models.program import BusinessType, Program
from casework.models.verification import (
    DOCUMENT_KIND_LABELS,
    DTSEN_SOURCE_LABELS,
    DTSEN_STATUS_LABELS,
)
from web.db import db
from web.i18n import TranslatedSubform

# Domain field names -> form field names.
CASE_FIELD_MAP = {
    "program_id": "program",
    "person_id": "person",
    "group_id": "group",
    "business_type_id": "business_type",
}


def program_choices() -> list[tuple[int, str]]:
    programs = db.session.scalars(select(Program).where(Program.active.is_(True)))
    return [(p.id, str(p)) for p in programs]


def business_type_choices() -> list[tuple[int, str]]:
    stmt = select(BusinessType).where(BusinessType.active.is_(True)).order_by(BusinessType.name)
    return [(b.id, b.name) for b in db.session.scalars(stmt)]


def _labelled(labels: dict) -> list[tuple[str, str]]:
    return [(key.value, gettext(label)) for key, label in labels.items()]


class CaseDetailsForm(AdminForm):
    business_type = SelectField(_l("Business type"), coerce=int)
    requested_package = TextAreaField(_l("Requested package"), validators=[Length(max=2000)])
    requested_amount = IntegerField(
        _l("Requested amount (Rp)"), validators=[InputRequired(), NumberRange(min=0)]
    )
    version = HiddenField()

    def fill_choices(self) -> None:
        self.business_type.choices = business_type_choices()


def case_create_form(person_loader: PersonLoader, group_loader: GroupLoader) -> type[AdminForm]:
    """The create form; applicant look-ups are the view's region-scoped ajax loaders."""

    class CaseCreateForm(CaseDetailsForm):
        program = SelectField(_l("Program"), coerce=int)
        fiscal_year = IntegerField(
            _l("Fiscal year"),
            validators=[InputRequired(), NumberRange(min=2020, max=2100)],
            default=lambda: clock.today_wita().year,
        )
        person = AjaxSelectField(
            person_loader, _l("Applicant (person)"), allow_blank=True, validators=[Optional()]
        )
        group = AjaxSelectField(
            group_loader, _l("Applicant (KUBE group)"), allow_blank=True, validators=[Optional()]
        )

        def fill_choices(self) -> None:
            super().fill_choices()
            self.program.choices = program_choices()

    return CaseCreateForm


class TransitionForm(AdminForm):
    trigger = HiddenField(validators=[DataRequired()])
    expected_version = HiddenField()
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class DocumentForm(AdminForm):
    kind = SelectField(_l("Kind of document"))
    file = FileField(_l("File (PDF, JPG or PNG)"), validators=[FileRequired()])

    def fill_choices(self) -> None:
        self.kind.choices = _labelled(DOCUMENT_KIND_LABELS)


class DtsenForm(AdminForm):
    status = SelectField(_l("DTSEN status"))
    decile = IntegerField(_l("Decile"), validators=[Optional()])
    source = SelectField(_l("Source"))
    checked_on = DateField(_l("Checked on"), validators=[InputRequired()])
    evidence_document_id = SelectField(_l("Evidence document"), coerce=str)
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000)])

    def fill_choices(self, documents: list[tuple[int, str]]) -> None:
        self.status.choices = _labelled(DTSEN_STATUS_LABELS)
        self.source.choices = _labelled(DTSEN_SOURCE_LABELS)
        self.evidence_document_id.choices = [("", "—")] + [(str(i), n) for i, n in documents]


class OverrideForm(AdminForm):
    reason = TextAreaField(_l("Reason for the override"), validators=[Length(max=2000)])


class ItemForm(TranslatedSubform):
    name = StringField(_l("Item"), validators=[Length(max=200)])
    quantity = IntegerField(_l("Quantity"), validators=[Optional()])
    unit = StringField(_l("Unit"), default="unit", validators=[Length(max=20)])
    unit_price = IntegerField(_l("Unit price (Rp)"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not (self.name.data or "").strip() and self.quantity.data is None


class AssessmentForm(AdminForm):
    feasibility_notes = TextAreaField(_l("Feasibility notes"), validators=[Length(max=5000)])
    is_feasible = BooleanField(_l("The business is feasible"))
    assessed_on = DateField(_l("Assessed on"), validators=[InputRequired()])
    items = FieldList(FormField(ItemForm), min_entries=5, max_entries=30)
