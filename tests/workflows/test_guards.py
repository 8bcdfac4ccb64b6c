"""The workflow's guards and the engine's other checks, each refusing with nothing written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casework import clock
from casework.errors import GuardFailed, NotAllowed, ValidationError, VersionConflict
from casework.models import Case, CaseState, Group, GroupMember, User
from casework.models.person import GroupRole
from casework.services.demo import SAMPLE_PDF, drive_to
from casework.services.verification import (
    DtsenInput,
    ItemInput,
    attach_document,
    record_assessment,
    record_dtsen_check,
    record_dtsen_override,
)
from tests import factories
from tests.workflows.conftest import World, events_of, snapshot
from workflows.engine import advance

S = CaseState
OTHER_VILLAGE = "64.02.08.2008"  # Muhuran, also in Kec. Kota Bangun
# 10:00 WITA on 2 March 2026.
MARCH_2 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def at_state(ws: World, state: CaseState, program_code: str = "WRSE", **kwargs: object) -> Case:
    case = factories.make_case(ws.session, ws.users["caseworker"], program_code, **kwargs)  # type: ignore[arg-type]
    return drive_to(ws.session, case, state, actors=factories.actors(ws.users), store=ws.store)


def refused_by(ws: World, case: Case, trigger: str, actor: User, rule: str) -> GuardFailed:
    """Fire ``trigger``, expect the guard ``rule`` to refuse it and nothing to change."""
    before = snapshot(ws.session, case)
    with pytest.raises(GuardFailed) as refused:
        advance(ws.session, case, trigger, actor=actor)
    assert refused.value.rule == rule
    assert refused.value.status == 422
    assert snapshot(ws.session, case) == before
    return refused.value


def moves(ws: World, case: Case, trigger: str, actor: User, dest: CaseState) -> None:
    before = snapshot(ws.session, case)
    advance(ws.session, case, trigger, actor=actor, reason="Dicatat.")
    assert snapshot(ws.session, case) == (dest.value, before[1] + 1, before[2] + 1)


# --- who may apply ------------------------------------------------------------------------


def test_a_man_cannot_submit_a_wrse_application(ws):
    man = factories.make_person(ws.session, ws.users["caseworker"], sex="L")
    case = factories.make_case(ws.session, ws.users["caseworker"], "WRSE", applicant=man)

    error = refused_by(ws, case, "submit", ws.users["caseworker"], "applicant_sex_allowed")
    assert error.params == {"program": "WRSE"}


def test_a_man_may_submit_a_uep_application(ws):
    man = factories.make_person(ws.session, ws.users["caseworker"], sex="L")
    case = factories.make_case(ws.session, ws.users["caseworker"], "UEP", applicant=man)

    moves(ws, case, "submit", ws.users["caseworker"], S.SUBMITTED)


@pytest.mark.parametrize(
    ("birth_date", "age", "accepted"),
    [
        (date(2008, 3, 3), 17, False),  # turns 18 tomorrow
        (date(2008, 3, 2), 18, True),  # 18th birthday today
        (date(1966, 3, 3), 59, True),  # turns 60 tomorrow
        (date(1966, 3, 2), 60, False),  # 60th birthday today
    ],
)
def test_a_wrse_applicant_must_be_18_to_59_on_the_day_of_submission(ws, birth_date, age, accepted):
    with clock.frozen(MARCH_2):
        woman = factories.make_person(
            ws.session, ws.users["caseworker"], sex="P", birth_date=birth_date
        )
        case = factories.make_case(ws.session, ws.users["caseworker"], "WRSE", applicant=woman)
        if accepted:
            moves(ws, case, "submit", ws.users["caseworker"], S.SUBMITTED)
        else:
            error = refused_by(
                ws, case, "submit", ws.users["caseworker"], "applicant_age_in_window"
            )
            assert error.params["age"] == age


def test_the_age_is_counted_on_the_date_in_kalimantan_timur_not_in_utc(ws):
    # 17:00 UTC on 1 March is already 01:00 on 2 March in WITA: her 18th birthday.
    evening_utc = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    with clock.frozen(evening_utc):
        woman = factories.make_person(
            ws.session, ws.users["caseworker"], sex="P", birth_date=date(2008, 3, 2)
        )
        case = factories.make_case(ws.session, ws.users["caseworker"], "WRSE", applicant=woman)
        moves(ws, case, "submit", ws.users["caseworker"], S.SUBMITTED)


def test_the_age_window_is_checked_again_on_resubmission(ws):
    with clock.frozen(datetime(2026, 3, 1, 2, 0, tzinfo=UTC)):
        woman = factories.make_person(
            ws.session, ws.users["caseworker"], sex="P", birth_date=date(1966, 3, 2)
        )
        case = factories.make_case(ws.session, ws.users["caseworker"], "WRSE", applicant=woman)
        drive_to(ws.session, case, S.RETURNED, actors=factories.actors(ws.users), store=ws.store)
    with clock.frozen(MARCH_2):  # she turned 60 while the case was returned
        refused_by(ws, case, "resubmit", ws.users["caseworker"], "applicant_age_in_window")


# --- KUBE composition ---------------------------------------------------------------------


def group_through_orm(ws: World, roles: list[str], villages: list[str] | None = None) -> Group:
    """A group written straight to the tables, past the registry's checks."""
    caseworker = ws.users["caseworker"]
    villages = villages or [factories.KOTA_BANGUN_LIANG] * len(roles)
    persons = [factories.make_person(ws.session, caseworker, sex="L", village=v) for v in villages]
    group = Group(
        name="KUBE Tanpa Pemeriksaan",
        village_code=factories.KOTA_BANGUN_LIANG,
        regency_code="64.02",
        business_type_id=factories.business_type(ws.session).id,
    )
    group.members = [
        GroupMember(person_id=p.id, role=GroupRole(r)) for p, r in zip(persons, roles, strict=True)
    ]
    ws.session.add(group)
    ws.session.flush()
    return group


