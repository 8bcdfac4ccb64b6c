"""Procurement and handover (goods), payment batches and bank results (cash).

A case is delivered or paid at most once: the database says so (unique BAST per case,
unique successful payment per case) and the services refuse before it has to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework import clock
from casework.bankfiles import TransferLine, parse_results, transfer_csv
from casework.errors import (
    Duplicate,
    FieldErrors,
    GuardFailed,
    NotAllowed,
    ValidationError,
    field_error,
)
from casework.i18n import N_
from casework.models.case import Case, CaseState
from casework.models.disbursement import (
    BeneficiaryAccount,
    Handover,
    IdempotentRequest,
    Payment,
    PaymentBatch,
    PaymentStatus,
    Procurement,
    ProcurementCase,
    ProcurementItem,
)
from casework.models.user import Role, User
from casework.services.access import require_region, require_role, scoped
from casework.services.decrees import issued_entry_for
from casework.storage import DocumentStore

FINANCE = frozenset({Role.FINANCE, Role.MANAGER})
HANDOVER_ROLES = frozenset({Role.CASEWORKER, Role.FINANCE, Role.MANAGER})


def has_procurement_or_payment(session: Session, case_id: int) -> bool:
    """The case is covered by a procurement record or has a payment in a batch."""
    return bool(
        session.scalar(
            select(
                exists().where(ProcurementCase.case_id == case_id)
                | exists().where(Payment.case_id == case_id)
            )
        )
    )


def has_handover_or_payment(session: Session, case_id: int) -> bool:
    """The case has a handover record (BAST) or a successful payment."""
    return bool(
        session.scalar(
            select(
                exists().where(Handover.case_id == case_id)
                | exists().where(Payment.paid_case_id == case_id)
            )
        )
    )


# --- goods -------------------------------------------------------------------------------


@dataclass
class ProcurementItemInput:
    name: str
    quantity: int
    unit_price: int


@dataclass
class ProcurementInput:
    vendor: str
    contract_number: str
    contract_date: date | None
    items: list[ProcurementItemInput]
    case_ids: list[int]


def _decreed_cases(
    session: Session, ids: list[int], actor: User, errors: FieldErrors, field_name: str
) -> dict[int, Case]:
    found = {
        c.id: c for c in session.scalars(scoped(select(Case).where(Case.id.in_(ids)), Case, actor))
    }
    if not ids:
        errors.add(field_name, N_("Choose at least one case."))
    for case_id in ids:
        case = found.get(case_id)
        if case is None:
            errors.add(field_name, N_("Case %(id)s was not found."), id=case_id)
        elif case.state != CaseState.DECREED.value:
            errors.add(field_name, N_("Case %(number)s is not decreed."), number=case.number)
        elif has_procurement_or_payment(session, case_id):
            errors.add(
                field_name,
                N_("Case %(number)s is already covered by a procurement or payment."),
                number=case.number,
            )
    return found


def _check_procurement(session: Session, data: ProcurementInput, errors: FieldErrors) -> None:
    if not data.vendor.strip():
        errors.add("vendor", N_("This field is required."))
    if not data.contract_number.strip():
        errors.add("contract_number", N_("This field is required."))
    elif session.scalar(
        select(exists().where(Procurement.contract_number == data.contract_number.strip()))
    ):
        errors.add("contract_number", N_("This contract number is already recorded."))
    if data.contract_date is None:
        errors.add("contract_date", N_("This field is required."))
    elif data.contract_date > clock.today_wita():
        errors.add("contract_date", N_("The date cannot be in the future."))
    if not data.items:
        errors.add("items", N_("List at least one item of the package."))
    for i, item in enumerate(data.items):
        if not item.name.strip():
            errors.add(f"items-{i}-name", N_("This field is required."))
        if item.quantity < 1:
            errors.add(f"items-{i}-quantity", N_("The quantity must be at least 1."))
        if item.unit_price < 0:
            errors.add(f"items-{i}-unit_price", N_("The price cannot be negative."))


def record_procurement(
    session: Session, data: ProcurementInput, *, actor: User, start: bool = True
) -> Procurement:
    """Record a procurement contract for decreed cases and start their procurement.

    Every case must be decreed, in the actor's region and not yet covered; the contract
    date may not be in the future; items have a quantity ≥ 1 and a price ≥ 0.
    """

    require_role(actor, FINANCE)
    errors = FieldErrors()
    _check_procurement(session, data, errors)
    ids = sorted(set(data.case_ids))
    _decreed_cases(session, ids, actor, errors, "case_ids")
    errors.raise_if_any()
    assert data.contract_date is not None
    procurement = Procurement(
        vendor=data.vendor.strip(),
        contract_number=data.contract_number.strip(),
        contract_date=data.contract_date,
        total=sum(i.quantity * i.unit_price for i in data.items),
        recorded_by_id=actor.id,
        recorded_at=clock.now(),
        items=[
            ProcurementItem(name=i.name.strip(), quantity=i.quantity, unit_price=i.unit_price)
            for i in data.items
        ],
        cases=[ProcurementCase(case_id=i) for i in ids],
    )
    session.add(procurement)
    session.flush()
    if start:
        _move_all(session, ids, "start_procurement", actor)
    return procurement


def _move_all(session: Session, ids: list[int], trigger: str, actor: User) -> None:
    """Advance every case or raise the first refusal (the boundary then rolls back)."""
    from workflows.engine import advance_many

    result = advance_many(session, ids, trigger, actor=actor)
    if result.refused:
        raise next(iter(result.refused.values()))


@dataclass
class HandoverInput:
    handed_over_on: date | None
    place: str
    receiver_name: str
    photo: bytes = b""


def record_handover(
    session: Session,
    case: Case,
    data: HandoverInput,
    *,
    store: DocumentStore,
    actor: User,
    deliver: bool = True,
) -> Handover:
    """Record the BAST of a case's goods (with a photo) and mark the case delivered.

    The date lies between the decree date and today; a case has at most one BAST.
    """
    from workflows.engine import advance

    require_role(actor, HANDOVER_ROLES)
    require_region(actor, case.regency_code)
    if session.scalar(select(exists().where(Handover.case_id == case.id))):
        raise Duplicate(N_("A handover record already exists for this case."))
    errors = FieldErrors()
    _check_handover(session, case, data, errors)
    try:
        store.check(data.photo, field="photo")
    except ValidationError as exc:  # collected with the other field errors
        errors.absorb(exc)
    errors.raise_if_any()
    assert data.handed_over_on is not None
    stored = store.save(data.photo, field="photo")
    handover = Handover(
        case_id=case.id,
        handed_over_on=data.handed_over_on,
        place=data.place.strip(),
        receiver_name=data.receiver_name.strip(),
        photo_stored_name=stored.stored_name,
        photo_content_type=stored.content_type,
        photo_sha256=stored.sha256,
        recorded_by_id=actor.id,
        recorded_at=clock.now(),
    )
    session.add(handover)
    try:
        session.flush()
        if deliver:
            advance(session, case, "record_delivery", actor=actor)
    except Exception:
        store.discard(stored.stored_name)
        raise
    return handover


def _check_handover(session: Session, case: Case, data: HandoverInput, errors: FieldErrors) -> None:
    if case.state != CaseState.PROCUREMENT.value:
        raise GuardFailed("handover_recorded", N_("The case is not in procurement."))
    if not data.place.strip():
        errors.add("place", N_("This field is required."))
    if not data.receiver_name.strip():
        errors.add("receiver_name", N_("This field is required."))
    entry = issued_entry_for(session, case.id)
    when = data.handed_over_on
    if when is None:
        errors.add("handed_over_on", N_("This field is required."))
    elif when > clock.today_wita():
        errors.add("handed_over_on", N_("The date cannot be in the future."))
    elif entry is not None and when < entry.decree.decree_date:
        errors.add("handed_over_on", N_("The handover cannot be before the decree date."))


# --- cash --------------------------------------------------------------------------------


def set_account(
    session: Session,
    case: Case,
    *,
    bank_code: str,
    account_number: str,
    holder_name: str,
    actor: User,
) -> BeneficiaryAccount:
    """Record or correct the bank account a case is paid to (not while a payment is pending)."""
    require_role(actor, FINANCE | {Role.CASEWORKER})
    require_region(actor, case.regency_code)
    errors = FieldErrors()
    number = account_number.replace(" ", "").replace("-", "")
    if not bank_code.strip() or len(bank_code.strip()) > 20:
        errors.add("bank_code", N_("This field is required."))
    if not (number.isdigit() and 6 <= len(number) <= 20):
        errors.add("account_number", N_("An account number has 6 to 20 digits."))
    if not holder_name.strip():
        errors.add("holder_name", N_("This field is required."))
    errors.raise_if_any()
    if _payment_of(session, case.id, PaymentStatus.PENDING, PaymentStatus.PAID) is not None:
        raise NotAllowed(N_("The account cannot change while a payment is pending or done."))
    account = session.scalars(
        select(BeneficiaryAccount).where(BeneficiaryAccount.case_id == case.id)
    ).first()
    if account is None:
        account = BeneficiaryAccount(case_id=case.id)
        session.add(account)
    account.bank_code = bank_code.strip().upper()
    account.account_number = number
    account.holder_name = holder_name.strip()
    account.updated_at = clock.now()
    session.flush()
    return account


def _payment_of(session: Session, case_id: int, *statuses: PaymentStatus) -> Payment | None:
    return session.scalars(
        select(Payment).where(
            Payment.case_id == case_id, Payment.status.in_([s.value for s in statuses])
        )
    ).first()


@dataclass
class BatchInput:
    sp2d_number: str
    sp2d_date: date | None
    bank_code: str
    case_ids: list[int] = field(default_factory=list)


def create_payment_batch(session: Session, data: BatchInput, *, actor: User) -> PaymentBatch:
    """A batch under one SP2D paying decreed cases (or retrying failed ones) once each.

    Each case needs a bank account, a positive decreed amount, and no pending or
    successful payment; decreed cases move to procurement (disbursement under way).
    """
    require_role(actor, FINANCE)
    errors = FieldErrors()
    _check_batch(session, data, errors)
    ids = sorted(set(data.case_ids))
    cases = _payable_cases(session, ids, actor, errors)
    errors.raise_if_any()
    assert data.sp2d_date is not None
    batch = PaymentBatch(
        sp2d_number=data.sp2d_number.strip(),
        sp2d_date=data.sp2d_date,
        bank_code=data.bank_code.strip().upper(),
        created_by_id=actor.id,
        created_at=clock.now(),
    )
    session.add(batch)
    session.flush()
    for case_id, (amount, account) in cases.items():
        batch.payments.append(
            Payment(
                case_id=case_id,
                reference=f"BRD{batch.id:06d}C{case_id:09d}",
                amount=amount,
                bank_code=account.bank_code,
                account_number=account.account_number,
                holder_name=account.holder_name,
            )
        )
    session.flush()
    decreed = [i for i in ids if session.get(Case, i).state == CaseState.DECREED.value]  # type: ignore[union-attr]
    if decreed:
        _move_all(session, decreed, "start_procurement", actor)
    return batch


def _check_batch(session: Session, data: BatchInput, errors: FieldErrors) -> None:
    if not data.sp2d_number.strip():
        errors.add("sp2d_number", N_("This field is required."))
    elif session.scalar(
        select(exists().where(PaymentBatch.sp2d_number == data.sp2d_number.strip()))
    ):
        errors.add("sp2d_number", N_("This SP2D number is already used by a batch."))
    if data.sp2d_date is None:
        errors.add("sp2d_date", N_("This field is required."))
    elif data.sp2d_date > clock.today_wita():
        errors.add("sp2d_date", N_("The date cannot be in the future."))
    if not data.bank_code.strip():
        errors.add("bank_code", N_("This field is required."))


def _payable_cases(
    session: Session, ids: list[int], actor: User, errors: FieldErrors
) -> dict[int, tuple[int, BeneficiaryAccount]]:
    found = {
        c.id: c for c in session.scalars(scoped(select(Case).where(Case.id.in_(ids)), Case, actor))
    }
    if not ids:
        errors.add("case_ids", N_("Choose at least one case."))
    payable: dict[int, tuple[int, BeneficiaryAccount]] = {}
    for case_id in ids:
        case = found.get(case_id)
        if case is None:
            errors.add("case_ids", N_("Case %(id)s was not found."), id=case_id)
            continue
        problem = _why_not_payable(session, case)
        if problem is not None:
            errors.add("case_ids", problem, number=case.number)
            continue
        entry = issued_entry_for(session, case_id)
        account = session.scalars(
            select(BeneficiaryAccount).where(BeneficiaryAccount.case_id == case_id)
        ).first()
        assert entry is not None and account is not None
        payable[case_id] = (entry.amount, account)
    return payable


def _why_not_payable(session: Session, case: Case) -> str | None:
    entry = issued_entry_for(session, case.id)
    if entry is None or entry.revoked:
        return N_("Case %(number)s is not in an issued decree.")
    if entry.amount <= 0:
        return N_("Case %(number)s has no amount to pay.")
    retry = case.state == CaseState.PROCUREMENT.value and _payment_of(
        session, case.id, PaymentStatus.FAILED
    )
    if case.state != CaseState.DECREED.value and not retry:
        return N_("Case %(number)s is not waiting for payment.")
    if session.scalar(select(exists().where(ProcurementCase.case_id == case.id))):
        return N_("Case %(number)s receives goods, not cash.")
    if _payment_of(session, case.id, PaymentStatus.PENDING, PaymentStatus.PAID) is not None:
        return N_("Case %(number)s already has a pending or successful payment.")
    if not session.scalar(select(exists().where(BeneficiaryAccount.case_id == case.id))):
        return N_("Case %(number)s has no bank account.")
    return None


def export_transfer_file(batch: PaymentBatch) -> str:
    """The bank transfer CSV of the batch's pending payments."""
    return transfer_csv(
        TransferLine(p.reference, p.bank_code, p.account_number, p.holder_name, p.amount)
        for p in batch.payments
        if p.status == PaymentStatus.PENDING.value
    )


