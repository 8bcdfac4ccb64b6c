"""Every (state, trigger) pair of every program against a table written by hand.

The tables below are copied from DOMAIN.md §11 and the design of workflows/standard.py,
not computed from the definition: if someone changes the workflow, these tests say so.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from casework.errors import InvalidTransition, NotAllowed
from casework.models import Case, CaseState, Role, User
from casework.services.demo import prepare_for
from tests import factories
from tests.workflows.conftest import World, events_of, rolled_back, snapshot
from workflows.engine import advance
from workflows.programs import DEFINITIONS

PROGRAMS = ("KUBE", "WRSE", "UEP")
STATES = tuple(s.value for s in CaseState)
TRIGGERS = (
    "submit",
    "start_verification",
    "pass_admin_verification",
    "confirm_dtsen",
    "recommend",
    "send_to_pokir_review",
    "approve",
    "decree",
    "start_procurement",
    "record_delivery",
    "await_usage_report",
    "accept_usage_report",
    "close",
    "mark_non_compliant",
    "return_for_revision",
    "resubmit",
    "reject",
    "cancel",
    "revoke_by_corrective_decree",
)

# (state, trigger) -> destination. Everything not listed must be refused.
TABLE: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("draft", "cancel"): "cancelled",
    ("submitted", "start_verification"): "admin_verification",
    ("submitted", "return_for_revision"): "returned",
    ("submitted", "reject"): "rejected",
    ("submitted", "cancel"): "cancelled",
    ("admin_verification", "pass_admin_verification"): "dtsen_check",
    ("admin_verification", "return_for_revision"): "returned",
    ("admin_verification", "reject"): "rejected",
    ("admin_verification", "cancel"): "cancelled",
    ("dtsen_check", "confirm_dtsen"): "field_assessment",
    ("dtsen_check", "return_for_revision"): "returned",
    ("dtsen_check", "reject"): "rejected",
    ("dtsen_check", "cancel"): "cancelled",
    ("field_assessment", "recommend"): "recommended",
    ("field_assessment", "return_for_revision"): "returned",
    ("field_assessment", "reject"): "rejected",
    ("field_assessment", "cancel"): "cancelled",
    ("recommended", "send_to_pokir_review"): "pokir_review",
    ("recommended", "return_for_revision"): "returned",
    ("recommended", "reject"): "rejected",
    ("recommended", "cancel"): "cancelled",
    ("pokir_review", "approve"): "approved",
    ("pokir_review", "return_for_revision"): "returned",
    ("pokir_review", "reject"): "rejected",
    ("pokir_review", "cancel"): "cancelled",
    ("approved", "decree"): "decreed",
    ("approved", "return_for_revision"): "returned",
    ("approved", "reject"): "rejected",
    ("approved", "cancel"): "cancelled",
    ("decreed", "start_procurement"): "procurement",
    ("decreed", "revoke_by_corrective_decree"): "cancelled",
    ("procurement", "record_delivery"): "delivered",
    ("procurement", "revoke_by_corrective_decree"): "cancelled",
    ("delivered", "await_usage_report"): "awaiting_report",
    ("awaiting_report", "accept_usage_report"): "monitoring",
    ("awaiting_report", "mark_non_compliant"): "non_compliant",
    ("monitoring", "close"): "closed",
    ("monitoring", "mark_non_compliant"): "non_compliant",
    ("returned", "resubmit"): "submitted",
    ("returned", "cancel"): "cancelled",
}
FINAL_STATES = ("closed", "non_compliant", "rejected", "cancelled")

C, V, F, M = Role.CASEWORKER, Role.VERIFIER, Role.FINANCE, Role.MANAGER
# trigger -> roles that may fire it. Cancelling a case under review is for managers only.
ROLES: dict[str, frozenset[Role]] = {
    "submit": frozenset({C, M}),
    "start_verification": frozenset({V, M}),
    "pass_admin_verification": frozenset({V, M}),
    "confirm_dtsen": frozenset({V, M}),
    "recommend": frozenset({V, M}),
    "send_to_pokir_review": frozenset({M}),
    "approve": frozenset({M}),
    "decree": frozenset({M}),
    "start_procurement": frozenset({F, M}),
    "record_delivery": frozenset({C, F, M}),
    "await_usage_report": frozenset({C, M}),
    "accept_usage_report": frozenset({V, M}),
    "close": frozenset({M}),
    "mark_non_compliant": frozenset({M}),
    "return_for_revision": frozenset({V, M}),
    "resubmit": frozenset({C, M}),
    "reject": frozenset({V, M}),
    "cancel": frozenset({C, M}),
    "revoke_by_corrective_decree": frozenset({M}),
}
CANCEL_UNDER_REVIEW = frozenset({M})
REASON = "Alasan tertulis untuk catatan kasus."


def roles_for(state: str, trigger: str) -> frozenset[Role]:
    if trigger == "cancel" and state not in ("draft", "returned"):
        return CANCEL_UNDER_REVIEW
    return ROLES[trigger]


def expected_triggers(state: str) -> list[str]:
    return sorted(t for (s, t) in TABLE if s == state)


CasesAt = Callable[[str, str], Case]


@pytest.fixture(scope="module")
def cases_at(world: World) -> CasesAt:
    """One case per (program, state), made on first use and shared by the module."""
    made: dict[tuple[str, str], Case] = {}

    def get(program_code: str, state: str) -> Case:
        key = (program_code, state)
        if key not in made:
            made[key] = factories.case_in_state(
                world.session, world.users, world.store, state, program_code
            )
        return made[key]

    return get


def fire(world: World, case: Case, trigger: str, actor: User) -> None:
    """Record what the trigger's guards need (as the manager), then fire it as ``actor``."""
    prepare_for(world.session, case, trigger, actor=world.users["manager"], store=world.store)
    advance(world.session, case, trigger, actor=actor, reason=REASON)


