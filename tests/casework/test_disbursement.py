"""Goods (procurement, BAST) and cash (batches, bank results): delivered or paid once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from casework import clock
from casework.errors import Duplicate, GuardFailed, NotAllowed, ValidationError
from casework.models import Payment
from casework.services.decrees import add_cases, create_decree, issue_decree
from casework.services.demo import SAMPLE_JPEG
from casework.services.disbursement import (
    BatchInput,
    HandoverInput,
    ProcurementInput,
    ProcurementItemInput,
    create_payment_batch,
    export_transfer_file,
    import_bank_results,
    record_handover,
    record_procurement,
    set_account,
)
from tests import factories
from tests.casework.test_decrees import decree_input
from workflows.engine import advance


def decreed(session, users, store, n=1):
    cases = [factories.case_in_state(session, users, store, "approved") for _ in range(n)]
    decree = create_decree(session, decree_input(session), actor=users["manager"])
    add_cases(session, decree, [c.id for c in cases], actor=users["manager"])
    issue_decree(session, decree, actor=users["manager"])
    session.expire_all()
    return cases


def procurement_input(case_ids, **overrides) -> ProcurementInput:
    values = dict(
        vendor="CV Maju Bersama",
        contract_number="027/KONTRAK/DINSOS/2026",
        contract_date=clock.today_wita(),
        items=[ProcurementItemInput("Mesin jahit", 1, 2_750_000)],
        case_ids=case_ids,
    )
    values.update(overrides)
    return ProcurementInput(**values)


def bast(**overrides) -> HandoverInput:
    values = dict(
        handed_over_on=clock.today_wita(),
        place="Kantor Desa Liang",
        receiver_name="Siti",
        photo=SAMPLE_JPEG,
    )
    values.update(overrides)
    return HandoverInput(**values)


def test_goods_go_from_procurement_to_delivered_with_a_bast(session, users, store):
    cases = decreed(session, users, store, 2)
    procurement = record_procurement(
        session, procurement_input([c.id for c in cases]), actor=users["finance"]
    )
    assert procurement.total == 2_750_000
    assert [c.state for c in cases] == ["procurement"] * 2
    handover = record_handover(session, cases[0], bast(), store=store, actor=users["caseworker"])
    assert cases[0].state == "delivered"
    assert store.path(handover.photo_stored_name).read_bytes() == SAMPLE_JPEG


def test_start_procurement_is_refused_without_a_procurement_record(session, users, store):
    case = decreed(session, users, store)[0]
    with pytest.raises(GuardFailed) as refused:
        advance(session, case, "start_procurement", actor=users["finance"])
    assert refused.value.rule == "procurement_recorded"


def test_record_delivery_is_refused_without_a_bast(session, users, store):
    case = decreed(session, users, store)[0]
    record_procurement(session, procurement_input([case.id]), actor=users["finance"])
    with pytest.raises(GuardFailed) as refused:
        advance(session, case, "record_delivery", actor=users["finance"])
    assert refused.value.rule == "handover_recorded"


def test_a_case_is_delivered_at_most_once(session, users, store):
    case = decreed(session, users, store)[0]
    record_procurement(session, procurement_input([case.id]), actor=users["finance"])
    record_handover(session, case, bast(), store=store, actor=users["caseworker"])
    with pytest.raises(Duplicate):
        record_handover(session, case, bast(), store=store, actor=users["caseworker"])


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"vendor": " ", "contract_number": ""}, {"vendor", "contract_number"}),
        (
            {"items": [ProcurementItemInput("Mesin", 0, -1)]},
            {"items-0-quantity", "items-0-unit_price"},
        ),
        ({"contract_date": clock.today_wita() + timedelta(days=3)}, {"contract_date"}),
        ({"case_ids": [999_999]}, {"case_ids"}),
    ],
)
def test_a_bad_procurement_writes_nothing(session, users, store, overrides, fields):
    case = decreed(session, users, store)[0]
    data = procurement_input([case.id])
    for key, value in overrides.items():
        setattr(data, key, value)
    with pytest.raises(ValidationError) as error:
        record_procurement(session, data, actor=users["finance"])
    assert fields <= set(error.value.fields)
    session.expire_all()
    assert case.state == "decreed"


def test_a_bast_dated_before_the_decree_or_in_the_future_is_refused(session, users, store):
    case = decreed(session, users, store)[0]
    record_procurement(session, procurement_input([case.id]), actor=users["finance"])
    for day in (clock.today_wita() - timedelta(days=1), clock.today_wita() + timedelta(days=1)):
        with pytest.raises(ValidationError) as error:
            record_handover(
                session, case, bast(handed_over_on=day), store=store, actor=users["caseworker"]
            )
        assert "handed_over_on" in error.value.fields
    with pytest.raises(ValidationError) as error:
        record_handover(
            session,
            case,
            bast(photo=b"MZ not a photo", place=""),
            store=store,
            actor=users["caseworker"],
        )
    assert {"photo", "place"} <= set(error.value.fields)
    assert case.state == "procurement"


def paid_batch(session, users, store, n=2):
    cases = decreed(session, users, store, n)
    for i, case in enumerate(cases):
        set_account(
            session,
            case,
            bank_code="BANKALTIM",
            account_number=f"00112233{i:04d}",
            holder_name="Siti Aminah",
            actor=users["finance"],
        )
    batch = create_payment_batch(
        session,
        BatchInput("SP2D-0001/2026", clock.today_wita(), "BANKALTIM", [c.id for c in cases]),
        actor=users["finance"],
    )
    return cases, batch


def result_file(batch, *statuses) -> bytes:
    lines = ["reference,status,reason"]
    for payment, status in zip(batch.payments, statuses, strict=True):
        lines.append(f"{payment.reference},{status},{'' if status == 'ok' else 'Rekening tutup'}")
    return ("\n".join(lines) + "\n").encode()


def test_a_payment_batch_exports_masked_nowhere_but_the_bank_file(session, users, store):
    cases, batch = paid_batch(session, users, store)
    assert [c.state for c in cases] == ["procurement"] * 2
    text = export_transfer_file(batch)
    assert text.splitlines()[0] == "reference,bank_code,account_number,holder_name,amount"
    assert "001122330000" in text
    assert batch.payments[0].masked_account == "********0000"


def test_a_bank_result_file_applied_twice_pays_once(session, users, store):
    cases, batch = paid_batch(session, users, store)
    content = result_file(batch, "ok", "failed")
    first = import_bank_results(session, batch, content, actor=users["finance"])
    second = import_bank_results(session, batch, content, actor=users["finance"])
    assert (len(first.paid), len(first.failed)) == (1, 1)
    assert (second.paid, second.failed, len(second.unchanged)) == ([], [], 2)
    paid = session.scalar(select(func.count()).select_from(Payment).where(Payment.status == "paid"))
    assert paid == 1
    assert cases[0].state == "delivered" and cases[1].state == "procurement"


def test_a_failed_payment_is_corrected_and_retried_in_a_new_batch(session, users, store):
    cases, batch = paid_batch(session, users, store, 1)
    import_bank_results(session, batch, result_file(batch, "failed"), actor=users["finance"])
    set_account(
        session,
        cases[0],
        bank_code="BRI",
        account_number="998877665544",
        holder_name="Siti Aminah",
        actor=users["finance"],
    )
    retry = create_payment_batch(
        session,
        BatchInput("SP2D-0002/2026", clock.today_wita(), "BRI", [cases[0].id]),
        actor=users["finance"],
    )
    assert retry.payments[0].account_number == "998877665544"
    import_bank_results(session, retry, result_file(retry, "ok"), actor=users["finance"])
    assert cases[0].state == "delivered"


def test_a_case_with_a_pending_or_successful_payment_is_not_paid_again(session, users, store):
    cases, batch = paid_batch(session, users, store, 1)
    data = BatchInput("SP2D-0003/2026", clock.today_wita(), "BANKALTIM", [cases[0].id])
    with pytest.raises(ValidationError):
        create_payment_batch(session, data, actor=users["finance"])
    import_bank_results(session, batch, result_file(batch, "ok"), actor=users["finance"])
    with pytest.raises(ValidationError):
        create_payment_batch(session, data, actor=users["finance"])
    with pytest.raises(NotAllowed):
        set_account(
            session,
            cases[0],
            bank_code="BRI",
            account_number="12345678",
            holder_name="X",
            actor=users["finance"],
        )


def test_the_database_refuses_a_second_successful_payment_of_a_case(session, users, store):
    _cases, batch = paid_batch(session, users, store, 1)
    import_bank_results(session, batch, result_file(batch, "ok"), actor=users["finance"])
    first = batch.payments[0]
    session.add(
        Payment(
            batch_id=batch.id,
            case_id=first.case_id,
            reference="DUPLICATE",
            amount=1,
            bank_code="B",
            account_number="1",
            holder_name="H",
            status="paid",
            paid_case_id=first.case_id,
        )
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()


def test_a_result_file_with_an_unknown_reference_or_a_contradiction_writes_nothing(
    session, users, store
):
    _cases, batch = paid_batch(session, users, store, 1)
    bad = b"reference,status,reason\nNOPE,ok,\n"
    with pytest.raises(ValidationError):
        import_bank_results(session, batch, bad, actor=users["finance"])
    import_bank_results(session, batch, result_file(batch, "ok"), actor=users["finance"])
    with pytest.raises(ValidationError):
        import_bank_results(session, batch, result_file(batch, "failed"), actor=users["finance"])
    assert batch.payments[0].status == "paid"


def test_a_batch_refuses_cases_without_account_and_bad_sp2d_input(session, users, store):
    case = decreed(session, users, store)[0]
    data = BatchInput("", clock.today_wita() + timedelta(days=2), "", [case.id, 999_999])
    with pytest.raises(ValidationError) as error:
        create_payment_batch(session, data, actor=users["finance"])
    assert {"sp2d_number", "sp2d_date", "bank_code", "case_ids"} <= set(error.value.fields)
    assert len(error.value.fields["case_ids"]) == 2


def test_an_account_number_must_be_digits(session, users, store):
    case = decreed(session, users, store)[0]
    with pytest.raises(ValidationError) as error:
        set_account(
            session,
            case,
            bank_code="BRI",
            account_number="12ab",
            holder_name="",
            actor=users["finance"],
        )
    assert set(error.value.fields) == {"account_number", "holder_name"}
