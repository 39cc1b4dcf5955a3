"""``/hub`` on the ordering and inventory APIs, and the events pushed to the hubs registered there."""

from __future__ import annotations

import uuid

from starlette.responses import Response

from ..errors import tmf_error
from ..hubs import QueryError, parse_hub_query
from ..routing import Ctx, Router, json_response
from ..state import Record, SandboxState, Store
from .apis import INVENTORY, ORDERING


def order_event(state: SandboxState, event_type: str, order: Record) -> None:
    """Push `event_type` about a United Way order to the ordering hubs."""
    state.deliveries.emit("ordering", event_type, "productOrder", order)


def cancel_event(state: SandboxState, event_type: str, cancel: Record) -> None:
    """Push `event_type` about a cancelProductOrder to the ordering hubs."""
    state.deliveries.emit("ordering", event_type, "cancelProductOrder", cancel)


def product_event(state: SandboxState, event_type: str, product: Record) -> None:
    """Push `event_type` about an inventory product to the inventory hubs."""
    state.deliveries.emit("inventory", event_type, "product", product)


def _hub_store(ctx: Ctx) -> Store:
    return ctx.state.ordering_hubs if ctx.api is ORDERING else ctx.state.inventory_hubs


async def create_hub(ctx: Ctx) -> Response:
    body = await ctx.json_body()
    callback = body.get("callback")
    if not isinstance(callback, str) or not callback.strip():
        raise tmf_error(400, 23, "callback")
    query = body.get("query")
    if query is not None and not isinstance(query, str):
        raise tmf_error(400, 24, "query must be a string")
    try:
        parse_hub_query(query)
    except QueryError as err:
        raise tmf_error(400, 24, f"query: {err}") from None
    hub = {"id": str(uuid.uuid4()), "callback": callback, "query": query}
    _hub_store(ctx).put(hub)
    ctx.state.deliveries.hubs_changed()
    return json_response(hub, status=201, headers={"Location": f"/hub/{hub['id']}"})


async def delete_hub(ctx: Ctx) -> Response:
    store = _hub_store(ctx)
    ident = ctx.params["id"]
    if store.remove(ident) is None:
        raise tmf_error(404, 60, "Resource not found", message="Resource not found")
    return Response(status_code=204)


async def hub_get_refused(ctx: Ctx) -> Response:
    raise tmf_error(405, 61, "the get method is not available", message="Method not allowed")


def register(router: Router) -> None:
    for api in (ORDERING, INVENTORY):
        router.add(api, "/hub", POST=create_hub, GET=hub_get_refused)
        router.add(api, "/hub/{id}", DELETE=delete_hub, GET=hub_get_refused)
