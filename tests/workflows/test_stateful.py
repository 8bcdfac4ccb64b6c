"""Random walks: any trigger, by any staff member, with or without the data guards need.

Whatever happens, the case stays in a state of its workflow, its event log replays to its
state, its version counts its events, and every event was made by a role allowed to.
Each Hypothesis example runs in a savepoint of the module's world that is rolled back.
"""

from __future__ import annotations

from typing import ClassVar

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.orm import Session, SessionTransaction

from casework.errors import DomainError, InvalidTransition, VersionConflict
from casework.models import Case, CaseState
from casework.services.demo import prepare_for
from casework.services.verification import OPEN_FOR_VERIFICATION
from tests import factories
from tests.workflows.conftest import World, events_of, snapshot
from workflows.definition import WorkflowDefinition
from workflows.engine import advance, definition_for, replay
from workflows.programs import DEFINITIONS

ALL_TRIGGERS = sorted({t for d in DEFINITIONS.values() for t in d.triggers})
BOGUS_TRIGGERS = ["authorise", "to_closed", "state", "", "SUBMIT", "close "]
STAFF = [
    "admin",
    "manager",
    "caseworker",
    "verifier",
    "finance",
    "dprd_liaison",
    "auditor",
    "kukar_caseworker",
    "kukar_verifier",
    "kukar_manager",
    "samarinda_caseworker",
]
REASONS = st.sampled_from([None, "", "  ", "Alasan dicatat oleh petugas.", "Sesuai berita acara."])
DECILES = st.integers(min_value=1, max_value=10)


class CaseWalk(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.savepoint: SessionTransaction = self.world.session.begin_nested()
        self.case: Case | None = None
        self.definition: WorkflowDefinition | None = None
        self.moves = 0

    @initialize(
        program_code=st.sampled_from(["KUBE", "WRSE", "UEP"]),
        village=st.sampled_from([factories.KOTA_BANGUN_LIANG, factories.SAMARINDA_VILLAGE]),
    )
    def open_case(self, program_code: str, village: str) -> None:
        self.case = factories.make_case(
            self.session, self.world.users["caseworker"], program_code, village=village
        )
        self.definition = definition_for(self.case)

    @property
    def session(self) -> Session:
        return self.world.session

    @precondition(lambda self: self.case is not None)
    @rule(
        trigger=st.sampled_from(ALL_TRIGGERS) | st.sampled_from(BOGUS_TRIGGERS),
        who=st.sampled_from(STAFF),
        reason=REASONS,
        prepare=st.booleans(),
        decile=DECILES,
    )
    def fire_anything(
        self, trigger: str, who: str, reason: str | None, prepare: bool, decile: int
    ) -> None:
        self.attempt(trigger, who, reason, prepare, decile)

    @precondition(lambda self: self.case is not None)
    @rule(data=st.data(), reason=REASONS, prepare=st.integers(0, 4), decile=DECILES)
    def fire_a_trigger_of_the_state_as_a_role_it_names(
        self, data: st.DataObject, reason: str | None, prepare: int, decile: int
    ) -> None:
        """Mostly moves the case on, so walks reach the far end of the workflow."""
        assert self.case is not None and self.definition is not None
        options = self.definition.transitions_from(self.case.state)
        if not options:
            return
        # The forward step comes first in the definition; take it three times in four.
        forward = data.draw(st.integers(0, 3)) < 3
        transition = options[0] if forward else data.draw(st.sampled_from(options))
        who = data.draw(
            st.sampled_from([n for n in STAFF if self.world.users[n].role in transition.roles])
        )
        self.attempt(transition.trigger, who, reason, prepare > 0, decile)

    def attempt(
        self, trigger: str, who: str, reason: str | None, prepare: bool, decile: int
    ) -> None:
        """Fire ``trigger`` as ``who``; a refusal must leave the case exactly as it was."""
        case = self.case
        assert case is not None
        if prepare and case.state in OPEN_FOR_VERIFICATION:
            prepare_for(
                self.session,
                case,
                trigger,
                actor=self.world.users["manager"],
                store=self.world.store,
                decile=decile,
            )
        before = snapshot(self.session, case)
        try:
            advance(self.session, case, trigger, actor=self.world.users[who], reason=reason)
        except (InvalidTransition, VersionConflict) as exc:
            assert exc.status == 409
            assert snapshot(self.session, case) == before
        except DomainError:
            assert snapshot(self.session, case) == before
        else:
            self.moves += 1
            after = snapshot(self.session, case)
            assert after[1:] == (before[1] + 1, before[2] + 1)
            event(f"reached {after[0]}")

    @invariant()
    def state_belongs_to_the_workflow(self) -> None:
        if self.case is not None:
            assert self.definition is not None
            assert self.definition.has_state(self.case.state)
            CaseState(self.case.state)

    @invariant()
    def the_event_log_replays_to_the_state(self) -> None:
        if self.case is None:
            return
        assert self.definition is not None
        events = events_of(self.session, self.case)
        state, version, count = snapshot(self.session, self.case)
        assert replay(self.definition, events) == state
        assert version == 1 + count == 1 + len(events)
        assert count == self.moves

    @invariant()
    def every_event_was_made_by_a_role_allowed_to(self) -> None:
        if self.case is None:
            return
        assert self.definition is not None
        for logged in events_of(self.session, self.case):
            transition = self.definition.transition(logged.trigger, logged.from_state)
            assert transition is not None
            assert logged.actor is not None
            assert logged.actor.role in transition.roles
            assert logged.actor.covers(self.case.regency_code)

    def teardown(self) -> None:
        if self.savepoint.is_active:
            self.savepoint.rollback()
        self.session.expire_all()


def test_random_walks_keep_the_case_consistent(world):
    walk = type("BoundCaseWalk", (CaseWalk,), {"world": world})
    run_state_machine_as_test(
        walk,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
