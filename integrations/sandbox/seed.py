"""The sandbox's starting data: every documented example, plus what they reference.

Examples come from :func:`integrations.sandbox.examples.load_examples` (repaired JSON of the
seed documents). Where a list example only shows a summary, the detail is built from a documented
detail of the same kind, so that ``GET /{id}`` works for every id a list shows.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from typing import Any

from .business import synthetic_requests
from .query import parse_datetime
from .state import Record, SandboxState, iso_seconds
from .wholesale import ORDERING_PREFIX

DE76 = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"
REJECTED = "4f0a8c3e-7b1d-4c9e-a2f5-6d8e0b1c3a57"

# Extra addresses, so that address validation can answer "partial" with alternatives.
EXTRA_ADDRESSES: tuple[Record, ...] = (
    {
        "hasPublicSite": False,
        "@type": "GeographicAddress",
        "allowsNewSite": True,
        "id": "22482973",
        "associatedGeographicAddress": {
            "country": "France",
            "streetType": "rue",
            "city": "bezons",
            "streetNr": "14",
            "postcode": "95870",
            "streetName": "des fleurs",
        },
    },
    {
        "hasPublicSite": False,
        "@type": "GeographicAddress",
        "allowsNewSite": True,
        "id": "22482990",
        "associatedGeographicAddress": {
            "country": "France",
            "streetType": "avenue",
            "city": "bezons",
            "streetNr": "3",
            "postcode": "95870",
            "streetName": "gabriel peri",
        },
    },
    {
        "hasPublicSite": True,
        "@type": "GeographicAddress",
        "allowsNewSite": False,
        "id": "10574001",
        "associatedGeographicAddress": {
            "country": "France",
            "streetType": "avenue",
            "city": "bagnolet",
            "streetNr": "7",
            "postcode": "93177",
            "streetName": "gambetta",
            "locality": "paris",
        },
    },
)

# ENNI sites that the documented orders and quotes point at, but that no site example shows.
EXTRA_SITES: tuple[tuple[str, str, tuple[str, str, str, str, str, str]], ...] = (
    (
        "1440397",
        "Marseille MRS1",
        ("40, avenue Roger Salengro", "Marseille", "EUROPE_ZONE1", "13003", "France", "Marseille"),
    ),
    (
        "730124",
        "New York 60 Hudson",
        ("60 Hudson Street", "New York", "NEW YORK", "10013", "United States", "New York"),
    ),
    (
        "737544",
        "London Telehouse North",
        ("Coriander Avenue", "London", "LONDON", "E14 2AA", "United Kingdom", "London"),
    ),
    (
        "45540",
        "Frankfurt Interxion",
        ("Hanauer Landstrasse 298", "Frankfurt", "HESSEN", "60314", "Germany", "Frankfurt"),
    ),
)

# United Way orders of the list examples: (id, orderDate, state, href, description).
WHOLESALE_ORDERS: tuple[tuple[str, str, str, str | None, str | None], ...] = (
    (
        "e7dee14c-cd85-495a-9931-ef3c06f2559b",
        "2021-07-22T11:27:22.000+02:00",
        "completed",
        None,
        "ProductOrder illustration Ariane",
    ),
    (
        "9240353c-cd38-447c-9437-9d4aa229d5ff",
        "2021-07-22T11:27:25.000+02:00",
        "completed",
        "/api/v1/productOrder/9240353c-cd38-447c-9437-9d4aa229d5ff",
        None,
    ),
    (
        "37cf411f-5258-409a-9703-66cf965c9f43",
        "2021-07-22T11:27:29.000+02:00",
        "completed",
        None,
        "ProductOrder illustration Ariane",
    ),
    (
        "2a89ed67-5cf8-429d-9a3d-5153d481ff55",
        "2021-09-14T10:12:41.000+02:00",
        "INPROGRESS",
        "/api/v1/productOrder/2a89ed67-5cf8-429d-9a3d-5153d481ff55",
        None,
    ),
    (
        "7f8bb1aa-da62-41e6-be85-38b6f42827ae",
        "2022-06-20T09:03:55.000+02:00",
        "INPROGRESS",
        "/api/v1/productOrder/7f8bb1aa-da62-41e6-be85-38b6f42827ae",
        None,
    ),
    (
        "0f9e6ecd-2bee-4448-b0cb-c6cdb29bccb7",
        "2022-03-02T15:40:08.000+01:00",
        "INPROGRESS",
        "/api/v1/productOrder/0f9e6ecd-2bee-4448-b0cb-c6cdb29bccb7",
        None,
    ),
)

# Catalog offerings the order examples use, by level: (id, name, type, bundled ids).
CATALOG_TREE: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("OC40150084001", "Offre exemple", "play", ()),
    ("OC40140084001", "Just Fibre TEST", "play", ("GO40140084001", "GO40140084002", "GO40140084003", "GO40140084004")),
    ("GO40140084001", "Caractéristiques principales", "set", ("O40140084001",)),
    ("GO40140084002", "Point de livraison sur site client final", "set", ("O40140084008",)),
    ("GO40140084003", "Interface de livraison sur site client final", "set", ("O40140084004",)),
    ("GO40140084004", "Intervention", "set", ("O40140084005",)),
    ("O40140084008", "Raccordement", "atomicOffer", ()),
    ("O40140084004", "ONT éxpédié par Orange", "atomicOffer", ()),
    ("O40140084005", "Intervention", "atomicOffer", ()),
    ("O40160084003", "Collecte régionale", "atomicOffer", ()),
    ("O40160085001", "Collecte nationale", "atomicOffer", ()),
    ("O40160086001", "Collecte DROM - métropole", "atomicOffer", ()),
)
CATALOG_HREF = "http://cae-owf-ventes.caas-cnp-apps.com.intraorange/catalog/api/catalog"

BUYER = {"id": "ea69228c-600a-4058-8e4e-e13fcc8bf89f", "role": "buyer", "@referredType": "Organization"}
USER = {"id": "8f4ac814-5072-4519-9e8c-70bd6c087e80", "role": "user", "@referredType": "Organization"}


@cache
def _examples() -> Mapping[str, Any]:
    try:
        from .examples import load_examples
    except ImportError:  # pragma: no cover - the examples ship with the package
        return {}
    try:
        return {example.slug: example.body for example in load_examples()}
    except (OSError, ValueError):  # pragma: no cover - a half-written data directory
        return {}


def example(slug: str, default: Any = None) -> Any:
    """A deep copy of an example's body (``default`` when there is no such example)."""
    found = _examples().get(slug)
    return copy.deepcopy(found) if found is not None else default


