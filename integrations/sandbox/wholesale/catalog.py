"""TMF620: the United Way catalog's resources, and ``GET /productOffering/{id}/catalog``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from ..routing import Ctx, Router, collection, json_response, one
from ..state import Record, Store
from .apis import CATALOG

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