@dataclass
class ImportResult:
    paid: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def import_bank_results(
    session: Session, batch: PaymentBatch, content: bytes, *, actor: User
) -> ImportResult:
    """Apply a bank result file to the batch; a line already applied changes nothing.

    Every line is checked before anything is written: malformed lines, references not in
    the batch and results contradicting an earlier import give field errors.
    """
    require_role(actor, FINANCE)
    lines = parse_results(content)
    payments = {p.reference: p for p in batch.payments}
    errors = FieldErrors()
    for line in lines:
        payment = payments.get(line.reference)
        if payment is None:
            errors.add("file", N_("Reference %(ref)s is not in this batch."), ref=line.reference)
        elif (
            payment.status != PaymentStatus.PENDING.value
            and (payment.status == PaymentStatus.PAID.value) != line.ok
        ):
            errors.add(
                "file",
                N_("Reference %(ref)s was already settled differently."),
                ref=line.reference,
            )
        elif not actor.covers(payment.case.regency_code):
            errors.add("file", N_("Reference %(ref)s is not in this batch."), ref=line.reference)
    errors.raise_if_any()
    result = ImportResult()
    for line in lines:
        _settle(session, payments[line.reference], line.ok, line.reason, actor, result)
    session.flush()
    return result


def _settle(
    session: Session, payment: Payment, ok: bool, reason: str, actor: User, result: ImportResult
) -> None:
    from workflows.engine import advance

    if payment.status != PaymentStatus.PENDING.value:
        result.unchanged.append(payment.reference)
        return
    payment.settled_at = clock.now()
    if not ok:
        payment.status = PaymentStatus.FAILED.value
        payment.failure_reason = reason
        result.failed.append(payment.reference)
        return
    payment.status = PaymentStatus.PAID.value
    payment.paid_case_id = payment.case_id
    session.flush()  # the unique constraint speaks before anything else happens
    advance(session, payment.case, "record_delivery", actor=actor)
    _realise(session, payment.case, actor)
    result.paid.append(payment.reference)


