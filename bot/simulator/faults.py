"""Failures a test queues with ``FakeSlack.inject``, taken one by one by the calls they match."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass
class Fault:
    method: str
    error: str | None
    status: int
    retry_after: int | None
    delay: float
    remaining: int | None
    performed: bool = False
    """The call is carried out first and only its answer fails (Slack took the post, then answered 500)."""

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


class Faults:
    def __init__(self) -> None:
        self._queue: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._queue.append(fault)

    def clear(self) -> None:
        self._queue.clear()

    def take(self, method: str) -> Fault | None:
        for fault in self._queue:
            if fault.method in (method, "*"):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._queue.remove(fault)
                return fault
        return None

    async def strike(self, method: str) -> Fault | None:
        """Take the next fault for ``method`` and wait out its delay: the fault if the call must fail, else None."""
        fault = self.take(method)
        if fault is None:
            return None
        if fault.delay:
            await asyncio.sleep(fault.delay)
        return fault if fault.error is not None or fault.status != 200 else None
