"""TMF637 ``product``: the United Way inventory, lists and GETs expanded ``depth`` levels down."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..routing import Ctx, Router, collection, one
from ..state import Record, Store
from .apis import INVENTORY

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


def register(router: Router) -> None:
    router.add(INVENTORY, "/product", GET=list_products)
    router.add(INVENTORY, "/product/{id}", GET=get_product)
