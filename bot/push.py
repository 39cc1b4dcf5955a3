"""Push from Orange: the hubs this deployment registers, and the listener Orange posts its events to.

    await ensure_hubs(ctx)                  # at start, and whenever push looks lost: one hub per API
    routes = hub_routes(ctx, client)        # POST /orange/hub/<secret> on PORT (HTTP and Socket Mode alike)

With `HUB_CALLBACK_URL` set, one hub is registered at the wholesale ordering API (TMF622) and one at the inventory
API (TMF637), each with a callback `<base>/orange/hub/<secret>` and a query for the events the bot uses. Orange has
no GET on hubs, so the registration is kept in the database (`hub_registration`); the secret only as its sha256.

An event is a hint, never trusted content: the listener checks the secret (constant time), the size (413) and the
JSON (400), answers at once, and then re-reads the order or product it names through the API and runs the normal
poll (diff → outbox) for the watches of it — or, for a new order, the channel rules. A forged, replayed, duplicated
or out-of-order event therefore posts nothing false and nothing twice. Whoever holds the secret costs Orange little:
an `eventId` seen before does nothing, the events about one order wait as one re-read (`HubQueue`: a few workers, a
bounded number of orders; beyond it events are shed), a new order is read once whatever the number of rules, and
every request passes the backend's rate cap like the poll's. Polling stays on: it catches what a lost or shed event
missed, and when the scheduled poll keeps finding changes push should have brought (`HubWatch`), the hubs are
registered again; only events whose re-read found something the bot follows count as signs of a live hub.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.context import BotContext
from bot.jobs.poll import poll_watches
from bot.notify.outbox import send_outbox
from bot.subscriptions import NewOrder, on_new_order
from integrations import APIError, InvalidReferenceError, check_id, redact, register_secret
from storage import crud
from storage.columns import utcnow
from storage.enums import WatchKind
from storage.models import HubRegistration

__all__ = [
    "HUB_APIS",
    "MAX_EVENT_BYTES",
    "MAX_PENDING",
    "WORKERS",
    "HubQueue",
    "HubWatch",
    "Reread",
    "ensure_hubs",
    "hub_routes",
    "secret_digest",
    "settle",
    "unregister_hubs",
]

log = logging.getLogger("bot.push")

MAX_EVENT_BYTES = 256 * 1024
"""A bigger body is refused (413): an order event is a few KB."""

ORDER_EVENTS = (
    "ProductOrderCreateEvent",
    "ProductOrderStateChangeEvent",
    "ProductOrderMilestoneEvent",
    "ProductOrderErrorMessageEvent",
    "ProductOrderJeopardyAlertEvent",
    "ProductOrderInformationRequiredEvent",
    "ProductOrderAttributeValueChangeEvent",
    "CancelProductOrderStateChangeEvent",
)
PRODUCT_EVENTS = ("ProductStateChangeEvent", "ProductDeleteEvent")
HUB_APIS: dict[str, tuple[str, ...]] = {"ordering": ORDER_EVENTS, "inventory": PRODUCT_EVENTS}
"""The APIs hubs are registered at, with the event types asked for (the query `eventType=A,B,…`)."""
KNOWN_EVENTS = frozenset(ORDER_EVENTS + PRODUCT_EVENTS) | {"ProductOrderDeleteEvent", "CancelProductOrderCreateEvent"}
"""Event types counted by name; anything else (a forged type, say) is counted as `other`: labels stay few."""
UNCONFIRMED = timedelta(minutes=5)
"""A registration that has no hub id this long after it was opened (its replica died mid-POST) is done again."""
WORKERS = 4
"""Re-reads under way at once, per listener (each through the backend's rate-capped client)."""
MAX_PENDING = 1000
"""Orders (or products) waiting for their re-read; an event about yet another one is shed (the poll catches up)."""


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _query(api: str) -> str:
    return "eventType=" + ",".join(HUB_APIS[api])


def _hubs(ctx: BotContext, api: str) -> Any:
    return ctx.orange.wholesale.hub if api == "ordering" else ctx.orange.wholesale.inventory_hub


async def ensure_hubs(ctx: BotContext) -> dict[str, str]:
    """Register the hubs that are missing (one per API, across replicas); {api: what happened}."""
    base = (ctx.settings.hub_callback_url or "").rstrip("/")
    if not base or "wholesale" not in ctx.enabled:
        return {}
    done: dict[str, str] = {}
    for api in HUB_APIS:
        secret = secrets.token_urlsafe(32)
        register_secret(secret)  # whatever is logged or raised from here on (the callback URL) shows it masked
        query = _query(api)

        def open_(
            session: Any, api: str = api, secret: str = secret, query: str = query
        ) -> tuple[HubRegistration, bool]:
            live = crud.live_hub(session=session, api=api)
            if live is not None and live.hub_id is None and live.created_at < utcnow() - UNCONFIRMED:
                crud.end_hub(session=session, registration_id=live.id, reason="never confirmed by Orange")
            return crud.open_hub(session=session, api=api, secret_digest=secret_digest(secret), query=query)

        registration, created = await ctx.db(open_)
        if not created:
            done[api] = "registered" if registration.hub_id else "being registered by another replica"
            continue
        try:
            hub = await _hubs(ctx, api).register(f"{base}/orange/hub/{secret}", query=query)
        except APIError as err:
            reason = redact(str(err))
            log.warning("registering the %s hub failed: %s; trying again later", api, reason)
            await ctx.db(lambda s, r=registration: crud.end_hub(session=s, registration_id=r.id, reason=reason))  # type: ignore[misc]
            done[api] = f"failed: {reason}"
            continue
        await ctx.db(
            lambda s, r=registration, h=str(hub.id): crud.set_hub_registered(session=s, registration_id=r.id, hub_id=h)  # type: ignore[misc]
        )
        log.info("registered the %s hub %s", api, hub.id)
        done[api] = "registered now"
    return done


async def unregister_hubs(ctx: BotContext, *, reason: str = "unregistered") -> int:
    """Delete every hub this deployment registered (Orange first, then the record); how many were deleted."""
    count = 0
    for registration in await ctx.read(lambda s: crud.live_hubs(session=s)):
        if registration.hub_id:
            try:
                await _hubs(ctx, registration.api).unregister(registration.hub_id)
            except APIError as err:  # gone already, most likely: the record goes anyway
                log.info("deleting the %s hub %s: %s", registration.api, registration.hub_id, err)
        await ctx.db(lambda s, r=registration: crud.end_hub(session=s, registration_id=r.id, reason=reason))  # type: ignore[misc]
        count += 1
    return count


async def _renew(ctx: BotContext) -> dict[str, str]:
    await unregister_hubs(ctx, reason="lost: polling kept finding what push should have brought")
    return await ensure_hubs(ctx)


@dataclass
class HubWatch:
    """Whether push still works: the scheduled poll should find nothing new on wholesale orders when it does.

    `after_cycle` is told how many wholesale events a scheduled cycle found; after `misses` cycles in a row that
    found some while no event came in, the hubs are registered again (a single lost event is not a lost hub).
    """

    misses: int = 2
    _suspect: int = field(default=0, init=False)

    async def after_cycle(self, ctx: BotContext, *, wholesale_events: int) -> bool:
        """True when the hubs were registered again."""
        if not ctx.settings.hub_callback_url or wholesale_events == 0:
            self._suspect = 0
            return False
        since = utcnow() - timedelta(seconds=2 * ctx.settings.poll_interval_seconds)
        hubs = await ctx.read(lambda s: crud.live_hubs(session=s))
        quiet = not hubs or all(h.last_event_at is None or h.last_event_at < since for h in hubs)
        self._suspect = self._suspect + 1 if quiet else 0
        if self._suspect < self.misses:
            return False
        self._suspect = 0
        log.warning("push looks lost (%d cycles found changes, no event came): registering the hubs again", self.misses)
        await _renew(ctx)
        return True


# --- the listener -------------------------------------------------------------------------------


@dataclass
class Reread:
    """What one event asks for, and several about the same order (or product) share: read it again."""

    kind: WatchKind
    resource_id: str
    registration_id: uuid.UUID
    """The hub the event came through (its `last_event_at` moves when the re-read finds something)."""
    created: bool = False
    """A `ProductOrderCreateEvent` is among the events: the channel rules decide about the order too."""
    events: int = 1
    event_id: str = ""
    """The first event's id, for the log."""

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.resource_id

    def merge(self, other: Reread) -> None:
        self.created = self.created or other.created
        self.registration_id = other.registration_id
        self.events += other.events


def _resource(body: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The event type and the resource it is about (`event.productOrder`, `event.product`, …)."""
    event = body.get("event")
    resource: dict[str, Any] = {}
    if isinstance(event, dict):
        for key in ("productOrder", "cancelProductOrder", "product"):
            if isinstance(event.get(key), dict):
                resource = {"kind": key, **event[key]}
                break
    kind = body.get("eventType")
    return (str(kind) if kind else None), resource


def _reread_of(body: Mapping[str, Any], registration_id: uuid.UUID) -> tuple[str | None, Reread | None]:
    """The event type, and the re-read the event asks for (None: it names nothing that can be read)."""
    event_type, resource = _resource(body)
    kind = resource.get("kind")
    if kind == "cancelProductOrder":
        order = resource.get("productOrder")
        resource_id = order.get("id") if isinstance(order, dict) else None
        watch_kind = WatchKind.ORDER
    else:
        resource_id = resource.get("id")
        watch_kind = WatchKind.PRODUCT if kind == "product" else WatchKind.ORDER
    if event_type is None or not isinstance(resource_id, str | int) or isinstance(resource_id, bool):
        return event_type, None
    try:
        resource_id = check_id(resource_id)
    except InvalidReferenceError:  # nothing Orange could answer about
        return event_type, None
    return event_type, Reread(
        kind=watch_kind,
        resource_id=resource_id,
        registration_id=registration_id,
        created=event_type == "ProductOrderCreateEvent" and watch_kind == WatchKind.ORDER,
        event_id=_shown(body.get("eventId")),
    )


def _shown(event_id: object) -> str:
    """An event id as logged: the sender chose it, so short and on one line."""
    return "".join(c if c.isprintable() else "?" for c in str(event_id)[:64])


def _delivery_key(api: str, body: Mapping[str, Any]) -> str | None:
    """The processed-deliveries key of an event's `eventId` (hashed: its length is the sender's choice)."""
    event_id = body.get("eventId")
    if not isinstance(event_id, str | int) or isinstance(event_id, bool) or str(event_id) == "":
        return None
    return f"hub:{api}:" + hashlib.sha256(str(event_id).encode()).hexdigest()[:40]


async def _reread(ctx: BotContext, client: AsyncWebClient, job: Reread, *, owner: str) -> str:
    """Read the order (or product) again: its watches are polled, and a new order is put to the channel rules."""
    watches = await ctx.read(
        lambda s: crud.live_watches_of(session=s, backend="wholesale", order_id=job.resource_id, kind=job.kind)
    )  # before the rules watch it: a watch a rule makes now starts from the read the rules used
    new = NewOrder()
    if job.created:
        new = await on_new_order(ctx, client, "wholesale", job.resource_id)
    polled = await poll_watches(ctx, [w.id for w in watches], owner=owner)
    if new.watched or polled.events:
        await send_outbox(ctx, client)
    if new.matched or polled.polled:  # Orange named something the bot follows: a sign the hub is alive
        await ctx.db(lambda s: crud.touch_hub(session=s, registration_id=job.registration_id))
    return (
        f"{job.events} event(s): {new.matched} rules matched, {new.watched} new watches, "
        f"{polled.polled} watches read again, {polled.events} changes"
    )


_QUEUES: weakref.WeakSet[HubQueue] = weakref.WeakSet()


class HubQueue:
    """The re-reads events asked for and not yet done: one per order (or product), worked by `workers` tasks.

    An event about an order already waiting joins its re-read; about an order being read right now, it waits as one
    more re-read after that one (the read under way may have missed the change announced). At `max_pending` orders
    waiting, an event about another order is shed: the scheduled poll catches up with it.
    """

    def __init__(self, handle: Callable[[Reread], Awaitable[str]], *, workers: int, max_pending: int) -> None:
        self._handle = handle
        self.workers = workers
        self.max_pending = max_pending
        self._pending: dict[tuple[str, str], Reread] = {}
        self._running: set[tuple[str, str]] = set()
        self._again: dict[tuple[str, str], Reread] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.shed = 0
        """Events shed so far."""
        self._shed_since = 0
        _QUEUES.add(self)

    @property
    def waiting(self) -> int:
        return len(self._pending) + len(self._again)

    def offer(self, job: Reread) -> bool:
        """Queue the re-read `job` asks for (joined with one waiting for the same order); False when shed."""
        key = job.key
        waiting = self._again if key in self._running else self._pending
        if key in waiting:
            waiting[key].merge(job)
            return True
        if self.waiting >= self.max_pending:
            self.shed += 1
            if self._shed_since == 0:
                log.warning(
                    "hub events come faster than they are handled: %d orders wait to be read again, so events about "
                    "other orders are dropped until the queue drains (the scheduled poll catches up with them)",
                    self.waiting,
                )
            self._shed_since += 1
            return False
        waiting[key] = job
        self._tasks = {t for t in self._tasks if not t.done()}
        if len(self._tasks) < self.workers:
            self._tasks.add(asyncio.get_running_loop().create_task(self._work()))
        return True

    def busy(self) -> list[asyncio.Task[None]]:
        """The workers still running."""
        return [t for t in self._tasks if not t.done()]

    async def _work(self) -> None:
        while self._pending:
            key = next(iter(self._pending))
            job = self._pending.pop(key)
            self._running.add(key)
            try:
                done = await self._handle(job)
                log.info("hub event %s: %s", job.event_id, done)
            except Exception:  # the scheduled poll catches up with whatever this missed
                log.exception("handling hub event %s failed", job.event_id)
            finally:
                self._running.discard(key)
                again = self._again.pop(key, None)
                if again is not None:
                    self._pending[key] = again
        if self._shed_since and not self._running:
            log.warning("the hub queue drained; %d events were shed while it was full", self._shed_since)
            self._shed_since = 0


async def settle() -> None:
    """Wait until every accepted event is handled (a clean stop; tests)."""
    loop = asyncio.get_running_loop()
    while True:
        busy = [t for queue in list(_QUEUES) for t in queue.busy() if t.get_loop() is loop]
        if not busy:
            return
        await asyncio.gather(*busy, return_exceptions=True)


def hub_routes(ctx: BotContext, client: AsyncWebClient, *, owner: str) -> list[Route]:
    """`POST /orange/hub/<secret>` (and TMF's `…/listener/<eventName>` under it): 204 at once, the work after.

    Nothing here logs the path or the secret; the secret is also registered with the redactor once it proved real.
    """

    async def handle(job: Reread) -> str:
        return await _reread(ctx, client, job, owner=owner)

    queue = HubQueue(handle, workers=WORKERS, max_pending=MAX_PENDING)

    async def listener(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_EVENT_BYTES:
            return JSONResponse({"error": "event too large"}, status_code=413)
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_EVENT_BYTES:
                return JSONResponse({"error": "event too large"}, status_code=413)
        secret = request.path_params["secret"]
        digest = secret_digest(secret)
        registration = await ctx.read(lambda s: crud.hub_for_secret(session=s, secret_digest=digest))
        if registration is None:
            return JSONResponse({"error": "not found"}, status_code=404)  # never says why: the secret stays secret
        register_secret(secret)  # a replica that did not register this hub learns it here
        try:
            event = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        if not isinstance(event, dict):
            return JSONResponse({"error": "an event is a JSON object"}, status_code=400)
        event_type, job = _reread_of(event, registration.id)
        ctx.metrics.hub_events.labels(event_type if event_type in KNOWN_EVENTS else "other").inc()
        key = _delivery_key(registration.api, event)
        if key is not None and not await ctx.db(lambda s: crud.mark_delivery_processed(session=s, key=key)):
            log.debug("hub event %s was handled already", _shown(event.get("eventId")))
        elif job is not None:
            queue.offer(job)
        return Response(status_code=204)

    return [
        Route("/orange/hub/{secret}", listener, methods=["POST"]),
        Route("/orange/hub/{secret}/listener/{event}", listener, methods=["POST"]),
    ]
