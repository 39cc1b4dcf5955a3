"""TMF622 ``cancelProductOrder``: cancelling a United Way order, the cancellation's lifecycle, lists and GETs."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta

from starlette.responses import Response

from ..errors import ApiError, tmf_error
from ..routing import Ctx, Router, collection, json_response, one
from ..state import Record, SandboxState, is_final
from .apis import ORDERING
from .hub import cancel_event, order_event

CANCELLING = frozenset({"assessingcancellation", "pendingcancellation"})

CANCEL_FILTERS = frozenset(
    {
        "id",
        "href",
        "state",
        "productOrder.id",
        "productOrder",
        "cancellationReason",
        "creationDate",
        "effectiveCancellationDate",
    }
)


async def create_cancellation(ctx: Ctx) -> Response:
    state = ctx.state
    body = await ctx.json_body()
    ref = body.get("productOrder")
    if not isinstance(ref, dict) or ref.get("id") in (None, ""):
        raise tmf_error(400, 23, "productOrder.id")
    order_id = str(ref["id"])
    order = state.wholesale_orders.get(order_id)
    if order is None:
        raise ORDERING.not_found("productOrder", order_id)
    current = str(order.get("state", ""))
    if is_final(current):
        raise ApiError(
            409,
            {
                "code": "69",
                "message": "Conflict",
                "reason": f"The productOrder {order_id} cannot be cancelled: the order is {current}",
                "@type": "Error",
            },
        )
    if current.casefold() in CANCELLING:
        raise ApiError(
            409,
            {
                "code": "69",
                "message": "Conflict",
                "reason": f"The productOrder {order_id} cannot be cancelled: the order is already in {current}",
                "@type": "Error",
            },
        )
    cancel_id = str(state.next_cancel_id)
    state.next_cancel_id += 1
    cancel: Record = {"id": cancel_id, "href": f"{ctx.prefix}/cancelProductOrder/{cancel_id}", "state": "acknowledged"}
    for key in ("cancellationReason", "requestedCancellationDate"):
        if key in body:
            cancel[key] = body[key]
    cancel["effectiveCancellationDate"] = body.get("effectiveCancellationDate") or state.tmf_date(
        plus=timedelta(seconds=2 * state.config.step_seconds)
    )
    cancel["productOrder"] = {
        "href": order.get("href"),
        **copy.deepcopy(ref),
        "@type": ref.get("@type", "ProductOrder"),
    }
    cancel["@type"] = body.get("@type", "CancelProductOrder")
    state.cancellations.put(cancel, listed_from=state.listed_from())
    start_cancellation(state, order, cancel)
    cancel_event(state, "CancelProductOrderCreateEvent", cancel)
    return json_response(cancel, status=201, headers={"Location": f"/cancelProductOrder/{cancel_id}"})


def start_cancellation(state: SandboxState, order: Record, cancel: Record) -> None:
    """Order: assessingCancellation → pendingCancellation → cancelled; cancel: acknowledged → inProgress → done."""

    def move(order_state: str) -> None:
        order["state"] = order_state
        for item in order.get("productOrderItem") or []:
            if isinstance(item, dict) and not is_final(item.get("state")):
                item["state"] = order_state

    def step(order_state: str, cancel_state: str) -> Callable[[float], None]:
        def apply(due: float) -> None:
            move(order_state)
            order_event(state, "ProductOrderStateChangeEvent", order)
            cancel["state"] = cancel_state
            cancel_event(state, "CancelProductOrderStateChangeEvent", cancel)

        return apply

    move("assessingCancellation")
    order_event(state, "ProductOrderStateChangeEvent", order)
    state.lifecycle.start(
        ("wholesale", str(order["id"])),
        [step("pendingCancellation", "inProgress"), step("cancelled", "done")],
        at=state.now(),
        interval=state.config.step_seconds,
    )


async def list_cancellations(ctx: Ctx) -> Response:
    return collection(ctx, ctx.state.cancellations, allowed=CANCEL_FILTERS.__contains__)


async def get_cancellation(ctx: Ctx) -> Response:
    ident = ctx.params["id"]
    cancel = ctx.state.cancellations.get(ident)
    if cancel is None:
        raise ORDERING.not_found("cancelProductOrder", ident)
    return one(ctx, cancel)


def register(router: Router) -> None:
    router.add(ORDERING, "/cancelProductOrder", GET=list_cancellations, POST=create_cancellation)
    router.add(ORDERING, "/cancelProductOrder/{id}", GET=get_cancellation)
