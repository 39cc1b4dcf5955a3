"""Orange Wholesale France "United Way": TMF622 ordering, TMF637 inventory, TMF620 catalog."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.responses import Response

from .errors import ApiError, tmf_error
from .hubs import QueryError, parse_hub_query
from .query import values_at
from .routing import Api, Ctx, Router, collection, json_response, one
from .state import Record, SandboxState, Store, customer_identifiers, is_final

ORDERING = Api(
    "wholesale-ordering",
    backend="wholesale",
    prefixes=("/united-way/discover/product-ordering-management/v1", "/united-way/product-ordering-management/v1"),
    style="tmf",
)
INVENTORY = Api(
    "wholesale-inventory", backend="wholesale", prefixes=("/united-way/product-inventory-management/v1",), style="tmf"
)
CATALOG = Api(
    "wholesale-catalog", backend="wholesale", prefixes=("/united-way/product-catalog-management/v1",), style="tmf"
)

ORDERING_PREFIX = ORDERING.prefixes[0]
INVENTORY_PREFIX = INVENTORY.prefixes[0]
SPECIFICATIONS = ("Acquisition", "Termination", "gtrModification", "speedCosModification")
CANCELLING = frozenset({"assessingcancellation", "pendingcancellation"})

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
PRODUCT_FILTERS = frozenset(
    {
        "id",
        "href",
        "name",
        "externalIdentifier.id",
        "externalIdentifier.externalIdentifierType",
        "productOffering.id",
        "productOffering.productOfferingType",
        "productRelationship.relationshipType",
        "productRelationship.product.id",
        "status",
        "operationalStatus",
        "productCharacteristic.id",
        "productCharacteristic.name",
        "productCharacteristic.value",
        "productCharacteristic.value.id",
        "productCharacteristic.value.name",
        "productOrderItem.productOrderId",
        "realizingService.id",
        "realizingService.name",
        "relatedParty.id",
        "relatedParty.role",
        "creationDate",
        "startDate",
        "terminationDate",
        "lastUpdateDate",
    }
)
CATALOG_PARAMETERS = (
    "categoryId",
    "catalogContractualDate",
    "externalReferentielId",
    "externalId",
    "isRoot",
    "productOfferingPriceId",
    "productSpecificationId",
    "productSpecCharacteristicId",
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


def order_event(state: SandboxState, event_type: str, order: Record) -> None:
    """Push `event_type` about a United Way order to the ordering hubs."""
    state.deliveries.emit("ordering", event_type, "productOrder", order)


def cancel_event(state: SandboxState, event_type: str, cancel: Record) -> None:
    """Push `event_type` about a cancelProductOrder to the ordering hubs."""
    state.deliveries.emit("ordering", event_type, "cancelProductOrder", cancel)


def product_event(state: SandboxState, event_type: str, product: Record) -> None:
    """Push `event_type` about an inventory product to the inventory hubs."""
    state.deliveries.emit("inventory", event_type, "product", product)


def specification(body: Record) -> Any:
    if "productOrderSpecification" in body:
        return body["productOrderSpecification"]
    return body.get("productorderSpecification")


# ---------------------------------------------------------------------------- ordering


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


# ---------------------------------------------------------------------------- hubs


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


# ---------------------------------------------------------------------------- inventory


def _depth(ctx: Ctx) -> int:
    raw = ctx.request.query_params.get("depth")
    if raw is None or raw == "":
        return 0
    try:
        depth = int(raw)
    except ValueError:
        raise INVENTORY.error(400, 28, f"depth must be an integer between 0 and 4, got {raw!r}") from None
    if not 0 <= depth <= 4:
        raise INVENTORY.error(400, 28, f"depth must be an integer between 0 and 4, got {raw!r}")
    return depth


def expand(store: Store, record: Record, depth: int, seen: frozenset[str] = frozenset()) -> Record:
    """``productRelationship[].product`` references replaced by the products, ``depth`` levels down."""
    if depth <= 0 or not isinstance(record.get("productRelationship"), list):
        return record
    seen = seen | {str(record.get("id"))}
    relations: list[Any] = []
    for relation in record["productRelationship"]:
        target_ref = relation.get("product") if isinstance(relation, dict) else None
        target = store.get(target_ref.get("id")) if isinstance(target_ref, dict) else None
        if target is None or str(target.get("id")) in seen:
            relations.append(relation)
            continue
        relations.append({**relation, "product": expand(store, target, depth - 1, seen)})
    return {**record, "productRelationship": relations}


async def list_products(ctx: Ctx) -> Response:
    return collection(ctx, ctx.state.inventory, allowed=PRODUCT_FILTERS.__contains__)


async def get_product(ctx: Ctx) -> Response:
    ident = ctx.params["id"]
    depth = _depth(ctx)
    product = ctx.state.inventory.get(ident)
    if product is None:
        raise INVENTORY.not_found("product", ident)
    return one(ctx, expand(ctx.state.inventory, product, depth))


# ---------------------------------------------------------------------------- catalog


def _catalog_allowed(store: Store) -> Callable[[str], bool]:
    known = {key for record in store.values() for key in record}

    def allowed(path: str) -> bool:
        return path.split(".", 1)[0] in known

    return allowed


def _catalog_list(resource: str) -> Callable[[Ctx], Any]:
    async def handler(ctx: Ctx) -> Response:
        store = ctx.state.catalog[resource]
        return collection(ctx, store, allowed=_catalog_allowed(store), ignore=CATALOG_PARAMETERS)

    return handler


def _catalog_get(resource: str) -> Callable[[Ctx], Any]:
    async def handler(ctx: Ctx) -> Response:
        ident = ctx.params["id"]
        record = ctx.state.catalog[resource].get(ident)
        if record is None:
            raise CATALOG.not_found(resource, ident)
        return one(ctx, record)

    return handler


async def offering_catalog(ctx: Ctx) -> Response:
    """``GET /productOffering/{id}/catalog``: the offering, what it bundles, their specifications and prices."""
    catalog = ctx.state.catalog
    root = catalog["productOffering"].get(ctx.params["id"])
    if root is None:
        raise CATALOG.not_found("productOffering", ctx.params["id"])
    offerings: dict[str, Record] = {}
    pending = [root]
    while pending:
        offering = pending.pop(0)
        if str(offering["id"]) in offerings:
            continue
        offerings[str(offering["id"])] = offering
        for child in offering.get("bundledProductOffering") or []:
            found = catalog["productOffering"].get(child.get("id")) if isinstance(child, dict) else None
            if found is not None:
                pending.append(found)

    def referenced(field: str, store: str) -> list[Record]:
        out: dict[str, Record] = {}
        for offering in offerings.values():
            refs = offering.get(field)
            for ref in refs if isinstance(refs, list) else [refs]:
                found = catalog[store].get(ref.get("id")) if isinstance(ref, dict) else None
                if found is not None:
                    out[str(found["id"])] = found
        return list(out.values())

    return json_response(
        {
            "categories": referenced("category", "category"),
            "productOfferings": list(offerings.values()),
            "productSpecifications": referenced("productSpecification", "productSpecification"),
            "productOfferingPrices": referenced("productOfferingPrice", "productOfferingPrice"),
        }
    )


def register(router: Router) -> None:
    for api in (ORDERING, INVENTORY, CATALOG):
        router.api(api)
    router.add(ORDERING, "/productOrder", GET=list_orders, POST=create_order)
    router.add(ORDERING, "/productOrder/{id}", GET=get_order)
    router.add(ORDERING, "/productOrder/{id}/productOrderItem/{itemId}", GET=get_order_item)
    router.add(ORDERING, "/cancelProductOrder", GET=list_cancellations, POST=create_cancellation)
    router.add(ORDERING, "/cancelProductOrder/{id}", GET=get_cancellation)
    for api in (ORDERING, INVENTORY):
        router.add(api, "/hub", POST=create_hub, GET=hub_get_refused)
        router.add(api, "/hub/{id}", DELETE=delete_hub, GET=hub_get_refused)
    router.add(INVENTORY, "/product", GET=list_products)
    router.add(INVENTORY, "/product/{id}", GET=get_product)
    for resource in (
        "productOffering",
        "productOfferingPrice",
        "productSpecification",
        "productSpecCharacteristic",
        "category",
    ):
        router.add(CATALOG, f"/{resource}", GET=_catalog_list(resource))
        router.add(CATALOG, f"/{resource}/{{id}}", GET=_catalog_get(resource))
    router.add(CATALOG, "/productOffering/{id}/catalog", GET=offering_catalog)