def seed_state(state: SandboxState) -> None:
    _seed_carrier(state)
    _seed_wholesale_orders(state)
    _seed_inventory(state)
    _seed_catalog(state)
    _seed_business(state)


# ---------------------------------------------------------------------------- carrier


def _site_detail(summary: Record) -> Record:
    address = dict((summary.get("geographicAddress") or {}).get("formattedAddress") or {})
    address.pop("stateOrProvince", None)
    detail = {key: value for key, value in summary.items() if key != "geographicAddress"}
    detail["formattedAddress"] = address
    return detail


def _seed_carrier(state: SandboxState) -> None:
    for slug in ("carrier/quote-get-6", "carrier/poq-create-1-response", "carrier/quote-create-1-response"):
        parties = (example(slug) or {}).get("relatedParty")
        if isinstance(parties, list) and len(parties) > 1:
            state.account_parties = parties
            break

    address = example("carrier/geographic-address-get")
    if isinstance(address, dict):
        state.addresses.put(address)
    for extra in EXTRA_ADDRESSES:
        state.addresses.put(copy.deepcopy(extra))

    for summary in example("carrier/geographic-site-list", []):
        state.sites.put(_site_detail(summary), summary=summary)
    detail = example("carrier/geographic-site-get")
    if isinstance(detail, dict):
        state.sites.put(detail, summary=state.sites.summaries.get(str(detail["id"])))
    for site_id, name, (line, city, region, postcode, country, locality) in EXTRA_SITES:
        address_fields = {"addrLine1": line, "city": city, "stateOrProvince": region, "postcode": postcode}
        address_fields.update({"country": country, "locality": locality})
        summary = {"id": site_id, "status": "existing", "geographicAddress": {"formattedAddress": address_fields}}
        summary.update({"siteName": name, "siteType": "public"})
        state.sites.put(_site_detail(summary), summary=summary)

    poq = example("carrier/poq-create-1-response")
    if isinstance(poq, dict):
        state.poqs.put(poq)

    quote_detail = example("carrier/quote-get-6")
    for summary in example("carrier/quote-list", []):
        if isinstance(quote_detail, dict) and summary["id"] == quote_detail["id"]:
            state.quotes.put(quote_detail)
            continue
        quote = copy.deepcopy(quote_detail) if isinstance(quote_detail, dict) else {}
        quote.update(summary)
        start = parse_datetime(str(summary.get("quoteDate", "")))
        if start is not None:
            end = (start + timedelta(days=2)).replace(hour=23, minute=59, second=59)
            quote["validFor"] = {"startDate": summary["quoteDate"], "endDate": iso_seconds(end)}
        state.quotes.put(quote)

    order_detail = example("carrier/product-order-get-11")
    for summary in example("carrier/product-order-list", []):
        if isinstance(order_detail, dict) and summary["id"] == order_detail["id"]:
            state.carrier_orders.put(order_detail)
            continue
        order = copy.deepcopy(order_detail) if isinstance(order_detail, dict) else {}
        order.update(summary)
        for index, item in enumerate(order.get("productOrderItem") or []):
            item["state"] = summary.get("state", item.get("state"))
            product = item.get("product")
            if index == 0 and isinstance(product, dict) and "id" in product:
                product["id"] = f"LDD301{int(summary['id']):02d}"
        state.carrier_orders.put(order)

    product_detail = example("carrier/product-get")
    for summary in example("carrier/product-list", []):
        if "id" not in summary:
            continue  # the document's list has a broken, id-less item
        if isinstance(product_detail, dict) and summary["id"] == product_detail["id"]:
            state.carrier_products.put(product_detail, summary=summary)
            continue
        product = copy.deepcopy(product_detail) if isinstance(product_detail, dict) else {}
        product.pop("productOrderId", None)
        product.update({"id": summary["id"], "status": summary.get("status")})
        if product.get("statusChange"):
            product["statusChange"] = [{"changeReason": "FULL_AUTO_NEW_SERVICE", "status": summary.get("status")}]
        state.carrier_products.put(product, summary=summary)


