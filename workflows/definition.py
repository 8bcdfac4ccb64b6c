"""Workflows as data: states, transitions with roles, named guards and effects, SLAs.

A definition is plain data. ``validate`` refuses a definition with an unknown guard or
effect, an unknown or unreachable state, or a dead end that is not final, so a broken
workflow stops the application at start-up instead of stranding cases.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from casework.letters.kinds import KINDS
from casework.models.case import STATE_LABELS
from casework.models.user import Role


class DefinitionError(Exception):
    """A workflow definition is inconsistent; the application must not start with it."""


@dataclass(frozen=True)
class StateDef:
    name: enum.StrEnum
    sla_days: int | None = None
    """Deadline in working days after entering the state (None: no deadline)."""
    due_rule: str | None = None
    """A named fixed-date deadline instead of ``sla_days`` (e.g. ``usage_report``)."""
    final: bool = False


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    sources: tuple[enum.StrEnum, ...]
    dest: enum.StrEnum
    roles: frozenset[Role]
    label: str
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    reason_required: bool = False
    letters: tuple[str, ...] = ()
    """Kinds of letter (casework/letters/kinds.py) the transition issues to the applicant."""


@dataclass(frozen=True)
class WorkflowDefinition:
    key: str
    title: str
    initial: enum.StrEnum
    states: tuple[StateDef, ...]
    transitions: tuple[TransitionDef, ...]
    state_labels: Mapping[str, str] = field(
        default_factory=lambda: {s.value: label for s, label in STATE_LABELS.items()}
    )
    """Message id of each state's label (a case workflow's by default)."""
    _by_state: dict[str, StateDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_state", {s.name.value: s for s in self.states})

    def state_label(self, name: str) -> str:
        """The message id labelling state ``name`` (the name itself when unlabelled)."""
        return self.state_labels.get(name, name)

    @property
    def triggers(self) -> list[str]:
        """Every trigger name, in definition order, without repeats."""
        return list(dict.fromkeys(t.trigger for t in self.transitions))

    def state(self, name: str) -> StateDef:
        try:
            return self._by_state[name]
        except KeyError:
            raise DefinitionError(f"{self.key}: unknown state {name!r}") from None

    def has_state(self, name: str) -> bool:
        return name in self._by_state

    def transitions_from(self, state: str) -> list[TransitionDef]:
        return [t for t in self.transitions if state in t.sources]

    def transition(self, trigger: str, source: str) -> TransitionDef | None:
        return next(
            (t for t in self.transitions if t.trigger == trigger and source in t.sources), None
        )

    def transitions_named(self, trigger: str) -> list[TransitionDef]:
        return [t for t in self.transitions if t.trigger == trigger]

    def validate(self, guards: Collection[str], effects: Collection[str]) -> None:
        """Raise DefinitionError unless the definition is complete and consistent."""
        problems = list(self._problems(guards, effects))
        if problems:
            raise DefinitionError(f"workflow {self.key!r}: " + "; ".join(problems))

    def _problems(self, guards: Collection[str], effects: Collection[str]) -> Iterable[str]:
        names = set(self._by_state)
        if len(names) != len(self.states):
            yield "a state is defined twice"
        if self.initial.value not in names:
            yield f"initial state {self.initial.value} is not defined"
        for t in self.transitions:
            for s in (*t.sources, t.dest):
                if s.value not in names:
                    yield f"transition {t.trigger} uses undefined state {s.value}"
            yield from (f"unknown guard {g!r} on {t.trigger}" for g in t.guards if g not in guards)
            yield from (
                f"unknown effect {e!r} on {t.trigger}" for e in t.effects if e not in effects
            )
            if not t.roles:
                yield f"transition {t.trigger} names no role"
            yield from (f"unknown letter {k!r} on {t.trigger}" for k in t.letters if k not in KINDS)
        seen: dict[tuple[str, str], str] = {}
        for t in self.transitions:
            for s in t.sources:
                if (t.trigger, s.value) in seen:
                    yield f"trigger {t.trigger} defined twice from {s.value}"
                seen[(t.trigger, s.value)] = t.dest.value
        for state in self.states:
            outgoing = self.transitions_from(state.name.value)
            if state.final and outgoing:
                yield f"final state {state.name.value} has outgoing transitions"
            if not state.final and not outgoing:
                yield f"state {state.name.value} is a dead end but not final"
            if state.sla_days is not None and state.due_rule is not None:
                yield f"state {state.name.value} has both an SLA and a fixed due date"
        unreachable = names - self._reachable()
        if unreachable:
            yield "unreachable states: " + ", ".join(sorted(unreachable))

    def _reachable(self) -> set[str]:
        reached = {self.initial.value}
        frontier = [self.initial.value]
        while frontier:
            current = frontier.pop()
            for t in self.transitions_from(current):
                if t.dest.value not in reached:
                    reached.add(t.dest.value)
                    frontier.append(t.dest.value)
        return reached
