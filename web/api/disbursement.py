"""Procurement and BAST handover (goods); accounts, payment batches and bank files (cash).

Writes that deliver or pay take an ``Idempotency-Key`` header: a replay with the same key
returns the first answer and does nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Response, current_app, jsonify, request, send_file
from flask_babel import gettext
from flask_smorest.fields import Upload
from marshmallow import fields
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casework.errors import NotFound
from casework.models.case import Case
from casework.models.disbursement import (
    PAYMENT_STATUS_LABELS,
    BeneficiaryAccount,
    Handover,
    Payment,
    PaymentBatch,
    PaymentStatus,
    Procurement,
)
from casework.models.user import Role
from casework.services import disbursement
from casework.services.access import get_scoped, require_role
from casework.services.disbursement import (
    FINANCE,
    BatchInput,
    HandoverInput,
    ProcurementInput,
    ProcurementItemInput,
)
from casework.storage import DocumentStore
from web.api.base import current_actor, make_blueprint, paginate, requires
from web.api.schemas import PageArgsSchema, enum_values, page_of
from web.db import db

bp = make_blueprint(
    "disbursement",
    "Procurement, handover records (BAST), bank accounts and payment batches.",
    personal_data=True,
)

BINARY = {"type": "string", "format": "binary"}
IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": IDEMPOTENCY_KEY,
            "required": False,
            "schema": {"type": "string", "maxLength": 120},
            "description": "A replay with the same key returns the first answer, does nothing.",
        }
    ]
}
BATCH_READERS = FINANCE | {Role.AUDITOR}


# --- schemas -----------------------------------------------------------------------------


class ProcurementItemSchema(ma.Schema):
    name = fields.String(load_default="")
    quantity = fields.Integer(required=True)
    unit_price = fields.Integer(required=True, metadata={"description": "Rupiah."})


class ProcurementInSchema(ma.Schema):
    vendor = fields.String(load_default="")
    contract_number = fields.String(load_default="")
    contract_date = fields.Date(load_default=None, allow_none=True)
    items = fields.List(fields.Nested(ProcurementItemSchema), load_default=list)
    case_ids = fields.List(fields.Integer(), load_default=list)

    @ma.post_load
    def _to_input(self, data: dict[str, Any], **_kwargs: Any) -> ProcurementInput:
        items = [ProcurementItemInput(**item) for item in data.pop("items")]
        return ProcurementInput(items=items, **data)


class ProcurementSchema(ma.Schema):
    id = fields.Integer()
    vendor = fields.String()
    contract_number = fields.String()
    contract_date = fields.Date()
    total = fields.Integer(metadata={"description": "Rupiah."})
    items = fields.List(fields.Nested(ProcurementItemSchema))
    case_ids = fields.Function(
        lambda p: [c.case_id for c in p.cases],
        metadata={"type": "array", "items": {"type": "integer"}},
    )
    recorded_at = fields.DateTime()


ProcurementPageSchema = page_of(ProcurementSchema, "ProcurementPage")


class HandoverInSchema(ma.Schema):
    handed_over_on = fields.Date(load_default=None, allow_none=True)
    place = fields.String(load_default="")
    receiver_name = fields.String(load_default="")
    photo = Upload(load_default=None, metadata={"description": "JPG, PNG or PDF of the BAST."})


class HandoverSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    handed_over_on = fields.Date()
    place = fields.String()
    receiver_name = fields.String()
    photo_content_type = fields.String()
    recorded_at = fields.DateTime()


class AccountInSchema(ma.Schema):
    bank_code = fields.String(load_default="")
    account_number = fields.String(load_default="")
    holder_name = fields.String(load_default="")


class AccountSchema(ma.Schema):
    case_id = fields.Integer()
    bank_code = fields.String()
    account_number_masked = fields.String(attribute="masked_number")
    holder_name = fields.String()
    updated_at = fields.DateTime()


class BatchInSchema(ma.Schema):
    sp2d_number = fields.String(load_default="")
    sp2d_date = fields.Date(load_default=None, allow_none=True)
    bank_code = fields.String(load_default="")
    case_ids = fields.List(fields.Integer(), load_default=list)

    @ma.post_load
    def _to_input(self, data: dict[str, Any], **_kwargs: Any) -> BatchInput:
        return BatchInput(**data)


class PaymentSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    reference = fields.String()
    amount = fields.Integer(metadata={"description": "Rupiah."})
    bank_code = fields.String()
    account_number_masked = fields.String(attribute="masked_account")
    holder_name = fields.String()
    status = fields.String(metadata=enum_values(PaymentStatus))
    status_label = fields.Function(
        lambda p: gettext(PAYMENT_STATUS_LABELS[PaymentStatus(p.status)]),
        metadata={"type": "string"},
    )
    failure_reason = fields.String()
    settled_at = fields.DateTime(allow_none=True)


class BatchSummarySchema(ma.Schema):
    id = fields.Integer()
    sp2d_number = fields.String()
    sp2d_date = fields.Date()
    bank_code = fields.String()
    created_at = fields.DateTime()


class BatchSchema(BatchSummarySchema):
    payments = fields.Function(
        lambda b: PaymentSchema(many=True).dump(_visible_payments(b)),
        metadata={"type": "array", "items": {"type": "object"}},
    )
    total = fields.Function(
        lambda b: sum(p.amount for p in _visible_payments(b)),
        metadata={"type": "integer", "description": "Rupiah of the payments shown."},
    )


BatchPageSchema = page_of(BatchSummarySchema, "PaymentBatchPage")


class ResultsInSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "The bank's result CSV."})


class ImportResultSchema(ma.Schema):
    paid = fields.List(fields.String())
    failed = fields.List(fields.String())
    unchanged = fields.List(fields.String())


# --- helpers -----------------------------------------------------------------------------


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["UPLOAD_DIR"], current_app.config["MAX_UPLOAD_BYTES"])


def _case(case_id: int) -> Case:
    return get_scoped(db.current(), Case, case_id, current_actor())


def _visible_payments(batch: PaymentBatch) -> list[Payment]:
    actor = current_actor()
    return [p for p in batch.payments if actor.covers(p.case.regency_code)]


def _batch(batch_id: int) -> PaymentBatch:
    require_role(current_actor(), BATCH_READERS)
    stmt = (
        select(PaymentBatch)
        .where(PaymentBatch.id == batch_id)
        .options(selectinload(PaymentBatch.payments).selectinload(Payment.case))
    )
    batch = db.current().scalars(stmt).first()
    if batch is None:
        raise NotFound()
    return batch


def _idempotent(scope: str, run: Callable[[], tuple[int, dict[str, Any]]]) -> Response:
    """Run the write once per Idempotency-Key (per caller); a replay gets the first answer."""
    actor = current_actor()
    key = request.headers.get(IDEMPOTENCY_KEY)
    status, body = disbursement.replay_or_run(db.current(), key, f"{scope}:u{actor.id}", run)
    response = jsonify(body)
    response.status_code = status
    return response


# --- goods -------------------------------------------------------------------------------


@bp.get("/procurements")
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, ProcurementPageSchema)
@requires("procurement.read")
def list_procurements(args: dict[str, Any]) -> dict[str, Any]:
    """Procurement records, newest first."""
    stmt = select(Procurement).options(
        selectinload(Procurement.items), selectinload(Procurement.cases)
    )
    return paginate(stmt.order_by(Procurement.id.desc()), args["page"], args["per_page"])


@bp.get("/procurements/<int:procurement_id>")
@bp.response(200, ProcurementSchema)
@requires("procurement.read")
def get_procurement(procurement_id: int) -> Procurement:
    """One procurement record with its items and cases."""
    procurement = db.current().get(Procurement, procurement_id)
    if procurement is None:
        raise NotFound()
    return procurement


@bp.post("/procurements")
@bp.arguments(ProcurementInSchema)
@bp.response(201, ProcurementSchema)
@bp.doc(**IDEMPOTENCY_DOC)
@requires("procurement.write")
def create_procurement(data: ProcurementInput) -> Response:
    """Record a procurement contract (vendor, items, prices) for decreed cases and move them
    to procurement (finance, managers)."""

    def run() -> tuple[int, dict[str, Any]]:
        procurement = disbursement.record_procurement(db.current(), data, actor=current_actor())
        return 201, ProcurementSchema().dump(procurement)

    return _idempotent("procurement", run)


@bp.get("/cases/<int:case_id>/handover")
@bp.response(200, HandoverSchema)
@requires("handover.read")
def get_handover(case_id: int) -> Handover:
    """The handover record (BAST) of a case."""
    return _handover_of(case_id)


def _handover_of(case_id: int) -> Handover:
    case = _case(case_id)
    handover = db.current().scalars(select(Handover).where(Handover.case_id == case.id)).first()
    if handover is None:
        raise NotFound()
    return handover


@bp.post("/cases/<int:case_id>/handover")
@bp.arguments(HandoverInSchema, location="form_and_files")
@bp.response(201, HandoverSchema)
@bp.doc(**IDEMPOTENCY_DOC)
@requires("handover.write")
def record_handover(data: dict[str, Any], case_id: int) -> Response:
    """Record the BAST of a case in procurement (multipart, with a photo): delivered, once."""
    case = _case(case_id)
    photo = data.pop("photo")

    def run() -> tuple[int, dict[str, Any]]:
        handover = disbursement.record_handover(
            db.current(),
            case,
            HandoverInput(photo=photo.read() if photo else b"", **data),
            store=_store(),
            actor=current_actor(),
        )
        return 201, HandoverSchema().dump(handover)

    return _idempotent(f"handover:{case.id}", run)


@bp.get("/cases/<int:case_id>/handover/photo")
@bp.response(200, BINARY, content_type="application/octet-stream")
@requires("handover.read")
def download_handover_photo(case_id: int) -> Response:
    """The photo of the handover."""
    handover = _handover_of(case_id)
    return send_file(
        _store().path(handover.photo_stored_name),
        mimetype=handover.photo_content_type,
        as_attachment=True,
        download_name=f"bast-{case_id}-{handover.photo_stored_name}",
    )


# --- cash --------------------------------------------------------------------------------


def _account_of(case: Case) -> BeneficiaryAccount:
    stmt = select(BeneficiaryAccount).where(BeneficiaryAccount.case_id == case.id)
    account = db.current().scalars(stmt).first()
    if account is None:
        raise NotFound()
    return account


@bp.get("/cases/<int:case_id>/account")
@bp.response(200, AccountSchema)
@requires("account.read")
def get_account(case_id: int) -> BeneficiaryAccount:
    """The bank account the case is paid to (number masked)."""
    return _account_of(_case(case_id))


@bp.put("/cases/<int:case_id>/account")
@bp.arguments(AccountInSchema)
@bp.response(200, AccountSchema)
@requires("account.write")
def set_account(data: dict[str, Any], case_id: int) -> BeneficiaryAccount:
    """Record or correct the case's bank account (not while a payment is pending or done)."""
    return disbursement.set_account(db.current(), _case(case_id), actor=current_actor(), **data)


