"""Timed runs and their summary (median and spread over repeated runs)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Run:
    """One timed run: how many cases moved in how many seconds."""

    count: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class Series:
    """Repeated runs of one measurement."""

    name: str
    runs: list[Run] = field(default_factory=list)

    @property
    def rates(self) -> list[float]:
        return [r.rate for r in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    @property
    def low(self) -> float:
        return min(self.rates)

    @property
    def high(self) -> float:
        return max(self.rates)


def timed(count: int, work: Callable[[], None]) -> Run:
    """Run ``work`` once and time it with the monotonic performance counter."""
    started = time.perf_counter()
    work()
    return Run(count=count, seconds=time.perf_counter() - started)


@dataclass
class Comparison:
    """A measured path, its raw-SQL reference from the same runs, and the goal."""

    title: str
    unit: str
    measured: Series
    reference: Series
    goal: float

    @property
    def ratio(self) -> float:
        """Median of the per-run ratios measured/reference (each pair ran back to back)."""
        pairs = zip(self.measured.rates, self.reference.rates, strict=True)
        return statistics.median(m / r for m, r in pairs)

    @property
    def goal_met(self) -> bool:
        return self.measured.median >= self.goal