FIVE = ["ketua", "sekretaris", "bendahara", "anggota", "anggota"]


@pytest.mark.parametrize(
    ("roles", "villages", "params"),
    [
        (FIVE[:4], None, {"count": 4, "low": 5, "high": 20}),
        (
            ["ketua", "sekretaris", "anggota", "anggota", "anggota"],
            None,
            {"role": "bendahara", "count": 0},
        ),
        (
            FIVE,
            [factories.KOTA_BANGUN_LIANG] * 4 + [OTHER_VILLAGE],
            {"names": "Warga"},
        ),
    ],
    ids=["four_members", "no_bendahara", "member_from_another_village"],
)
def test_a_badly_composed_kube_cannot_be_submitted(ws, roles, villages, params):
    group = group_through_orm(ws, roles, villages)
    case = factories.make_case(ws.session, ws.users["caseworker"], "KUBE", applicant=group)

    error = refused_by(ws, case, "submit", ws.users["caseworker"], "group_composition_valid")
    for key, value in params.items():
        assert str(value) in str(error.params[key])


def test_a_well_composed_kube_written_through_the_orm_passes_the_same_guard(ws):
    group = group_through_orm(ws, FIVE)
    case = factories.make_case(ws.session, ws.users["caseworker"], "KUBE", applicant=group)

    moves(ws, case, "submit", ws.users["caseworker"], S.SUBMITTED)


# --- documents ----------------------------------------------------------------------------


def attach(ws: World, case: Case, *kinds: str) -> None:
    for kind in kinds:
        attach_document(
            ws.session,
            case,
            kind=kind,
            filename=f"{kind}.pdf",
            content=SAMPLE_PDF,
            store=ws.store,
            actor=ws.users["verifier"],
        )


def test_administrative_verification_needs_every_required_document(ws):
    case = at_state(ws, S.ADMIN_VERIFICATION)

    error = refused_by(
        ws, case, "pass_admin_verification", ws.users["verifier"], "required_documents_present"
    )
    missing = error.render().lower()
    for kind in ("ktp", "kk", "dtsen", "sktm", "business"):
        assert kind in missing


def test_a_missing_dtsen_proof_is_named_when_the_rest_is_there(ws):
    case = at_state(ws, S.ADMIN_VERIFICATION)
    attach(ws, case, "ktp", "kk", "business_plan", "photo")

    error = refused_by(
        ws, case, "pass_admin_verification", ws.users["verifier"], "required_documents_present"
    )
    missing = error.render().lower().split(":", 1)[1]
    assert "dtsen" in missing and "sktm" in missing
    assert "ktp" not in missing and "business" not in missing


@pytest.mark.parametrize("proof", ["sktm", "dtsen_proof"])
def test_an_sktm_stands_in_for_the_dtsen_proof(ws, proof):
    case = at_state(ws, S.ADMIN_VERIFICATION)
    attach(ws, case, "ktp", "kk", "business_plan", proof)

    moves(ws, case, "pass_admin_verification", ws.users["verifier"], S.DTSEN_CHECK)


# --- DTSEN --------------------------------------------------------------------------------


def dtsen(ws: World, case: Case, status: str = "registered", decile: int | None = 2) -> None:
    record_dtsen_check(
        ws.session,
        case,
        DtsenInput(status=status, decile=decile, source="siks_ng", checked_on=clock.today_wita()),
        actor=ws.users["verifier"],
    )


