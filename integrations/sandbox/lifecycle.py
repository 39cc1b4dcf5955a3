"""Time-driven state changes: each plan applies its steps at ``started + n * step_seconds``.

Nothing runs in the background: :meth:`Lifecycle.tick` applies every step that is due by the
sandbox clock, in due order, before each request. With a fake clock the result is deterministic.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass

Step = Callable[[float], None]
"""A state change, called with the clock time at which it was due."""


@dataclass(eq=False)
class Plan:
    key: tuple[str, str]
    steps: list[Step]
    started: float
    interval: float
    index: int = 0

    @property
    def next_due(self) -> float:
        return self.started + (self.index + 1) * self.interval


class Lifecycle:
    """One active plan per resource key; starting a new plan (or stopping) replaces the old one."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Plan]] = []
        self._plans: dict[tuple[str, str], Plan] = {}
        self._seq = itertools.count()

    def start(self, key: tuple[str, str], steps: list[Step], *, at: float, interval: float) -> Plan:
        plan = Plan(key=key, steps=steps, started=at, interval=interval)
        self._plans[key] = plan
        if steps:
            heapq.heappush(self._heap, (plan.next_due, next(self._seq), plan))
        return plan

    def stop(self, key: tuple[str, str]) -> None:
        self._plans.pop(key, None)

    def active(self, key: tuple[str, str]) -> Plan | None:
        return self._plans.get(key)

    def tick(self, now: float) -> int:
        """Apply every step due at or before ``now``; return how many were applied."""
        applied = 0
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, _, plan = heapq.heappop(heap)
            if self._plans.get(plan.key) is not plan:
                continue  # stopped or replaced
            plan.steps[plan.index](due)
            plan.index += 1
            applied += 1
            if plan.index < len(plan.steps):
                heapq.heappush(heap, (plan.next_due, next(self._seq), plan))
            else:
                del self._plans[plan.key]
        return applied

    def __len__(self) -> int:
        return len(self._plans)