def test_the_table_covers_exactly_the_states_and_triggers_of_every_program():
    for definition in DEFINITIONS.values():
        assert {s.name.value for s in definition.states} == set(STATES)
        assert set(definition.triggers) == set(TRIGGERS)
        assert {s.name.value for s in definition.states if s.final} == set(FINAL_STATES)


@pytest.mark.parametrize("state", FINAL_STATES)
def test_a_final_state_has_no_way_out(state):
    assert expected_triggers(state) == []


PAIRS = [(p, s, t) for p in PROGRAMS for s in STATES for t in TRIGGERS]


@pytest.mark.parametrize(("program_code", "state", "trigger"), PAIRS)
def test_the_engine_follows_the_transition_table(world, cases_at, program_code, state, trigger):
    case = cases_at(program_code, state)
    manager = world.users["manager"]
    with rolled_back(world.session) as session:
        before = snapshot(session, case)
        assert before[0] == state
        if (state, trigger) in TABLE:
            fire(world, case, trigger, manager)
            after = snapshot(session, case)
            assert after == (TABLE[(state, trigger)], before[1] + 1, before[2] + 1)
            last = events_of(session, case)[-1]
            assert (last.from_state, last.to_state, last.trigger) == (
                state,
                TABLE[(state, trigger)],
                trigger,
            )
            assert last.actor_id == manager.id
            assert last.case_version == after[1]
        else:
            with pytest.raises(InvalidTransition) as refused:
                advance(session, case, trigger, actor=manager, reason=REASON)
            assert refused.value.status == 409
            assert sorted(refused.value.allowed_triggers) == expected_triggers(state)
            assert snapshot(session, case) == before


@pytest.mark.parametrize("program_code", PROGRAMS)
@pytest.mark.parametrize("trigger", ["authorise", "to_closed", "", "SUBMIT"])
def test_an_unknown_trigger_is_refused_and_lists_what_the_actor_may_do(
    world, cases_at, program_code, trigger
):
    case = cases_at(program_code, "submitted")
    with rolled_back(world.session) as session:
        before = snapshot(session, case)
        with pytest.raises(InvalidTransition) as refused:
            advance(session, case, trigger, actor=world.users["verifier"], reason=REASON)
        assert sorted(refused.value.allowed_triggers) == [
            "reject",
            "return_for_revision",
            "start_verification",
        ]
        assert snapshot(session, case) == before


ROLE_ROWS = [(p, s, t, r) for p in PROGRAMS for (s, t) in TABLE for r in Role]


@pytest.mark.parametrize(("program_code", "state", "trigger", "role"), ROLE_ROWS)
def test_only_the_roles_in_the_table_may_fire_a_transition(
    world, cases_at, program_code, state, trigger, role
):
    case = cases_at(program_code, state)
    actor = world.users[role.value]
    with rolled_back(world.session) as session:
        before = snapshot(session, case)
        if role in roles_for(state, trigger):
            fire(world, case, trigger, actor)
            assert snapshot(session, case) == (
                TABLE[(state, trigger)],
                before[1] + 1,
                before[2] + 1,
            )
            assert events_of(session, case)[-1].actor_id == actor.id
        else:
            with pytest.raises(NotAllowed) as refused:
                advance(session, case, trigger, actor=actor, reason=REASON)
            assert refused.value.status == 403
            assert snapshot(session, case) == before


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.DPRD_LIAISON, Role.ADMIN])
def test_read_only_roles_are_refused_before_the_state_is_even_considered(world, cases_at, role):
    case = cases_at("WRSE", "closed")
    with rolled_back(world.session) as session:
        before = snapshot(session, case)
        with pytest.raises(NotAllowed):
            advance(session, case, "submit", actor=world.users[role.value])
        assert snapshot(session, case) == before
