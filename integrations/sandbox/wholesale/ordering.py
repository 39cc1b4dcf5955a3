"""TMF622 ``productOrder``: business rules, creation, a POSTed order's lifecycle (completion feeds the inventory)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.responses import Response

from ..errors import ApiError, tmf_error
from ..query import values_at
from ..routing import Ctx, Router, collection, json_response, one
from ..state import Record, SandboxState, customer_identifiers
from .apis import INVENTORY_PREFIX, ORDERING, ORDERING_PREFIX
from .hub import order_event, product_event

SPECIFICATIONS = ("Acquisition", "Termination", "gtrModification", "speedCosModification")

ORDER_FILTERS = frozenset(
    {
        "id",
        "description",
        "state",
        "productOrderSpecification",
        "productorderSpecification",
        "href",
        "orderDate",
        "agreement.id",
        "agreement.href",
        "productOrderItem",
        "productOrderItem.id",
        "productOrderItem.product.productOffering.id",
        "externalIdentifier.id",
        "externalIdentifier",
    }
)
MILESTONES = {
    "inProgress.accepted": (
        "Validation de la commande en cours",
        "Orange a bien reçu votre commande. Celle-ci est en cours de validation",
    ),
    "inProgress": (
        "En cours de production",
        "Votre commande a été validée, elle est désormais en cours de production",
    ),
    "completed": ("Commande livrée", "Votre commande a été livrée, l'accès est en service"),
}


def rule_error(code: str, message: str, reason: str) -> ApiError:
    return ApiError(400, {"code": code, "message": message, "reason": reason, "@type": "Error"})


def order_values(record: Any, path: str) -> list[Any]:
    # The documents spell the attribute both ways (`productorderSpecification` in the examples).
    if path.casefold() == "productorderspecification":
        return values_at(record, "productOrderSpecification") + values_at(record, "productorderSpecification")
    return values_at(record, path)


def specification(body: Record) -> Any:
    if "productOrderSpecification" in body:
        return body["productOrderSpecification"]
    return body.get("productorderSpecification")


def validate_order(state: SandboxState, body: Record) -> None:
    """The documented business rules, in the documented order."""
    spec = specification(body)
    if spec in (None, ""):
        raise rule_error(
            "PRO_0001_A",
            "the productOrderSpecification is mandatory",
            "ProductOrdeSpecification is missing, please complete this",
        )
    identifiers = body.get("externalIdentifier")
    if not isinstance(identifiers, list) or not identifiers:
        raise rule_error(
            "PRO_0002_A",
            "The externalIdentifier is mandatory",
            "The externalIdentifier is missing, please complete this",
        )
    customer_ids = customer_identifiers(body)
    if len(customer_ids) > 1:
        raise rule_error(
            "PRO_0003_A",
            "ExternalIdentifier of type CustomerIdentifier is invalid",
            "External id is filled in several times, a unique external id is required",
        )
    if not customer_ids:
        raise rule_error(
            "PRO_0002_A",
            "The externalIdentifier is mandatory",
            "The externalIdentifier is missing, please complete this",
        )
    allowed = {name.casefold(): name for name in SPECIFICATIONS}
    if not isinstance(spec, str) or spec.casefold() not in allowed:
        raise rule_error(
            "PRO_0004_A",
            f"The productOrderSpecification [{spec}] is unknow",
            "You have specified a productOrderSpecification other than those authorised",
        )
    external = customer_ids[0]
    if external in state.wholesale_external_ids:
        raise rule_error(
            "PRO_0005_A", f"The ExternalIdentifier [{external}] already exists", "ExternalIdentifier already exists"
        )
    items = body.get("productOrderItem")
    if not isinstance(items, list) or not items:
        raise tmf_error(400, 23, "productOrderItem")
    if not all(isinstance(item, dict) for item in items):
        raise tmf_error(400, 24, "productOrderItem must be a list of objects")
    if allowed[spec.casefold()] != "Acquisition":
        for item in items:
            product = item.get("product")
            if item.get("action") in ("modify", "delete", "noChange") and not (
                isinstance(product, dict) and product.get("id")
            ):
                raise rule_error(
                    "PRO_0006_A",
                    "the ProductID is mandatory",
                    "In the case of a modification or cancellation, you do not specify a ProductID",
                )
    parties = body.get("relatedParty")
    buyers = (
        [p for p in parties if isinstance(p, dict) and p.get("role") == "buyer"] if isinstance(parties, list) else []
    )
    if not buyers:
        raise rule_error(
            "PAR_0002_A",
            "A buyer is mandatory in relatedParty",
            "A relatedPartywith role buyer must be set in an order",
        )


async def create_order(ctx: Ctx) -> Response:
    state = ctx.state
    body = await ctx.json_body()
    validate_order(state, body)
    order = new_order(state, body, prefix=ctx.prefix)
    return json_response(order, status=201, headers={"Location": f"/productOrder/{order['id']}"})


def new_order(state: SandboxState, body: Record, *, prefix: str = ORDERING_PREFIX, lifecycle: bool = True) -> Record:
    order: Record = copy.deepcopy(body)
    order_id = str(uuid.uuid4())
    order["id"] = order_id
    order["href"] = f"{prefix}/productOrder/{order_id}"
    order.setdefault("state", "acknowledged")
    order["orderDate"] = state.tmf_date()
    order.setdefault("requestedCompletionDate", state.tmf_date(plus=timedelta(days=30)))
    order["expectedCompletionDate"] = state.tmf_date(plus=timedelta(days=14))
    order["expectedFulfillmentStartDate"] = state.tmf_date(plus=timedelta(days=1))
    order.setdefault("@type", "ProductOrder")
    for item in order.get("productOrderItem") or []:
        item["state"] = order["state"]
        item.setdefault("milestone", [])
        item.setdefault("errorMessage", [])
        item.setdefault("jeopardyAlert", [])
        item.setdefault("@type", "ProductOrderItem")
    state.wholesale_orders.put(order, listed_from=state.listed_from())
    state.wholesale_external_ids.update(customer_identifiers(order))
    if lifecycle:
        start_order_lifecycle(state, order)
    order_event(state, "ProductOrderCreateEvent", order)
    return order


def start_order_lifecycle(state: SandboxState, order: Record, *, inventory: bool = True) -> None:
    """acknowledged → inProgress.accepted → inProgress → completed, with a milestone on each item per step."""

    def step(target: str) -> Callable[[float], None]:
        message, description = MILESTONES[target]

        def apply(due: float) -> None:
            order["state"] = target
            when = state.tmf_date(due)
            for item in order.get("productOrderItem") or []:
                if not isinstance(item, dict):
                    continue
                item["state"] = target
                milestone = {"description": description, "message": message, "milestoneDate": when, "name": "FTTH"}
                milestone.update({"status": "completed", "@type": "Milestone"})
                item.setdefault("milestone", []).append(milestone)
            if target == "completed" and inventory:
                apply_to_inventory(state, order, due)
            order_event(state, "ProductOrderStateChangeEvent", order)
            order_event(state, "ProductOrderMilestoneEvent", order)

        return apply

    state.lifecycle.start(
        ("wholesale", str(order["id"])),
        [step("inProgress.accepted"), step("inProgress"), step("completed")],
        at=state.now(),
        interval=state.config.step_seconds,
    )


def apply_to_inventory(state: SandboxState, order: Record, due: float) -> None:
    """A completed order changes the inventory: new products for an Acquisition, terminated ones otherwise."""
    spec = str(specification(order) or "").casefold()
    items = [item for item in order.get("productOrderItem") or [] if isinstance(item, dict)]
    when = state.tmf_date(due)
    if spec == "termination":
        for item in items:
            product_id = (item.get("product") or {}).get("id")
            existing = state.inventory.get(product_id) if product_id else None
            if existing is not None:
                existing.update({"status": "TERMINATED", "operationalStatus": "terminated", "terminationDate": when})
                product_event(state, "ProductStateChangeEvent", existing)
        return
    if spec != "acquisition":
        return
    ids = {str(item.get("id")): uuid.uuid4().hex for item in items}
    parties = [party for party in order.get("relatedParty") or [] if isinstance(party, dict)]
    for item in items:
        product = item.get("product") if isinstance(item.get("product"), dict) else {}
        product_id = ids[str(item.get("id"))]
        record: Record = {
            "id": product_id,
            "href": f"{INVENTORY_PREFIX}/product/{product_id}",
            "isBundle": bool(item.get("productOrderItemRelationship")),
            "name": (product.get("productOffering") or {}).get("name"),
            "creationDate": when,
            "startDate": when,
        }
        for key in ("productOffering", "productCharacteristic", "place", "agreement"):
            if key in product:
                record[key] = copy.deepcopy(product[key])
        relations = [
            {
                "relationshipType": "bundles",
                "product": {"id": ids[str(rel["id"])], "href": f"{INVENTORY_PREFIX}/product/{ids[str(rel['id'])]}"},
            }
            for rel in item.get("productOrderItemRelationship") or []
            if isinstance(rel, dict) and str(rel.get("id")) in ids
        ]
        relations += copy.deepcopy(product.get("productRelationship") or [])
        if relations:
            record["productRelationship"] = relations
        record["productOrderItem"] = [{"productOrderId": order["id"], "@type": "ProductOrder"}]
        record["relatedParty"] = copy.deepcopy(parties)
        record.update({"status": "ACTIVE", "operationalStatus": "active", "@type": "ProductValue"})
        state.inventory.put(record)
        product.setdefault("id", product_id)
        product_event(state, "ProductCreateEvent", record)


async def list_orders(ctx: Ctx) -> Response:
    return collection(ctx, ctx.state.wholesale_orders, allowed=ORDER_FILTERS.__contains__, extract=order_values)


def _order(ctx: Ctx) -> Record:
    ident = ctx.params["id"]
    order = ctx.state.wholesale_orders.get(ident)
    if order is None:
        raise ORDERING.not_found("productOrder", ident)
    return order


async def get_order(ctx: Ctx) -> Response:
    return one(ctx, _order(ctx))


async def get_order_item(ctx: Ctx) -> Response:
    order = _order(ctx)
    wanted = ctx.params["itemId"]
    for item in order.get("productOrderItem") or []:
        if isinstance(item, dict) and str(item.get("id")) == wanted:
            return one(ctx, item, always_href=False)
    raise ORDERING.not_found("productOrderItem", wanted)


def register(router: Router) -> None:
    router.add(ORDERING, "/productOrder", GET=list_orders, POST=create_order)
    router.add(ORDERING, "/productOrder/{id}", GET=get_order)
    router.add(ORDERING, "/productOrder/{id}/productOrderItem/{itemId}", GET=get_order_item)
