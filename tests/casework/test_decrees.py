"""Decrees (SK): drafting, all-or-nothing issue, one issued decree per case, corrections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casework import clock
from casework.errors import Conflict, Duplicate, NotAllowed, ValidationError
from casework.models import Decree, DecreeEntry, DecreeNumberSequence
from casework.services.decrees import (
    DecreeInput,
    DecreeRefused,
    add_cases,
    add_correction,
    create_corrective_decree,
    create_decree,
    issue_decree,
    remove_cases,
)
from tests import factories
from workflows.engine import advance


def decree_input(session, program_code="WRSE", **overrides) -> DecreeInput:
    values = dict(
        program_id=factories.program(session, program_code).id,
        fiscal_year=factories.current_year(),
        title="Penetapan Penerima Bantuan WRSE",
        decree_date=clock.today_wita(),
        signatory_name="Andi Muhammad Ishak",
        signatory_position="Kepala Dinas Sosial Provinsi Kalimantan Timur",
        signatory_nip="197001011990031001",
        considerations=["bahwa untuk pemberdayaan ekonomi perempuan rawan sosial ekonomi"],
        legal_basis=["Undang-Undang Nomor 11 Tahun 2009 tentang Kesejahteraan Sosial"],
    )
    values.update(overrides)
    return DecreeInput(**values)


def approved(session, users, store, n=1):
    return [factories.case_in_state(session, users, store, "approved") for _ in range(n)]


def sequence_value(session) -> int:
    return sum(session.scalars(select(DecreeNumberSequence.last_value)))


def test_issuing_a_decree_moves_every_listed_case_to_decreed_and_numbers_it(session, users, store):
    cases = approved(session, users, store, 3)
    decree = create_decree(session, decree_input(session), actor=users["manager"])
    add_cases(session, decree, [c.id for c in cases], actor=users["manager"])
    issue_decree(session, decree, actor=users["manager"])
    session.expire_all()
    assert decree.status == "issued" and decree.number
    assert [c.state for c in cases] == ["decreed"] * 3
    assert {e.issued_case_id for e in decree.entries} == {c.id for c in cases}
    assert decree.total_amount == sum(c.requested_amount for c in cases)


def test_a_refused_case_leaves_no_case_decreed_and_no_number_used(session, users, store):
    cases = approved(session, users, store, 3)
    decree = create_decree(session, decree_input(session), actor=users["manager"])
    add_cases(session, decree, [c.id for c in cases], actor=users["manager"])
    advance(session, cases[1], "return_for_revision", actor=users["manager"], reason="KK salah")
    before = sequence_value(session)
    with pytest.raises(DecreeRefused) as refused:
        issue_decree(session, decree, actor=users["manager"])
    assert set(refused.value.refused) == {cases[1].id}
    session.expire_all()
    assert [c.state for c in cases] == ["approved", "returned", "approved"]
    assert decree.status == "draft" and decree.number is None
    assert sequence_value(session) == before


def test_a_failure_half_way_after_the_moves_undoes_every_move_and_the_number(session, users, store):
    cases = approved(session, users, store, 3)
    decree = create_decree(session, decree_input(session), actor=users["manager"])
    add_cases(session, decree, [c.id for c in cases], actor=users["manager"])
    # Another decree already claims the last case: the constraint fails after the moves.
    other = create_decree(session, decree_input(session), actor=users["manager"])
    session.add(
        DecreeEntry(decree_id=other.id, case_id=cases[2].id, amount=1, issued_case_id=cases[2].id)
    )
    session.flush()
    before = sequence_value(session)
    with pytest.raises(Duplicate):
        issue_decree(session, decree, actor=users["manager"])
    session.expire_all()
    assert [c.state for c in cases] == ["approved"] * 3
    assert decree.status == "draft" and decree.number is None
    assert sequence_value(session) == before


def test_a_case_can_be_in_only_one_issued_decree(session, users, store):
    cases = approved(session, users, store, 2)
    first = create_decree(session, decree_input(session), actor=users["manager"])
    second = create_decree(session, decree_input(session), actor=users["manager"])
    add_cases(session, first, [c.id for c in cases], actor=users["manager"])
    add_cases(session, second, [cases[0].id], actor=users["manager"])
    issue_decree(session, first, actor=users["manager"])
    with pytest.raises(ValidationError):
        add_cases(session, second, [cases[1].id], actor=users["manager"])
    with pytest.raises(DecreeRefused):
        issue_decree(session, second, actor=users["manager"])


def test_only_approved_cases_of_the_program_and_region_can_be_listed(session, users, store):
    decree = create_decree(session, decree_input(session), actor=users["kukar_manager"])
    recommended = factories.case_in_state(session, users, store, "recommended")
    samarinda = factories.make_case(
        session, users["caseworker"], village=factories.SAMARINDA_VILLAGE
    )
    with pytest.raises(ValidationError) as error:
        add_cases(
            session, decree, [recommended.id, samarinda.id, 999_999], actor=users["kukar_manager"]
        )
    messages = [m.render() for m in error.value.fields["case_ids"]]
    assert len(messages) == 3
    assert not decree.entries


def test_cases_can_be_removed_only_while_draft(session, users, store):
    cases = approved(session, users, store, 2)
    decree = create_decree(session, decree_input(session), actor=users["manager"])
    add_cases(session, decree, [c.id for c in cases], actor=users["manager"])
    assert remove_cases(session, decree, [cases[0].id], actor=users["manager"]) == 1
    issue_decree(session, decree, actor=users["manager"])
    with pytest.raises(Conflict):
        remove_cases(session, decree, [cases[1].id], actor=users["manager"])
    session.expire_all()
    assert cases[0].state == "approved"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("signatory_nip", "19700101"),
        ("title", " "),
        ("decree_date", None),
        ("considerations", []),
        ("legal_basis", ["  "]),
    ],
)
def test_a_decree_with_bad_input_is_refused_per_field(session, users, field, value):
    with pytest.raises(ValidationError) as error:
        create_decree(session, decree_input(session, **{field: value}), actor=users["manager"])
    assert field in error.value.fields
    assert session.scalars(select(Decree)).first() is None


def test_a_decree_dated_in_the_future_is_refused(session, users):
    tomorrow = clock.today_wita() + timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        create_decree(session, decree_input(session, decree_date=tomorrow), actor=users["manager"])
    assert "decree_date" in error.value.fields


def test_only_a_manager_drafts_a_decree(session, users):
    with pytest.raises(NotAllowed):
        create_decree(session, decree_input(session), actor=users["finance"])


def test_a_corrective_decree_removes_a_recipient_and_corrects_an_amount(session, users, store):
    cases = approved(session, users, store, 3)
    manager = users["manager"]
    original = create_decree(session, decree_input(session), actor=manager)
    add_cases(session, original, [c.id for c in cases], actor=manager)
    issue_decree(session, original, actor=manager)
    fix = create_corrective_decree(session, original, decree_input(session), actor=manager)
    add_correction(
        session,
        fix,
        cases[0].id,
        remove=True,
        new_amount=None,
        reason="Meninggal dunia",
        actor=manager,
    )
    add_correction(
        session,
        fix,
        cases[1].id,
        remove=False,
        new_amount=3_000_000,
        reason="Harga berubah",
        actor=manager,
    )
    issue_decree(session, fix, actor=manager)
    session.expire_all()
    assert fix.status == "issued" and fix.corrects_id == original.id
    assert cases[0].state == "cancelled"
    assert cases[0].events[-1].trigger == "revoke_by_corrective_decree"
    assert cases[1].requested_amount == 3_000_000
    assert [(c.kind.value, c.new_amount) for c in fix.changes] == [
        ("remove", None),
        ("amount", 3_000_000),
    ]
    assert all(c.old_amount > 0 for c in fix.changes)
    assert cases[2].state == "decreed"


def test_a_correction_needs_a_reason_and_a_recipient_of_the_original(session, users, store):
    cases = approved(session, users, store, 1)
    manager = users["manager"]
    original = create_decree(session, decree_input(session), actor=manager)
    add_cases(session, original, [cases[0].id], actor=manager)
    issue_decree(session, original, actor=manager)
    fix = create_corrective_decree(session, original, decree_input(session), actor=manager)
    with pytest.raises(ValidationError) as error:
        add_correction(
            session, fix, cases[0].id, remove=False, new_amount=-5, reason=" ", actor=manager
        )
    assert set(error.value.fields) == {"reason", "new_amount"}
    with pytest.raises(ValidationError):
        add_correction(
            session, fix, 999_999, remove=True, new_amount=None, reason="x", actor=manager
        )


def test_a_draft_decree_cannot_be_corrected(session, users):
    draft = create_decree(session, decree_input(session), actor=users["manager"])
    with pytest.raises(Conflict):
        create_corrective_decree(session, draft, decree_input(session), actor=users["manager"])