# ---------------------------------------------------------------------------- wholesale ordering


def _item_state(order_state: str) -> str:
    return "inProgress" if order_state.upper() == "INPROGRESS" else order_state


def _wholesale_order(
    template: Record, order_id: str, *, order_date: str, state: str, href: str | None, description: str | None
) -> Record:
    order: Record = {"id": order_id, "href": href}
    if description is not None:
        order["description"] = description
    for key, value in template.items():
        if key == "externalIdentifier":
            value = [{**ident, "id": f"UW-{order_id[:8]}"} for ident in value if isinstance(ident, dict)]
        order[key] = value
    order["state"] = state
    order["orderDate"] = order_date
    moment = parse_datetime(order_date)
    if moment is not None:
        order["requestedCompletionDate"] = iso_seconds(moment + timedelta(days=30)).replace("Z", ".000Z")
        order["expectedCompletionDate"] = iso_seconds(moment + timedelta(days=14)).replace("Z", ".000Z")
    for item in order.get("productOrderItem") or []:
        if isinstance(item, dict):
            item["state"] = _item_state(state)
    return order


def _seed_wholesale_orders(state: SandboxState) -> None:
    template = example("wholesale/product-order-create-request")
    if not isinstance(template, dict):
        template = {
            "externalIdentifier": [{"id": "x", "externalIdentifierType": "customerIdentifier", "owner": "sandbox"}],
            "productOrderItem": [],
            "relatedParty": [
                {"@referredType": "organization", "id": BUYER["id"], "name": "ABSOLIGHT", "role": "buyer"}
            ],
            "productOrderSpecification": "Acquisition",
        }
    for order_id, order_date, order_state, href, description in WHOLESALE_ORDERS:
        order = _wholesale_order(
            copy.deepcopy(template),
            order_id,
            order_date=order_date,
            state=order_state,
            href=href,
            description=description,
        )
        state.wholesale_orders.put(order)

    # de76cfa1: the documents' running example (created by the create example, followed by GET).
    documented = example("wholesale/product-order-get", {})
    order = _wholesale_order(
        copy.deepcopy(template),
        DE76,
        order_date="2021-08-24T16:02:11.000+02:00",
        state=documented.get("state", "INPROGRESS"),
        href=f"{ORDERING_PREFIX}/productOrder/{DE76}",
        description=None,
    )
    order.update({key: value for key, value in documented.items() if key not in ("id",)})
    item_example = example("wholesale/product-order-item-get")
    follow_up = example("wholesale/product-order-item-milestones-fragment")
    items = order.get("productOrderItem") or []
    for index, item in enumerate(items):
        if isinstance(item_example, dict) and item.get("id") == item_example.get("id"):
            items[index] = item_example
        elif isinstance(follow_up, dict) and item.get("id") == "O40140084005":
            item.update(follow_up)
    state.wholesale_orders.put(order)

    # A rejected order carrying the documented notes: the buyer's comment and the validation error.
    notes = [
        note
        for slug in ("wholesale/product-order-note-comment-fragment", "wholesale/product-order-note-error-fragment")
        for note in (example(slug) or {}).get("note", [])
    ]
    rejected = _wholesale_order(
        copy.deepcopy(template),
        REJECTED,
        order_date="2022-02-25T11:38:02.000+01:00",
        state="rejected",
        href=f"{ORDERING_PREFIX}/productOrder/{REJECTED}",
        description="ProductOrder rejected at validation",
    )
    if notes:
        rejected["note"] = notes
    state.wholesale_orders.put(rejected)


