"""Push from Orange: the hubs this deployment registers, and the listener Orange posts its events to.

    await ensure_hubs(ctx)                  # at start, and whenever push looks lost: one hub per API
    routes = hub_routes(ctx, client)        # POST /orange/hub/<secret> on PORT (HTTP and Socket Mode alike)

With `HUB_CALLBACK_URL` set, one hub is registered at the wholesale ordering API (TMF622) and one at the inventory
API (TMF637), each with a callback `<base>/orange/hub/<secret>` and a query for the events the bot uses. Orange has
no GET on hubs, so the registration is kept in the database (`hub_registration`); the secret only as its sha256.

An event is a hint, never trusted content: the listener checks the secret (constant time), the size (413) and the
JSON (400), answers at once, and then re-reads the order or product it names through the API and runs the normal
poll (diff → outbox) for the watches of it — or, for a new order, the channel rules. A forged, replayed, duplicated
or out-of-order event therefore posts nothing false and nothing twice. Polling stays on: it catches what a lost event
missed, and when the scheduled poll keeps finding changes push should have brought (`HubWatch`), the hubs are
registered again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.context import BotContext
from bot.jobs.outbox import send_outbox
from bot.jobs.poll import poll_watches
from bot.subscriptions import on_new_order
from integrations import APIError
from storage import crud
from storage.columns import utcnow
from storage.enums import WatchKind
from storage.models import HubRegistration

__all__ = [
    "HUB_APIS",
    "MAX_EVENT_BYTES",
    "HubWatch",
    "ensure_hubs",
    "handle_event",
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
            log.warning("registering the %s hub failed: %s; trying again later", api, err)
            reason = str(err)
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


async def handle_event(ctx: BotContext, client: AsyncWebClient, body: Mapping[str, Any], *, owner: str) -> str:
    """What an event leads to; never trusts its content beyond the id it names."""
    event_type, resource = _resource(body)
    ctx.metrics.hub_events.labels(event_type if event_type in KNOWN_EVENTS else "other").inc()
    kind = resource.get("kind")
    if kind == "cancelProductOrder":
        order = resource.get("productOrder")
        order_id = str(order.get("id")) if isinstance(order, dict) and order.get("id") else None
        watch_kind = WatchKind.ORDER
    else:
        order_id = str(resource["id"]) if resource.get("id") else None
        watch_kind = WatchKind.PRODUCT if kind == "product" else WatchKind.ORDER
    if order_id is None or event_type is None:
        return "ignored: no event type or resource id"
    made = 0
    if event_type == "ProductOrderCreateEvent":
        made = await on_new_order(ctx, client, "wholesale", order_id)
    watches = await ctx.read(
        lambda s: crud.live_watches_of(session=s, backend="wholesale", order_id=order_id, kind=watch_kind)
    )
    polled = await poll_watches(ctx, [w.id for w in watches], owner=owner)
    if made or polled.events:
        await send_outbox(ctx, client)
    return f"{event_type}: {made} new watches, {polled.polled} watches read again, {polled.events} changes"


_PENDING: set[asyncio.Task[str]] = set()
"""Events accepted and still being handled (the listener answers before the work)."""


async def settle() -> None:
    """Wait until every accepted event is handled (a clean stop; tests)."""
    while _PENDING:
        await asyncio.gather(*list(_PENDING), return_exceptions=True)


def hub_routes(ctx: BotContext, client: AsyncWebClient, *, owner: str) -> list[Route]:
    """`POST /orange/hub/<secret>` (and TMF's `…/listener/<eventName>` under it): 204 at once, the work after."""

    async def listener(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_EVENT_BYTES:
            return JSONResponse({"error": "event too large"}, status_code=413)
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_EVENT_BYTES:
                return JSONResponse({"error": "event too large"}, status_code=413)
        digest = secret_digest(request.path_params["secret"])
        registration = await ctx.read(lambda s: crud.hub_for_secret(session=s, secret_digest=digest))
        if registration is None:
            return JSONResponse({"error": "not found"}, status_code=404)  # never says why: the secret stays secret
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "an event is a JSON object"}, status_code=400)
        await ctx.db(lambda s: crud.touch_hub(session=s, registration_id=registration.id))
        task = asyncio.create_task(_run(ctx, client, body, owner=owner))
        _PENDING.add(task)
        task.add_done_callback(_PENDING.discard)
        return Response(status_code=204)

    return [
        Route("/orange/hub/{secret}", listener, methods=["POST"]),
        Route("/orange/hub/{secret}/listener/{event}", listener, methods=["POST"]),
    ]


async def _run(ctx: BotContext, client: AsyncWebClient, body: dict[str, Any], *, owner: str) -> str:
    try:
        done = await handle_event(ctx, client, body, owner=owner)
        log.info("hub event %s: %s", body.get("eventId"), done)
        return done
    except Exception:  # the scheduled poll catches up with whatever this missed
        log.exception("handling hub event %s failed", body.get("eventId"))
        return "failed"