@pytest.mark.parametrize(("decile", "accepted"), [(1, True), (5, True), (6, False), (10, False)])
def test_the_dtsen_decile_must_be_within_the_threshold_of_5(ws, decile, accepted):
    case = at_state(ws, S.DTSEN_CHECK)
    rules = case.program.rules_for(case.fiscal_year)
    assert rules is not None and rules.max_decile == 5
    dtsen(ws, case, decile=decile)

    if accepted:
        moves(ws, case, "confirm_dtsen", ws.users["verifier"], S.FIELD_ASSESSMENT)
    else:
        error = refused_by(
            ws, case, "confirm_dtsen", ws.users["verifier"], "dtsen_within_threshold"
        )
        assert error.params == {"decile": decile, "max": 5}


def test_a_manager_override_with_a_reason_lets_decile_6_pass(ws):
    case = at_state(ws, S.DTSEN_CHECK)
    dtsen(ws, case, decile=6)
    record_dtsen_override(
        ws.session,
        case,
        reason="Kepala keluarga baru kehilangan pekerjaan.",
        actor=ws.users["manager"],
    )

    moves(ws, case, "confirm_dtsen", ws.users["verifier"], S.FIELD_ASSESSMENT)
    assert case.dtsen_override_by_id == ws.users["manager"].id


def test_only_a_manager_may_override_the_dtsen_rule(ws):
    case = at_state(ws, S.DTSEN_CHECK)
    with pytest.raises(NotAllowed):
        record_dtsen_override(ws.session, case, reason="Tolong.", actor=ws.users["verifier"])
    assert case.dtsen_override_reason is None


def test_an_override_without_a_reason_is_refused(ws):
    case = at_state(ws, S.DTSEN_CHECK)
    with pytest.raises(ValidationError) as refused:
        record_dtsen_override(ws.session, case, reason="   ", actor=ws.users["manager"])
    assert set(refused.value.fields) == {"reason"}


def test_an_applicant_not_registered_in_dtsen_is_refused(ws):
    case = at_state(ws, S.DTSEN_CHECK)
    dtsen(ws, case, status="not_registered", decile=None)

    error = refused_by(ws, case, "confirm_dtsen", ws.users["verifier"], "dtsen_within_threshold")
    assert "not registered" in error.message


def test_the_dtsen_step_is_refused_when_no_check_was_recorded(ws):
    case = at_state(ws, S.DTSEN_CHECK)

    error = refused_by(ws, case, "confirm_dtsen", ws.users["verifier"], "dtsen_within_threshold")
    assert "No DTSEN check" in error.message


# --- assessment and package ---------------------------------------------------------------


def assess(ws: World, case: Case, *prices: int, feasible: bool = True) -> None:
    record_assessment(
        ws.session,
        case,
        feasibility_notes="Kunjungan lapangan.",
        is_feasible=feasible,
        assessed_on=clock.today_wita(),
        items=[ItemInput(f"Barang {i}", 1, price) for i, price in enumerate(prices)],
        actor=ws.users["verifier"],
    )


def test_a_package_above_the_unit_value_is_refused(ws):
    case = at_state(ws, S.FIELD_ASSESSMENT)
    assess(ws, case, 3_000_000, 2_000_001)

    error = refused_by(ws, case, "recommend", ws.users["verifier"], "package_within_unit_value")
    assert error.params == {"total": "5.000.001", "limit": "5.000.000"}


def test_a_package_of_exactly_the_unit_value_is_accepted(ws):
    case = at_state(ws, S.FIELD_ASSESSMENT)
    assess(ws, case, 3_000_000, 2_000_000)

    moves(ws, case, "recommend", ws.users["verifier"], S.RECOMMENDED)


def test_an_empty_package_is_refused(ws):
    case = at_state(ws, S.FIELD_ASSESSMENT)
    assess(ws, case, 0)

    refused_by(ws, case, "recommend", ws.users["verifier"], "package_within_unit_value")


def test_recommendation_needs_an_assessment_that_found_the_business_feasible(ws):
    case = at_state(ws, S.FIELD_ASSESSMENT)
    refused_by(ws, case, "recommend", ws.users["verifier"], "assessment_feasible")
    assess(ws, case, 4_000_000, feasible=False)

    refused_by(ws, case, "recommend", ws.users["verifier"], "assessment_feasible")


