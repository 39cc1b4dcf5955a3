"""The carrier's seed: the account's parties, addresses, sites, the POQ, quotes, orders and products."""

from __future__ import annotations

import copy
from datetime import timedelta

from ..query import parse_datetime
from ..state import Record, SandboxState, iso_seconds
from .documents import example

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


def _site_detail(summary: Record) -> Record:
    address = dict((summary.get("geographicAddress") or {}).get("formattedAddress") or {})
    address.pop("stateOrProvince", None)
    detail = {key: value for key, value in summary.items() if key != "geographicAddress"}
    detail["formattedAddress"] = address
    return detail


def seed_carrier(state: SandboxState) -> None:
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
