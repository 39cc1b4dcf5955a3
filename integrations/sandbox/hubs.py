"""Orange's push side: the events United Way POSTs to the callbacks registered with `POST /hub`.

A change to a wholesale order, cancellation or inventory product (through the API, its lifecycle or the admin
endpoints) becomes a TMF event — `{"eventId", "eventTime", "eventType", "event": {"productOrder": {…}}}` — for
every hub of that API whose `query` matches it, POSTed to `<callback>/listener/<eventName>` (TMF's listener path;
Orange's document says only "the POST event callback address"). Like the real service the sandbox sends each event
once and never again: a callback that fails or does not answer loses it. Admin faults make it harsher on purpose:
events dropped, sent twice, held back, or sent in reverse order (`/_sandbox/hubs/faults`).

Delivery runs in a background task on the running event loop, started by the first event; while hubs exist it
also advances the order lifecycles every `tick_seconds`, so time-driven changes are pushed without anyone
polling. Nothing is sent when no hub is registered.
"""

from __future__ import annotations

import asyncio
import copy
import heapq
import itertools
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import httpx

from .query import values_at

if TYPE_CHECKING:
    from .state import Record, SandboxState, Store

log = logging.getLogger(__name__)

HubApi = Literal["ordering", "inventory"]
FaultMode = Literal["drop", "duplicate", "delay", "reorder"]
FAULT_MODES: tuple[FaultMode, ...] = ("drop", "duplicate", "delay", "reorder")


class QueryError(ValueError):
    """A hub `query` the sandbox cannot read (Orange answers 400)."""


def parse_hub_query(query: str | None) -> list[tuple[str, frozenset[str]]]:
    """`eventType = A` or `eventType=A,B&event.productOrder.state=completed`: (path, accepted values) pairs."""
    if query is None or not query.strip():
        return []
    terms: list[tuple[str, frozenset[str]]] = []
    for part in query.split("&"):
        key, sep, values = part.partition("=")
        key = key.strip()
        accepted = frozenset(value.strip() for value in values.split(",") if value.strip())
        if not sep or not key or not accepted:
            raise QueryError(f"cannot read the query term {part.strip()!r}: write key=value[,value…]")
        terms.append((key, accepted))
    return terms


def hub_matches(query: str | None, event: Record) -> bool:
    """Whether an event passes a hub's query: every term matches (any of its values)."""
    for key, accepted in parse_hub_query(query):
        found = [event.get("eventType")] if key == "eventType" else values_at(event, key)
        if not any(str(value) in accepted for value in found if value is not None):
            return False
    return True


def listener_path(event_type: str) -> str:
    return "/listener/" + event_type[:1].lower() + event_type[1:]


@dataclass
class HubFault:
    mode: FaultMode
    remaining: int
    seconds: float = 0.0
    held: list[Delivery] = field(default_factory=list)
    """`reorder`: the deliveries held back until `remaining` reaches 0, then sent last-first."""

    def describe(self) -> dict[str, Any]:
        return {"mode": self.mode, "count": self.remaining, "seconds": self.seconds, "held": len(self.held)}


@dataclass(eq=False)
class Delivery:
    hub_id: str
    url: str
    body: Record

    @property
    def event_type(self) -> str:
        return str(self.body.get("eventType"))

    @property
    def resource_state(self) -> Any:
        """The state (or status) of the resource the event carries, as it was at the change."""
        resource = next(iter(self.body.get("event", {}).values()), {})
        return resource.get("state", resource.get("status")) if isinstance(resource, dict) else None