@bp.get("/payment-batches")
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, BatchPageSchema)
@requires("payment.read")
def list_batches(args: dict[str, Any]) -> dict[str, Any]:
    """Payment batches, newest first (finance, managers, auditors)."""
    require_role(current_actor(), BATCH_READERS)
    stmt = select(PaymentBatch).order_by(PaymentBatch.id.desc())
    return paginate(stmt, args["page"], args["per_page"])


@bp.post("/payment-batches")
@bp.arguments(BatchInSchema)
@bp.response(201, BatchSchema)
@bp.doc(**IDEMPOTENCY_DOC)
@requires("payment.write")
def create_batch(data: BatchInput) -> Response:
    """A batch under one SP2D paying decreed cases, or retrying failed payments, once each."""

    def run() -> tuple[int, dict[str, Any]]:
        batch = disbursement.create_payment_batch(db.current(), data, actor=current_actor())
        return 201, BatchSchema().dump(batch)

    return _idempotent("payment-batch", run)


@bp.get("/payment-batches/<int:batch_id>")
@bp.response(200, BatchSchema)
@requires("payment.read")
def get_batch(batch_id: int) -> PaymentBatch:
    """One batch with its payments (accounts masked) of the caller's region."""
    return _batch(batch_id)


@bp.get("/payment-batches/<int:batch_id>/transfer-file")
@bp.response(200, {"type": "string"}, content_type="text/csv")
@requires("payment.write")
def export_transfer_file(batch_id: int) -> Response:
    """The bank transfer CSV of the batch's pending payments (finance, managers)."""
    require_role(current_actor(), FINANCE)
    batch = _batch(batch_id)
    text = disbursement.export_transfer_file(batch)
    response = Response(text, mimetype="text/csv")
    name = f"transfer-{batch.id}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.post("/payment-batches/<int:batch_id>/results")
@bp.arguments(ResultsInSchema, location="form_and_files")
@bp.response(200, ImportResultSchema)
@bp.doc(**IDEMPOTENCY_DOC)
@requires("payment.write")
def import_results(data: dict[str, Any], batch_id: int) -> Response:
    """Apply the bank's result file: paid cases are delivered, failed ones wait for a retry.

    A line already applied changes nothing, so a file imported twice pays once.
    """
    batch = _batch(batch_id)
    content = data["file"].read()

    def run() -> tuple[int, dict[str, Any]]:
        result = disbursement.import_bank_results(
            db.current(), batch, content, actor=current_actor()
        )
        return 200, ImportResultSchema().dump(result)

    return _idempotent(f"bank-results:{batch.id}", run)
