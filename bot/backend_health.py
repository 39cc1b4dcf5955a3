"""Which backends are down, in this process: a backend whose order list fails is left alone, then probed with one
request after 1, 2, 4 … poll intervals (at most `MAX_INTERVALS` of them, and at most `MAX_WAIT`), until it answers.

    health = health_of(ctx.orange)             # one per Orange client, so one per process
    if health.probe_due("wholesale", now):     # down, and its next probe is due (time is handed in)
        ...                                    # one list request, then health.failed(...) or health.recovered(...)
    if health.is_down("wholesale"):            # nothing else is asked of it: its watches wait, nothing is lost

An outage is logged once when it starts and once when it ends, never per watch; a single order failing while
the list works is that order's own failure, not an outage. In memory only: a restart polls every backend again.

Each channel watching the backend's orders is told once when it goes down and once when it answers again
(`bot.jobs.outages`), however many replicas see it: the outage is kept in the database
(`storage.crud.open_outage` / `close_outage`), and the replica whose INSERT (or DELETE) wins owes the posts.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from integrations import APIConnectionError, APIError, APIStatusError, OrangeClient

__all__ = [
    "BACKEND_DOWN",
    "BACKEND_UP",
    "MAX_INTERVALS",
    "MAX_WAIT",
    "BackendHealth",
    "Outage",
    "health_of",
    "is_outage",
]

log = logging.getLogger("bot.backend_health")

MAX_INTERVALS = 8
"""The longest wait between two probes, in poll intervals."""
MAX_WAIT = timedelta(hours=1)
"""… and in time (whichever is shorter; never under one interval)."""

_OUTAGE_STATUSES = frozenset({401, 403, 408, 429})
"""Besides 5xx: answers that refuse a whole list, and that every order's GET would get too."""


def is_outage(err: BaseException) -> bool:
    """Whether a failed list means the backend cannot serve us now (unreachable, 5xx, throttled, refused), rather
    than an answer we could not read (then each order's GET may still say more)."""
    if isinstance(err, APIConnectionError):
        return True
    if isinstance(err, APIStatusError):
        return err.status_code >= 500 or err.status_code in _OUTAGE_STATUSES
    return False


@dataclass
class Outage:
    since: datetime
    failures: int
    """Failed requests in a row: the list that found the outage, then each failed probe."""
    next_probe: datetime
    reason: str


class BackendHealth:
    """The down backends of one process; every method takes the moment (the poll cycle's `now`)."""

    def __init__(self) -> None:
        self._down: dict[str, Outage] = {}

    def is_down(self, backend: str) -> bool:
        return backend in self._down

    def outage(self, backend: str) -> Outage | None:
        return self._down.get(backend)

    def probe_due(self, backend: str, now: datetime) -> bool:
        """Whether a down backend's next probe is due (False for a backend that is up: nothing to probe)."""
        outage = self._down.get(backend)
        return outage is not None and now >= outage.next_probe

    def failed(self, backend: str, *, now: datetime, interval: timedelta, err: BaseException) -> Outage | None:
        """The backend's list (or its probe) failed with an outage: it is down until a probe succeeds. The outage
        when this starts it (it was up), else None."""
        outage = self._down.get(backend)
        reason = _reason(err)
        started = outage is None
        if outage is None:
            outage = self._down[backend] = Outage(since=now, failures=0, next_probe=now, reason=reason)
            log.warning("%s is down (%s): its watches wait; one probe request per back-off step", backend, reason)
        outage.failures += 1
        outage.reason = reason
        wait = _wait(outage.failures, interval)
        # Half an interval early: a cycle comes a little early or late (jitter) and must not skip a step.
        outage.next_probe = now + wait - interval / 2
        log.debug("%s: still down (%s); next probe in %s", backend, reason, wait)
        return outage if started else None

    def recovered(self, backend: str, *, now: datetime) -> Outage | None:
        """The backend answered: it is polled normally again. The outage this ends (None: it was up)."""
        outage = self._down.pop(backend, None)
        if outage is not None:
            log.warning(
                "%s is back up after %ds down (%d failed requests); polling it again",
                backend,
                (now - outage.since).total_seconds(),
                outage.failures,
            )
        return outage


BACKEND_DOWN = "backend_down"
"""The outbox kind of a channel's post "Orange <backend> is not answering" (its `payload["text"]`)."""
BACKEND_UP = "backend_up"
"""… and of "Orange <backend> answers again"."""


def _wait(failures: int, interval: timedelta) -> timedelta:
    """1, 2, 4 … intervals after the 1st, 2nd, 3rd … failure; at most `MAX_INTERVALS` and `MAX_WAIT`."""
    steps = min(1 << min(failures - 1, 16), MAX_INTERVALS)
    return max(interval, min(interval * steps, MAX_WAIT))


def _reason(err: BaseException) -> str:
    if isinstance(err, APIStatusError):
        return f"HTTP {err.status_code}"
    if isinstance(err, APIError):
        return err.kind
    return type(err).__name__


_HEALTH: weakref.WeakKeyDictionary[OrangeClient, BackendHealth] = weakref.WeakKeyDictionary()


def health_of(orange: OrangeClient) -> BackendHealth:
    """The health of the backends `orange` talks to: one per client, so one per process (and a fresh one per
    test harness), shared by every poll cycle and push re-read."""
    found = _HEALTH.get(orange)
    if found is None:
        found = _HEALTH[orange] = BackendHealth()
    return found