class HubDeliveries:
    """The events waiting to be POSTed, the faults applied to them, and what became of each one."""

    def __init__(self, state: SandboxState, *, tick_seconds: float = 0.2, timeout: float = 5.0) -> None:
        self.state = state
        self.transport: httpx.AsyncBaseTransport | None = None
        """Where callbacks are POSTed (default: the network); tests give an `httpx.ASGITransport`."""
        self.tick_seconds = tick_seconds
        self.timeout = timeout
        self.faults: list[HubFault] = []
        self.log: deque[dict[str, Any]] = deque(maxlen=2000)
        self._due: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending = 0

    # ------------------------------------------------------------------ events

    def _hubs(self, api: HubApi) -> Store:
        return self.state.ordering_hubs if api == "ordering" else self.state.inventory_hubs

    def emit(self, api: HubApi, event_type: str, kind: str, resource: Record) -> None:
        """Queue `event_type` about `resource` (`kind`: productOrder, cancelProductOrder, product) for every hub."""
        hubs = self._hubs(api)
        if not len(hubs):
            return
        # Matched against the live resource; the body carries a copy, as the resource was at the change.
        event: Record = {"eventType": event_type, "event": {kind: resource}}
        wanted = [hub for hub in list(hubs.values()) if hub_matches(hub.get("query"), event)]
        if not wanted:
            return
        body: Record = {
            "eventId": uuid.uuid4().hex,
            "eventTime": self.state.tmf_date(),
            "eventType": event_type,
            "event": {kind: copy.deepcopy(resource)},
        }
        for hub in wanted:
            url = str(hub["callback"]).rstrip("/") + listener_path(event_type)
            self._queue(Delivery(hub_id=str(hub["id"]), url=url, body=body))

    def _queue(self, delivery: Delivery) -> None:
        now = time.monotonic()
        fault = self.faults[0] if self.faults else None
        if fault is None:
            self._push(now, delivery)
            return
        fault.remaining -= 1
        if fault.remaining <= 0:
            self.faults.pop(0)
        if fault.mode == "drop":
            self._record(delivery, "dropped")
        elif fault.mode == "duplicate":
            self._push(now, delivery)
            self._push(now, delivery)
        elif fault.mode == "delay":
            self._push(now + fault.seconds, delivery)
        else:  # reorder
            fault.held.append(delivery)
            if fault.remaining <= 0:
                for held in reversed(fault.held):
                    self._push(now, held)

    def _push(self, due: float, delivery: Delivery) -> None:
        heapq.heappush(self._due, (due, next(self._seq), delivery))
        self._wake.set()
        self._ensure_worker()

    def _record(self, delivery: Delivery, outcome: str, status: int | None = None) -> None:
        self.log.append(
            {
                "eventId": delivery.body.get("eventId"),
                "eventType": delivery.event_type,
                "state": delivery.resource_state,
                "hub": delivery.hub_id,
                "outcome": outcome,
                "status": status,
            }
        )

    # ------------------------------------------------------------------ faults

    def add_fault(self, mode: FaultMode, count: int, seconds: float = 0.0) -> HubFault:
        fault = HubFault(mode=mode, remaining=count, seconds=seconds)
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> int:
        """Forget the faults; events a `reorder` fault was holding are sent now, in order."""
        removed = len(self.faults)
        now = time.monotonic()
        for fault in self.faults:
            for held in fault.held:
                self._push(now, held)
        self.faults.clear()
        return removed

    def describe(self) -> dict[str, Any]:
        return {
            "ordering": list(self.state.ordering_hubs.values()),
            "inventory": list(self.state.inventory_hubs.values()),
            "pending": len(self._due) + self._sending,
            "faults": [fault.describe() for fault in self.faults],
            "deliveries": list(self.log),
        }

    # ------------------------------------------------------------------ the worker

    def _active(self) -> bool:
        return bool(self._due) or bool(len(self.state.ordering_hubs)) or bool(len(self.state.inventory_hubs))

    def _ensure_worker(self) -> None:
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a synchronous caller): the next event on a loop starts it
        self._wake = asyncio.Event()
        self._task = loop.create_task(self._run(), name="sandbox-hub-deliveries")

    def hubs_changed(self) -> None:
        """A hub was registered: start delivering (and ticking) if not already."""
        self._ensure_worker()

    async def _run(self) -> None:
        async with httpx.AsyncClient(transport=self.transport, timeout=self.timeout) as client:
            while self._active():
                self.state.tick()  # time-driven changes happen (and are pushed) even when nobody asks
                now = time.monotonic()
                while self._due and self._due[0][0] <= now:
                    _, _, delivery = heapq.heappop(self._due)
                    self._sending += 1
                    try:
                        await self._send(client, delivery)
                    finally:
                        self._sending -= 1
                wait = self.tick_seconds
                if self._due:
                    wait = max(0.0, min(wait, self._due[0][0] - time.monotonic()))
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
                except TimeoutError:
                    pass

    async def _send(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        try:
            response = await client.post(delivery.url, json=delivery.body)
        except httpx.HTTPError as err:
            # Lost, as Orange loses it: no retry. The listener's poll catches up.
            log.info("hub event %s not delivered: %s", delivery.body.get("eventId"), type(err).__name__)
            self._record(delivery, "failed")
            return
        self._record(delivery, "delivered" if response.is_success else "refused", response.status_code)

    async def idle(self, timeout: float = 10.0, *, delayed: bool = False) -> None:
        """Wait until nothing is due or being sent; with `delayed`, until the events a delay fault holds back are
        sent too (events a `reorder` fault is holding never count)."""
        deadline = time.monotonic() + timeout
        while self._sending or (self._due and (delayed or self._due[0][0] <= time.monotonic())):
            if time.monotonic() > deadline:
                raise TimeoutError("hub deliveries did not settle")
            await asyncio.sleep(0.01)

    async def aclose(self) -> None:
        """Stop the worker; what is still queued is lost (a stopping Orange)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._due.clear()
