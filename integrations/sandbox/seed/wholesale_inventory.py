"""The United Way inventory's seed: the documented products, the depth tree and the products the examples name."""

from __future__ import annotations

import copy
from typing import Any

from ..state import Record, SandboxState
from .documents import example
from .wholesale_catalog import CATALOG_HREF
from .wholesale_orders import BUYER

USER = {"id": "8f4ac814-5072-4519-9e8c-70bd6c087e80", "role": "user", "@referredType": "Organization"}


def _product(product_id: str, name: str, offering: Record, **extra: Any) -> Record:
    record: Record = {
        "id": product_id,
        "href": f"/api/v1/product/{product_id}",
        "isBundle": False,
        "name": name,
        "creationDate": "2021-12-06T10:14:02.000Z",
        "startDate": "2021-12-06T10:14:02.000Z",
        "productOffering": offering,
        "productOrderItem": [{"productOrderId": "2", "@type": "ProductOrder"}],
        "relatedParty": [copy.deepcopy(BUYER), copy.deepcopy(USER)],
        "status": "ACTIVE",
        "operationalStatus": "ACTIVE",
        "@type": "ProductValue",
    }
    record.update(extra)
    return record


def _ensure(state: SandboxState, item: Record, default: Record) -> None:
    existing = state.inventory.get(item["id"])
    if existing is None:
        state.inventory.put({**default, **item})


def _decompose(state: SandboxState, product: Record) -> None:
    """Store each product of an expanded tree with its relations as ``{id, href}`` references."""
    stored = dict(product)
    relations = product.get("productRelationship")
    if isinstance(relations, list):
        refs = []
        for relation in relations:
            target = relation.get("product") if isinstance(relation, dict) else None
            if isinstance(target, dict) and len(set(target) - {"id", "href"}) > 0:
                _decompose(state, target)
                relation = {**relation, "product": {"id": target["id"], "href": target.get("href")}}
            refs.append(relation)
        stored["productRelationship"] = refs
    if str(stored.get("id")) not in state.inventory:
        state.inventory.put(stored)


def seed_inventory(state: SandboxState) -> None:
    listed = example("wholesale/inventory-product-list", [])
    detail = example("wholesale/inventory-product-get")
    # The paged example (`?limit=1&offset=1`) shows 2c9004647f69a6da017f6a1c55ba0000 second.
    listed.sort(key=lambda item: item.get("id") == "2c9004647f69a6da017f6a1c55ba0000")
    for item in listed:
        if isinstance(detail, dict) and item.get("id") == detail.get("id"):
            item = detail
        if str(item.get("id")) not in state.inventory:
            state.inventory.put(item)
    regional = state.inventory.get("2c9004647f69a6da017f6a1c577c0001") or detail or {}
    third = copy.deepcopy(regional)
    third.update({"id": "2c9180857cbbb905017cc1a14f410006", "href": "/api/v1/product/2c9180857cbbb905017cc1a14f410006"})
    for characteristic in third.get("productCharacteristic") or []:
        if characteristic.get("id") == "FONC40160084033":
            characteristic["value"] = "238"
    if third.get("id") and "2c9180857cbbb905017cc1a14f410006" not in state.inventory and regional:
        state.inventory.put(third)
    national = copy.deepcopy(regional)
    if national:
        national.update(
            {
                "id": "2c9797447e05ac18017e252187b50025",
                "href": "/api/v1/product/2c9797447e05ac18017e252187b50025",
                "name": "Collecte nationale",
                "productOffering": {
                    "id": "O40160085001",
                    "href": f"{CATALOG_HREF}/productOffering/O40160085001",
                    "name": "Collecte nationale",
                    "productOfferingType": "atomicOffer",
                },
                "productSpecification": {"id": "PS40160085001", "name": "Collecte nationale"},
            }
        )
        state.inventory.put(national)

    for item in example("wholesale/inventory-product-list-fields-name", []):
        offering = {
            "id": "GO40140084001" if "Caract" in str(item.get("name")) else "GO40140084002",
            "name": item.get("name"),
        }
        _ensure(state, item, _product(item["id"], str(item.get("name")), offering, isBundle=True))

    tree = example("wholesale/inventory-product-get-depth-2")
    if isinstance(tree, dict):
        _decompose(state, tree)
    order_items = {
        (item.get("product") or {}).get("productOffering", {}).get("id"): item.get("product") or {}
        for item in (example("wholesale/product-order-create-request") or {}).get("productOrderItem", [])
        if isinstance(item, dict)
    }
    atomic = {
        "2c9180837dba2335017dc33d15160019": ("O40140084001", "Accès"),
        "2c9180837dba2335017dc33d372f001a": ("O40140084008", "Raccordement"),
        "2c9180837dba2335017dc33dc216001b": ("O40140084004", "ONT éxpédié par Orange"),
        "2c9180837dba2335017dc33dd81c001c": ("O40140084005", "Intervention"),
    }
    for product_id, (offering_id, name) in atomic.items():
        extra: Record = {}
        characteristics = order_items.get(offering_id, {}).get("productCharacteristic")
        if characteristics:
            extra["productCharacteristic"] = copy.deepcopy(characteristics)
        offering = {"id": offering_id, "name": name, "productOfferingType": "atomicOffer"}
        _ensure(state, {"id": product_id}, _product(product_id, name, offering, **extra))

    for item in example("wholesale/inventory-product-list-realizing-service", []):
        offering = {"id": "O40160087001", "name": "Collecte VPLS", "productOfferingType": "atomicOffer"}
        _ensure(state, item, _product(item["id"], "Collecte VPLS", offering))
    for item in example("wholesale/inventory-product-list-external-identifier", []):
        offering = {"id": "GOC40140084001", "name": "Just Fibre TEST", "productOfferingType": "contract"}
        _ensure(state, item, _product(item["id"], "Just Fibre TEST", offering, isBundle=True))
    for slug in (
        "wholesale/inventory-product-list-related-party",
        "wholesale/inventory-product-list-by-offering",
        "wholesale/inventory-product-list-filter-name",
        "wholesale/inventory-product-list-paged",
        "wholesale/inventory-product-list-sorted",
    ):
        for item in example(slug, []):
            if isinstance(item, dict) and item.get("id") and str(item["id"]) not in state.inventory:
                offering = {"id": "O40160084003", "name": "Collecte régionale", "productOfferingType": "atomicOffer"}
                state.inventory.put(
                    {**_product(item["id"], str(item.get("name", "Collecte régionale")), offering), **item}
                )