def _realise(session: Session, case: Case, actor: User) -> None:
    """Realise the case's budget commitment unless the delivery transition already does."""
    from workflows.engine import definition_for

    transition = definition_for(case).transition("record_delivery", CaseState.PROCUREMENT.value)
    if transition is not None and "realise_pokir_budget" in transition.effects:
        return
    try:
        from casework.services import budget  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # the budget module is not there (yet)
        return
    budget.realise_for_case(session, case, actor=actor)


# --- idempotency -------------------------------------------------------------------------


def replay_or_run(
    session: Session,
    key: str | None,
    scope: str,
    run: Callable[[], tuple[int, dict[str, object]]],
) -> tuple[int, dict[str, object]]:
    """Run a request once per Idempotency-Key: a replay returns the first answer stored."""
    if not key:
        return run()
    key = key.strip()[:120]
    if not key:
        return run()
    stored = session.scalars(select(IdempotentRequest).where(IdempotentRequest.key == key)).first()
    if stored is not None:
        if stored.scope != scope:
            raise field_error("Idempotency-Key", N_("This key was used for another request."))
        return stored.status, stored.body
    # Claim the key before the work: a concurrent twin blocks on the unique key, then fails
    # here without doing anything (and finds the first answer when it retries).
    record = IdempotentRequest(key=key, scope=scope, status=0, body={}, at=clock.now())
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        raise Duplicate(
            N_("A request with this Idempotency-Key is being processed; retry in a moment.")
        ) from None
    status, body = run()
    record.status, record.body = status, body
    session.flush()
    return status, body
