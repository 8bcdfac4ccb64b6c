"""Verification data: documents, DTSEN checks, the field assessment (services.verification)."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from casework import clock
from casework.errors import NotAllowed, ValidationError
from casework.models import CaseState
from casework.models.verification import Assessment, Document, DtsenCheck
from casework.services.demo import SAMPLE_JPEG, SAMPLE_PDF
from casework.services.verification import (
    DtsenInput,
    ItemInput,
    attach_document,
    record_assessment,
    record_dtsen_check,
    record_dtsen_override,
)
from casework.storage import DocumentStore, sniff_content_type
from tests import factories

SAMPLE_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
TEXT = b"Surat keterangan tidak mampu (diketik, bukan hasil pindai)\n"


@pytest.fixture()
def case(session, staff):
    return factories.make_case(session, staff["caseworker"], "WRSE")


def attach(session, case, actor, store, content, *, kind="ktp", filename="ktp.pdf"):
    return attach_document(
        session, case, kind=kind, filename=filename, content=content, store=store, actor=actor
    )


def documents(session, case) -> int:
    return session.scalar(
        select(func.count()).select_from(Document).where(Document.case_id == case.id)
    )


# --- documents ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "extension"),
    [
        (SAMPLE_PDF, "application/pdf", ".pdf"),
        (SAMPLE_JPEG, "image/jpeg", ".jpg"),
        (SAMPLE_PNG, "image/png", ".png"),
    ],
)
def test_pdf_jpeg_and_png_are_accepted_by_their_content(
    session, staff, store, case, content, content_type, extension
):
    document = attach(session, case, staff["verifier"], store, content, filename="scan.bin")

    assert document.content_type == content_type
    assert document.stored_name.endswith(extension)
    assert document.stored_name != "scan.bin" and document.original_name == "scan.bin"
    assert document.size_bytes == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert store.path(document.stored_name).read_bytes() == content


def test_a_png_named_pdf_is_stored_as_the_png_it_is(session, staff, store, case):
    document = attach(session, case, staff["verifier"], store, SAMPLE_PNG, filename="kk.pdf")

    assert document.content_type == "image/png"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (TEXT, "Only PDF, JPG and PNG files are accepted."),
        (b"<html><body>%PDF-</body></html>", "Only PDF, JPG and PNG files are accepted."),
        (b"", "The file is empty."),
    ],
    ids=["text_named_pdf", "pdf_magic_not_at_start", "empty"],
)
def test_a_file_that_is_not_really_a_pdf_jpeg_or_png_is_refused(
    session, staff, store, case, content, message
):
    with pytest.raises(ValidationError) as refused:
        attach(session, case, staff["verifier"], store, content, filename="sktm.pdf")

    assert [m.message for m in refused.value.fields["file"]] == [message]
    assert documents(session, case) == 0


def test_a_file_over_the_size_limit_is_refused_and_one_at_the_limit_accepted(
    session, staff, tmp_path, case
):
    small_store = DocumentStore(tmp_path, max_bytes=len(SAMPLE_PDF))

    attach(session, case, staff["verifier"], small_store, SAMPLE_PDF)
    with pytest.raises(ValidationError) as refused:
        attach(session, case, staff["verifier"], small_store, SAMPLE_PDF + b" ")

    assert set(refused.value.fields) == {"file"}
    assert documents(session, case) == 1
    assert len(list(tmp_path.iterdir())) == 1


def test_an_unknown_document_kind_is_refused(session, staff, store, case):
    with pytest.raises(ValidationError) as refused:
        attach(session, case, staff["verifier"], store, SAMPLE_PDF, kind="selfie")

    assert set(refused.value.fields) == {"kind"}


def test_a_kukar_verifier_cannot_attach_to_a_samarinda_case(session, staff, store):
    case = factories.make_case(
        session, staff["caseworker"], "WRSE", village=factories.SAMARINDA_VILLAGE
    )

    with pytest.raises(NotAllowed):
        attach(session, case, staff["kukar_verifier"], store, SAMPLE_PDF)


def test_sniffing_ignores_everything_but_the_first_bytes():
    assert sniff_content_type(SAMPLE_PDF) == "application/pdf"
    assert sniff_content_type(b" " + SAMPLE_PDF) is None
    assert sniff_content_type(b"\xff\xd8") is None


# --- DTSEN --------------------------------------------------------------------------------


def dtsen_input(**changes: Any) -> DtsenInput:
    base = DtsenInput(
        status="registered", decile=3, source="siks_ng", checked_on=clock.today_wita()
    )
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"decile": None}, "decile"),
        ({"decile": 0}, "decile"),
        ({"decile": 11}, "decile"),
        ({"status": "not_registered", "decile": 4}, "decile"),
        ({"status": "unchecked", "decile": 1}, "decile"),
        ({"checked_on": None}, "checked_on"),
        ({"status": "maybe"}, "status"),
        ({"source": "gossip"}, "source"),
    ],
)
def test_a_dtsen_check_is_refused_when_a_field_is_wrong(session, staff, case, changes, field):
    with pytest.raises(ValidationError) as refused:
        record_dtsen_check(session, case, dtsen_input(**changes), actor=staff["verifier"])

    assert field in refused.value.fields


@pytest.mark.parametrize(
    ("status", "decile"), [("registered", 1), ("registered", 10), ("not_registered", None)]
)
def test_a_decile_is_recorded_exactly_when_the_applicant_is_registered(
    session, staff, case, status, decile
):
    check = record_dtsen_check(
        session, case, dtsen_input(status=status, decile=decile), actor=staff["verifier"]
    )

    assert (check.status.value, check.decile, check.officer_id) == (
        status,
        decile,
        staff["verifier"].id,
    )


def test_a_dtsen_check_dated_tomorrow_in_wita_is_refused(session, staff, case):
    tomorrow = clock.today_wita() + timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        record_dtsen_check(session, case, dtsen_input(checked_on=tomorrow), actor=staff["verifier"])

    assert [m.message for m in refused.value.fields["checked_on"]] == [
        "The date cannot be in the future."
    ]


def test_the_evidence_must_be_a_document_of_the_same_case(session, staff, store, case):
    other = factories.make_case(session, staff["caseworker"], "WRSE")
    foreign = attach(session, other, staff["verifier"], store, SAMPLE_PDF, kind="dtsen_proof")
    own = attach(session, case, staff["verifier"], store, SAMPLE_PDF, kind="dtsen_proof")

    with pytest.raises(ValidationError) as refused:
        record_dtsen_check(
            session, case, dtsen_input(evidence_document_id=foreign.id), actor=staff["verifier"]
        )
    check = record_dtsen_check(
        session, case, dtsen_input(evidence_document_id=own.id), actor=staff["verifier"]
    )

    assert set(refused.value.fields) == {"evidence_document_id"}
    assert check.evidence_document_id == own.id


# --- assessment ---------------------------------------------------------------------------


def assess(session, case, actor, items, **changes) -> Assessment:
    values = {
        "feasibility_notes": "Usaha layak, pasar desa ada.",
        "is_feasible": True,
        "assessed_on": clock.today_wita(),
        "items": items,
    }
    values.update(changes)
    return record_assessment(session, case, actor=actor, **values)


def test_the_assessment_total_is_the_sum_of_quantity_times_unit_price(session, staff, case):
    assessment = assess(
        session,
        case,
        staff["verifier"],
        [
            ItemInput("Mesin jahit portable", 1, 2_750_000),
            ItemInput("Gulungan benang", 12, 25_000, unit="gulung"),
            ItemInput("Kain katun", 3, 150_000, unit="meter"),
        ],
    )

    assert assessment.total == 2_750_000 + 300_000 + 450_000
    assert [i.unit for i in assessment.items] == ["unit", "gulung", "meter"]


def test_every_bad_item_is_reported_on_its_own_field(session, staff, case):
    items = [ItemInput("  ", 1, 100), ItemInput("Kompor", 0, 100), ItemInput("Wajan", 1, -5)]

    with pytest.raises(ValidationError) as refused:
        assess(session, case, staff["verifier"], items, feasibility_notes=" ")

    assert set(refused.value.fields) == {
        "feasibility_notes",
        "items-0-name",
        "items-1-quantity",
        "items-2-unit_price",
    }
    assert session.scalar(select(Assessment).where(Assessment.case_id == case.id)) is None


def test_an_assessment_needs_at_least_one_item_and_a_past_date(session, staff, case):
    tomorrow = clock.today_wita() + timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        assess(session, case, staff["verifier"], [], assessed_on=tomorrow)

    assert set(refused.value.fields) == {"items", "assessed_on"}


# --- frozen after recommendation ----------------------------------------------------------


@pytest.mark.parametrize("state", [CaseState.RECOMMENDED, CaseState.DECREED, CaseState.CLOSED])
def test_verification_data_is_frozen_once_the_case_is_recommended(session, staff, store, state):
    case = factories.case_in_state(session, staff, store, state)
    manager = staff["manager"]
    before = (
        documents(session, case),
        session.scalar(
            select(func.count()).select_from(DtsenCheck).where(DtsenCheck.case_id == case.id)
        ),
    )

    attempts = [
        lambda: attach(session, case, manager, store, SAMPLE_PDF),
        lambda: record_dtsen_check(session, case, dtsen_input(), actor=manager),
        lambda: assess(session, case, manager, [ItemInput("Kompor", 1, 100)]),
        lambda: record_dtsen_override(session, case, reason="Terlambat.", actor=manager),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed) as refused:
            attempt()
        assert "recommended" in refused.value.message

    assert before == (
        documents(session, case),
        session.scalar(
            select(func.count()).select_from(DtsenCheck).where(DtsenCheck.case_id == case.id)
        ),
    )
    assert case.dtsen_override_reason is None


@pytest.mark.parametrize("state", [CaseState.DRAFT, CaseState.FIELD_ASSESSMENT, CaseState.RETURNED])
def test_verification_data_may_change_until_the_recommendation(session, staff, store, state):
    case = factories.case_in_state(session, staff, store, state)

    attach(session, case, staff["verifier"], store, SAMPLE_JPEG, kind="photo", filename="a.jpg")
    record_dtsen_check(session, case, dtsen_input(), actor=staff["verifier"])
    assess(session, case, staff["verifier"], [ItemInput("Kompor", 1, 850_000)])