# ---------------------------------------------------------------------------- wholesale inventory


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


def _seed_inventory(state: SandboxState) -> None:
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


# ---------------------------------------------------------------------------- catalog


def _seed_catalog(state: SandboxState) -> None:
    catalog = state.catalog
    for slug, resource in (
        ("wholesale/catalog-product-offering-get", "productOffering"),
        ("wholesale/catalog-product-offering-price-get", "productOfferingPrice"),
        ("wholesale/catalog-product-specification-get", "productSpecification"),
        ("wholesale/catalog-product-spec-characteristic-get", "productSpecCharacteristic"),
        ("wholesale/catalog-category-get", "category"),
    ):
        record = example(slug)
        if isinstance(record, dict) and "id" in record:
            catalog[resource].put(record)

    offerings = example("wholesale/catalog-product-offerings-fragment", {}).get("productOfferings", [])
    merged: dict[str, Record] = {str(offering["id"]): offering for offering in offerings if "id" in offering}
    for slug in (
        "wholesale/catalog-product-offering-bundled-fragment",
        "wholesale/catalog-product-offering-other-property-fragment",
        "wholesale/catalog-product-offering-relationship-fragment",
    ):
        fragment = example(slug)
        if isinstance(fragment, dict) and "id" in fragment:
            base = merged.setdefault(str(fragment["id"]), {})
            for key, value in fragment.items():
                if value not in ([], {}, None) or key not in base:
                    base[key] = value
    for offering in merged.values():
        catalog["productOffering"].put(offering)
    for offering_id, name, kind, bundled in CATALOG_TREE:
        if offering_id in catalog["productOffering"]:
            continue
        href = f"{CATALOG_HREF}/productOffering/{offering_id}"
        if offering_id.startswith("OC40150084001"):
            href = f".../productOffering/{offering_id}"
        catalog["productOffering"].put(
            {
                "id": offering_id,
                "href": href,
                "name": name,
                "shortName": name,
                "visible": "true",
                "isTopLevel": False,
                "isBundle": bool(bundled),
                "productOfferingType": kind,
                "bundledProductOffering": [
                    {"id": child, "href": f"{CATALOG_HREF}/productOffering/{child}", "name": _offering_name(child)}
                    for child in bundled
                ],
            }
        )

    for specification in example("wholesale/catalog-product-specifications-fragment", {}).get(
        "productSpecifications", []
    ):
        if "id" not in specification:
            continue
        if specification["id"] not in catalog["productSpecification"]:
            catalog["productSpecification"].put(specification)
        for characteristic in specification.get("productSpecCharacteristic") or []:
            if isinstance(characteristic, dict) and "id" in characteristic:
                if characteristic["id"] not in catalog["productSpecCharacteristic"]:
                    catalog["productSpecCharacteristic"].put(copy.deepcopy(characteristic))

    for category_id in ("FTTE", "FTTO", "FTTH"):
        if category_id not in catalog["category"]:
            catalog["category"].put(
                {"id": category_id, "href": f".../category/{category_id}", "name": category_id, "isRoot": False}
            )


def _offering_name(offering_id: str) -> str:
    for known_id, name, _, _ in CATALOG_TREE:
        if known_id == offering_id:
            return name
    return "Accès" if offering_id == "O40140084001" else offering_id


# ---------------------------------------------------------------------------- business


def _seed_business(state: SandboxState) -> None:
    for slug in ("business/requests-list-item", "business/requests-list-filter-type", "business/request-get"):
        body = example(slug)
        for record in body if isinstance(body, list) else [body]:
            if isinstance(record, dict) and "id" in record and record["id"] not in state.business_requests:
                state.business_requests.put(record)
    for record in synthetic_requests(state.config.synthetic_business_requests):
        if record["id"] not in state.business_requests:
            state.business_requests.put(record)
