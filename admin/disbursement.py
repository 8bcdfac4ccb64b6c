"""Procurement, handover (BAST), bank accounts and payment batches (export and import).

Thin views: every write goes through casework.services.disbursement; errors are shown
translated; account numbers appear masked everywhere but in the bank transfer file.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_admin import Admin, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy import exists, select
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional

from admin.base import AdminForm, BerdayaModelView, show_domain_error
from admin.security import require_actor
from casework import clock
from casework.errors import DomainError, NotFound, field_error
from casework.i18n import N_
from casework.models.case import Case, CaseState
from casework.models.decree import Decree
from casework.models.disbursement import (
    PAYMENT_STATUS_LABELS,
    BeneficiaryAccount,
    Handover,
    Payment,
    PaymentBatch,
    PaymentStatus,
    Procurement,
    ProcurementCase,
)
from casework.models.user import Role
from casework.services import disbursement
from casework.services.access import scoped
from casework.services.disbursement import (
    FINANCE,
    BatchInput,
    HandoverInput,
    ProcurementInput,
    ProcurementItemInput,
)
from casework.storage import DocumentStore
from web.db import db
from web.i18n import rupiah

BATCH_READERS = FINANCE | {Role.AUDITOR, Role.ADMIN}
CHOICE_LIMIT = 2000


def _store() -> DocumentStore:
    from flask import current_app

    return DocumentStore(current_app.config["UPLOAD_DIR"], current_app.config["MAX_UPLOAD_BYTES"])


def _case_choices(stmt: Any) -> list[tuple[int, str]]:
    stmt = scoped(stmt, Case, require_actor()).order_by(Case.id).limit(CHOICE_LIMIT)
    return [
        (c.id, f"{c.number} – {c.applicant_name} ({rupiah(c.requested_amount)})")
        for c in db.current().scalars(stmt)
    ]


def _covered(case_id: Any) -> Any:
    return exists().where(ProcurementCase.case_id == case_id)


def _scoped_by_case(query: Any, model: Any) -> Any:
    user = require_actor()
    if user.region_code is None:
        return query
    return query.join(Case, Case.id == model.case_id).filter(Case.regency_code == user.region_code)


# --- procurement ---------------------------------------------------------------------------


def parse_items(text: str | None) -> list[ProcurementItemInput]:
    """``name; quantity; unit price`` per line; a malformed line is a field error."""
    items = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")]
        digits = [p.replace(".", "").replace(",", "") for p in parts[1:]]
        if len(parts) != 3 or not all(d.lstrip("-").isdigit() for d in digits):
            raise field_error(
                "items",
                N_("Line %(line)s: write name; quantity; unit price."),
                line=number,
            )
        items.append(ProcurementItemInput(parts[0], int(digits[0]), int(digits[1])))
    return items


class _CreateOnlyView(BerdayaModelView):
    """Records created through a service form and never edited in place."""

    scoped_model: Any = None  # set to scope the list to the actor's region via its case

    @property
    def can_edit(self) -> bool:
        return False

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form.fill_choices()
        return form

    def get_query(self) -> Any:
        query = super().get_query()
        return query if self.scoped_model is None else _scoped_by_case(query, self.scoped_model)

    def get_count_query(self) -> Any:
        query = super().get_count_query()
        return query if self.scoped_model is None else _scoped_by_case(query, self.scoped_model)


class ProcurementForm(AdminForm):
    vendor = StringField(_l("Vendor"))
    contract_number = StringField(_l("Contract number"))
    contract_date = DateField(_l("Contract date"), validators=[Optional()])
    items = TextAreaField(_l("Items: name; quantity; unit price (one per line)"))
    case_ids = SelectMultipleField(_l("Decreed cases"), coerce=int, validators=[Optional()])

    def fill_choices(self) -> None:
        decreed = select(Case).where(Case.state == CaseState.DECREED.value, ~_covered(Case.id))
        self.case_ids.choices = _case_choices(decreed)


class ProcurementView(_CreateOnlyView):
    read_action = "procurement.read"
    edit_action = "procurement.write"
    column_list = ("contract_number", "vendor", "contract_date", "total")
    column_default_sort = ("id", True)
    column_filters = ("contract_date", "vendor")
    column_labels = {
        "contract_number": _l("Contract number"),
        "vendor": _l("Vendor"),
        "contract_date": _l("Contract date"),
        "total": _l("Total"),
    }
    column_formatters = {"total": lambda v, c, m, p: rupiah(m.total)}

    def get_create_form(self) -> Any:
        return ProcurementForm

    def create_model(self, form: Any) -> Any:
        try:
            data = ProcurementInput(
                vendor=form.vendor.data or "",
                contract_number=form.contract_number.data or "",
                contract_date=form.contract_date.data,
                items=parse_items(form.items.data),
                case_ids=list(form.case_ids.data or []),
            )
            procurement = disbursement.record_procurement(db.current(), data, actor=require_actor())
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form)
            return False
        return procurement


# --- handover ----------------------------------------------------------------------------


class HandoverForm(AdminForm):
    case = SelectField(_l("Case"), coerce=int, validators=[Optional()])
    handed_over_on = DateField(_l("Handover date"), validators=[Optional()])
    place = StringField(_l("Place"))
    receiver_name = StringField(_l("Received by"))
    photo = FileField(_l("Photo of the handover (JPG, PNG or PDF)"))

    def fill_choices(self) -> None:
        waiting = select(Case).where(
            Case.state == CaseState.PROCUREMENT.value,
            _covered(Case.id),
            ~exists().where(Handover.case_id == Case.id),
        )
        self.case.choices = _case_choices(waiting)
        wanted = request.args.get("case_id", "")
        if not self.is_submitted() and wanted.isdigit():
            self.case.data = int(wanted)
        if not self.is_submitted() and self.handed_over_on.data is None:
            self.handed_over_on.data = clock.today_wita()


class HandoverView(_CreateOnlyView):
    read_action = "handover.read"
    edit_action = "handover.write"
    column_list = ("case", "handed_over_on", "place", "receiver_name", "recorded_at")
    column_default_sort = ("id", True)
    column_filters = ("handed_over_on",)
    column_labels = {
        "case": _l("Case"),
        "handed_over_on": _l("Handover date"),
        "place": _l("Place"),
        "receiver_name": _l("Received by"),
        "recorded_at": _l("Recorded at"),
    }
    form_excluded_columns = ("photo_stored_name",)

    scoped_model = Handover

    def get_create_form(self) -> Any:
        return HandoverForm

    def create_model(self, form: Any) -> Any:
        actor = require_actor()
        upload = request.files.get(form.photo.name)
        try:
            case = (
                db.current()
                .scalars(scoped(select(Case).where(Case.id == (form.case.data or 0)), Case, actor))
                .first()
            )
            if case is None:
                raise field_error("case", N_("Choose a case."))
            data = HandoverInput(
                handed_over_on=form.handed_over_on.data,
                place=form.place.data or "",
                receiver_name=form.receiver_name.data or "",
                photo=upload.read() if upload else b"",
            )
            handover = disbursement.record_handover(
                db.current(), case, data, store=_store(), actor=actor
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form)
            return False
        return handover


# --- accounts ----------------------------------------------------------------------------


class AccountForm(AdminForm):
    case = SelectField(_l("Case"), coerce=int, validators=[Optional()])
    bank_code = StringField(_l("Bank"))
    account_number = StringField(_l("Account number"))
    holder_name = StringField(_l("Account holder"))

    def fill_choices(self) -> None:
        cash = select(Case).where(
            Case.state.in_([CaseState.DECREED.value, CaseState.PROCUREMENT.value]),
            ~_covered(Case.id),
        )
        self.case.choices = _case_choices(cash)


class BeneficiaryAccountView(_CreateOnlyView):
    read_action = "account.read"
    edit_action = "account.write"
    column_list = ("case_id", "bank_code", "account_number", "holder_name", "updated_at")
    column_labels = {
        "case_id": _l("Case"),
        "bank_code": _l("Bank"),
        "account_number": _l("Account number"),
        "holder_name": _l("Account holder"),
        "updated_at": _l("Updated at"),
    }
    column_formatters = {"account_number": lambda v, c, m, p: m.masked_number}
    column_details_list = column_list
    can_view_details = False

    scoped_model = BeneficiaryAccount

    def get_create_form(self) -> Any:
        return AccountForm

    def create_model(self, form: Any) -> Any:
        actor = require_actor()
        try:
            case = (
                db.current()
                .scalars(scoped(select(Case).where(Case.id == (form.case.data or 0)), Case, actor))
                .first()
            )
            if case is None:
                raise field_error("case", N_("Choose a case."))
            account = disbursement.set_account(
                db.current(),
                case,
                bank_code=form.bank_code.data or "",
                account_number=form.account_number.data or "",
                holder_name=form.holder_name.data or "",
                actor=actor,
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form)
            return False
        return account


# --- payment batches -----------------------------------------------------------------------


class BatchForm(AdminForm):
    sp2d_number = StringField(_l("SP2D number"))
    sp2d_date = DateField(_l("SP2D date"), validators=[Optional()])
    bank_code = StringField(_l("Bank"))
    case_ids = SelectMultipleField(_l("Cases to pay"), coerce=int, validators=[Optional()])

    def fill_choices(self) -> None:
        payable = select(Case).where(
            Case.state.in_([CaseState.DECREED.value, CaseState.PROCUREMENT.value]),
            ~_covered(Case.id),
            exists().where(BeneficiaryAccount.case_id == Case.id),
            ~exists().where(
                Payment.case_id == Case.id,
                Payment.status.in_([PaymentStatus.PENDING.value, PaymentStatus.PAID.value]),
            ),
        )
        self.case_ids.choices = _case_choices(payable)


class PaymentBatchView(_CreateOnlyView):
    read_action = "payment.read"
    edit_action = "payment.write"
    endpoint_actions = {"export_view": "payment.write", "import_view": "payment.write"}
    details_template = "admin/payment_batch_details.html"
    column_list = ("sp2d_number", "sp2d_date", "bank_code", "created_at")
    column_default_sort = ("id", True)
    column_filters = ("sp2d_date", "bank_code")
    column_labels = {
        "sp2d_number": _l("SP2D number"),
        "sp2d_date": _l("SP2D date"),
        "bank_code": _l("Bank"),
        "created_at": _l("Created at"),
    }

    def get_create_form(self) -> Any:
        return BatchForm

    def create_model(self, form: Any) -> Any:
        data = BatchInput(
            sp2d_number=form.sp2d_number.data or "",
            sp2d_date=form.sp2d_date.data,
            bank_code=form.bank_code.data or "",
            case_ids=list(form.case_ids.data or []),
        )
        try:
            batch = disbursement.create_payment_batch(db.current(), data, actor=require_actor())
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form)
            return False
        return batch

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and kwargs.get("model") is not None:
            batch = kwargs["model"]
            actor = require_actor()
            kwargs.update(
                batch=batch,
                payments=[p for p in batch.payments if actor.covers(p.case.regency_code)],
                status_labels={
                    s.value: gettext(label) for s, label in PAYMENT_STATUS_LABELS.items()
                },
                rupiah=rupiah,
                may_pay=self.may_edit,
            )
        return super().render(template, **kwargs)

    def _batch(self, batch_id: int) -> PaymentBatch:
        batch = db.current().get(PaymentBatch, batch_id)
        if batch is None:
            raise NotFound()
        return batch

    @expose("/<int:batch_id>/transfer.csv")
    def export_view(self, batch_id: int) -> ResponseReturnValue:
        if not self.may_edit:
            return self.inaccessible_callback("export_view")
        text = disbursement.export_transfer_file(self._batch(batch_id))
        response = Response(text, mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="transfer-{batch_id}.csv"'
        return response

    @expose("/<int:batch_id>/results", methods=("POST",))
    def import_view(self, batch_id: int) -> ResponseReturnValue:
        upload = request.files.get("file")
        try:
            result = disbursement.import_bank_results(
                db.current(),
                self._batch(batch_id),
                upload.read() if upload else b"",
                actor=require_actor(),
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error)
        else:
            flash(
                gettext(
                    "Bank results applied: %(paid)s paid, %(failed)s failed, %(same)s unchanged.",
                    paid=len(result.paid),
                    failed=len(result.failed),
                    same=len(result.unchanged),
                )
            )
        return redirect(self.get_url(".details_view", id=batch_id))


def add_disbursement_views(admin: Admin) -> None:
    """Decrees and the disbursement screens, under one menu category."""
    from admin.decrees import DecreeView

    category = _l("Disbursement")
    for view in (
        DecreeView(Decree, name=_l("Decrees"), endpoint="decree", category=category),
        ProcurementView(
            Procurement, name=_l("Procurement"), endpoint="procurement", category=category
        ),
        HandoverView(Handover, name=_l("Handovers (BAST)"), endpoint="handover", category=category),
        BeneficiaryAccountView(
            BeneficiaryAccount,
            name=_l("Bank accounts"),
            endpoint="beneficiaryaccount",
            category=category,
        ),
        PaymentBatchView(
            PaymentBatch, name=_l("Payment batches"), endpoint="paymentbatch", category=category
        ),
    ):
        admin.add_view(view)