def test_recommending_fixes_the_amount_from_the_latest_assessment(ws):
    case = at_state(ws, S.FIELD_ASSESSMENT)
    assert case.requested_amount == 4_500_000
    assess(ws, case, 9_000_000)  # first visit: too expensive
    assess(ws, case, 2_750_000, 1_571_000)  # second visit: revised package

    moves(ws, case, "recommend", ws.users["verifier"], S.RECOMMENDED)
    ws.session.expire_all()
    assert ws.session.get(Case, case.id).requested_amount == 4_321_000


def test_a_kube_package_may_reach_the_group_unit_value_of_20_million(ws):
    case = at_state(ws, S.FIELD_ASSESSMENT, "KUBE")
    assess(ws, case, 12_000_000, 8_000_000)

    moves(ws, case, "recommend", ws.users["verifier"], S.RECOMMENDED)
    assert case.requested_amount == 20_000_000


# --- reasons ------------------------------------------------------------------------------

REASONED = [
    (S.SUBMITTED, "reject", "verifier"),
    (S.FIELD_ASSESSMENT, "reject", "verifier"),
    (S.ADMIN_VERIFICATION, "return_for_revision", "verifier"),
    (S.POKIR_REVIEW, "return_for_revision", "manager"),
    (S.DRAFT, "cancel", "caseworker"),
    (S.RETURNED, "cancel", "caseworker"),
    (S.RECOMMENDED, "cancel", "manager"),
    (S.MONITORING, "mark_non_compliant", "manager"),
]


@pytest.mark.parametrize(("state", "trigger", "role"), REASONED)
@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_reject_return_and_cancel_need_a_reason(ws, state, trigger, role, reason):
    case = at_state(ws, state)
    before = snapshot(ws.session, case)

    with pytest.raises(ValidationError) as refused:
        advance(ws.session, case, trigger, actor=ws.users[role], reason=reason)
    assert set(refused.value.fields) == {"reason"}
    assert refused.value.status == 422
    assert snapshot(ws.session, case) == before


@pytest.mark.parametrize(("state", "trigger", "role"), REASONED)
def test_the_reason_given_is_kept_in_the_event(ws, state, trigger, role):
    case = at_state(ws, state)

    advance(ws.session, case, trigger, actor=ws.users[role], reason="  Data tidak sesuai.  ")
    assert events_of(ws.session, case)[-1].reason == "Data tidak sesuai."


# --- region, account, version -------------------------------------------------------------


def test_a_kukar_verifier_cannot_move_a_samarinda_case(ws):
    case = at_state(ws, S.SUBMITTED, village=factories.SAMARINDA_VILLAGE)
    before = snapshot(ws.session, case)

    with pytest.raises(NotAllowed) as refused:
        advance(ws.session, case, "start_verification", actor=ws.users["kukar_verifier"])
    assert refused.value.status == 403
    assert snapshot(ws.session, case) == before


def test_a_kukar_verifier_moves_a_kukar_case(ws):
    case = at_state(ws, S.SUBMITTED)

    moves(ws, case, "start_verification", ws.users["kukar_verifier"], S.ADMIN_VERIFICATION)


def test_a_samarinda_caseworker_cannot_submit_a_kukar_case(ws):
    case = at_state(ws, S.DRAFT)

    with pytest.raises(NotAllowed):
        advance(ws.session, case, "submit", actor=ws.users["samarinda_caseworker"])
    assert case.state == S.DRAFT


def test_a_deactivated_account_cannot_move_a_case(ws):
    case = at_state(ws, S.SUBMITTED)
    verifier = ws.users["verifier"]
    verifier.active = False
    ws.session.flush()
    before = snapshot(ws.session, case)

    with pytest.raises(NotAllowed):
        advance(ws.session, case, "start_verification", actor=verifier)
    assert snapshot(ws.session, case) == before


def test_a_stale_expected_version_is_a_version_conflict(ws):
    case = at_state(ws, S.SUBMITTED)
    before = snapshot(ws.session, case)

    with pytest.raises(VersionConflict) as refused:
        advance(
            ws.session,
            case,
            "start_verification",
            actor=ws.users["verifier"],
            expected_version=before[1] - 1,
        )
    assert refused.value.status == 409
    assert snapshot(ws.session, case) == before
    advance(
        ws.session,
        case,
        "start_verification",
        actor=ws.users["verifier"],
        expected_version=before[1],
    )
    assert snapshot(ws.session, case)[0] == S.ADMIN_VERIFICATION


def test_a_guard_runs_before_the_version_is_compared(ws):
    man = factories.make_person(ws.session, ws.users["caseworker"], sex="L")
    case = factories.make_case(ws.session, ws.users["caseworker"], "WRSE", applicant=man)

    with pytest.raises(GuardFailed):
        advance(ws.session, case, "submit", actor=ws.users["caseworker"], expected_version=99)
