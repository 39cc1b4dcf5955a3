"""Orange International Carriers, MEF LSO Sonata (EVPL): addresses, sites, POQ, quotes, orders, inventory."""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta
from typing import Any

from starlette.responses import Response

from .query import fold, parse_datetime, values_at
from .routing import Api, Ctx, Router, collection, json_response, one
from .state import Record, SandboxState, Store

CARRIER = Api("carrier", backend="carrier", prefixes=("/internationalcarriers/mefApi/sonata",), style="gateway")
VERSIONS = ("v1", "sbx/v1")

ENNI_ONE_OFF = 1000.0
QUOTE_VALIDITY = timedelta(days=7)
_ADDRESS_KEYS = ("city", "postcode", "streetName", "streetNr")


# ---------------------------------------------------------------------------- pricing


def daily_price(bandwidth: float, class_of_service: str | None) -> float:
    """EVPL recurring charge per day, EUR: degressive in bandwidth (4 Mbps guaranteed = 28 EUR/day)."""
    tiers = ((10.0, 7.0), (100.0, 2.0), (float("inf"), 0.5))
    price, floor = 0.0, 0.0
    for ceiling, rate in tiers:
        if bandwidth > floor:
            price += (min(bandwidth, ceiling) - floor) * rate
        floor = ceiling
    if (class_of_service or "").upper() == "STANDARD":
        price *= 0.8
    return round(price, 2)


def _bandwidth(api: Api, item: Record, field: str) -> float | None:
    config = (item.get("product") or {}).get("productConfiguration")
    if not isinstance(config, dict) or "bandwidth" not in config:
        return None
    value = config["bandwidth"]
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise api.error(400, 24, f"{field}.product.productConfiguration.bandwidth must be a positive number")
    return float(value)


def _is_enni(item: Record) -> bool:
    product = item.get("product") or {}
    spec = (product.get("productSpecification") or {}).get("id")
    return spec == "ENNI" or bool(product.get("place"))


def _item_prices(api: Api, item: Record, field: str) -> list[Record]:
    action = str(item.get("action", "add"))
    if _is_enni(item):
        if action != "add":
            return []
        return [
            {
                "priceType": "nonRecurring",
                "name": "non-recurring charge",
                "price": {"preTaxAmount": {"value": ENNI_ONE_OFF, "unit": "EUR"}},
            }
        ]
    bandwidth = _bandwidth(api, item, field)
    if bandwidth is None:
        return []
    config = (item.get("product") or {}).get("productConfiguration") or {}
    return [
        {
            "priceType": "recurring",
            "name": "recurring charge",
            "price": {"preTaxAmount": {"value": daily_price(bandwidth, config.get("classOfService")), "unit": "EUR"}},
            "recurringChargePeriod": "day",
        }
    ]


def _items(api: Api, body: Record, name: str) -> list[Record]:
    items = body.get(name)
    if items is None or items == []:
        raise api.error(400, 23, name)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise api.error(400, 24, f"{name} must be a list of objects")
    for index, item in enumerate(items):
        if "id" not in item:
            raise api.error(400, 23, f"{name}[{index}].id")
    return items


def _parties(state: SandboxState, body: Record) -> list[Record]:
    parties = copy.deepcopy(state.account_parties)
    if not parties:
        given = body.get("relatedParty")
        return copy.deepcopy(given) if isinstance(given, list) else []
    return parties


# ---------------------------------------------------------------------------- addresses


def _street(text: Any) -> str:
    words = fold(str(text or "")).split()
    if words and words[0] in ("rue", "avenue", "av", "boulevard", "bd", "chemin", "place", "allee", "route", "impasse"):
        words = words[1:]
    return " ".join(words)


def _address_score(wanted: Record, known: Record) -> dict[str, bool | None]:
    """Per field: True (same), False (different) or None (not submitted)."""
    result: dict[str, bool | None] = {}
    for key in _ADDRESS_KEYS:
        value = wanted.get(key)
        if value in (None, ""):
            result[key] = None
        elif key == "city":
            result[key] = fold(str(value)) in {fold(str(known.get("city", ""))), fold(str(known.get("locality", "")))}
        elif key == "streetName":
            result[key] = _street(value) == _street(known.get("streetName"))
        else:
            result[key] = fold(str(value)) == fold(str(known.get(key, "")))
    return result


def _as_match(address: Record) -> Record:
    match = {key: value for key, value in address.items() if key != "href"}
    match["@type"] = "FieldedAddress"
    return match


async def validate_address(ctx: Ctx) -> Response:
    body = await ctx.json_body()
    submitted = body.get("submittedGeographicAddress")
    if not isinstance(submitted, dict):
        raise CARRIER.error(400, 23, "submittedGeographicAddress")
    fielded = submitted.get("associatedGeographicAddress", submitted)
    if not isinstance(fielded, dict):
        raise CARRIER.error(400, 24, "submittedGeographicAddress.associatedGeographicAddress must be an object")
    wanted = {key: value for key, value in fielded.items() if isinstance(value, str | int | float) and value != ""}
    provide_alternative = body.get("provideAlternative", False) is not False
    exact: Record | None = None
    partial: list[tuple[int, Record]] = []
    for address in ctx.state.addresses.values():
        known = address.get("associatedGeographicAddress") or {}
        score = _address_score(wanted, known)
        same_place = bool(score["city"] or score["postcode"])
        conflicts = any(flag is False for flag in score.values())
        if same_place and not conflicts and score["streetName"] and score["streetNr"]:
            exact = address
            break
        if same_place:
            partial.append((sum(1 for flag in score.values() if flag), address))
    result: Record = {
        "provideAlternative": provide_alternative,
        "submittedGeographicAddress": {"associatedGeographicAddress": wanted},
    }
    if exact is not None:
        result = {"validationResult": "success", **result, "bestMatchGeographicAddress": _as_match(exact)}
    elif partial:
        partial.sort(key=lambda pair: -pair[0])
        result = {"validationResult": "partial", **result}
        if provide_alternative:
            result["alternateGeographicAddress"] = [_as_match(address) for _, address in partial]
    else:
        result = {"validationResult": "fail", **result}
    result["@type"] = "GeographicAddressValidation"
    return json_response(result)


async def get_address(ctx: Ctx) -> Response:
    return _get(ctx, ctx.state.addresses, "geographicAddress")


# ---------------------------------------------------------------------------- sites


def site_values(record: Any, path: str) -> list[Any]:
    """Site filters: ``geographicAddress.city=Paris`` also finds a site whose locality is Paris."""
    head, _, tail = path.partition(".")
    if head == "geographicAddress" and tail or head in ("city", "country", "postcode", "locality"):
        name = tail if head == "geographicAddress" else path
        names = [name, "locality"] if name == "city" else [name]
        found: list[Any] = []
        for each in names:
            for base in ("geographicAddress.formattedAddress", "formattedAddress", "geographicAddress"):
                found.extend(values_at(record, f"{base}.{each}"))
        return found
    return values_at(record, path)


async def list_sites(ctx: Ctx) -> Response:
    return collection(ctx, ctx.state.sites, extract=site_values)


async def get_site(ctx: Ctx) -> Response:
    return _get(ctx, ctx.state.sites, "geographicSite")


# ---------------------------------------------------------------------------- POQ


async def create_poq(ctx: Ctx) -> Response:
    state = ctx.state
    body = await ctx.json_body()
    items = _items(CARRIER, body, "productOfferingQualificationItem")
    now = state.carrier_date()
    until = state.carrier_date(plus=QUOTE_VALIDITY)
    verdicts: dict[str, tuple[str, str | None]] = {}
    for index, item in enumerate(items):
        _bandwidth(CARRIER, item, f"productOfferingQualificationItem[{index}]")
        if _is_enni(item):
            places = (item.get("product") or {}).get("place") or []
            ids = [str(place.get("id")) for place in places if isinstance(place, dict)]
            unknown = [site for site in ids if site not in state.sites]
            if not ids:
                verdicts[str(item["id"])] = ("red", "No ENNI site given (product.place)")
            elif unknown:
                verdicts[str(item["id"])] = (
                    "red",
                    f"Unknown site {', '.join(unknown)}: not an Orange IC point of presence",
                )
            else:
                verdicts[str(item["id"])] = ("green", None)
    out_items: list[Record] = []
    for item in items:
        item_id = str(item["id"])
        color, reason = verdicts.get(item_id, ("green", None))
        if not _is_enni(item):
            related = [
                str(rel.get("id"))
                for rel in item.get("productOfferingQualificationItemRelationship") or []
                if isinstance(rel, dict)
            ]
            red = [rel for rel in related if verdicts.get(rel, ("green", None))[0] == "red"]
            if red:
                color, reason = "red", f"ENNI end point item {', '.join(red)} cannot be served"
        out: Record = {"id": item["id"], "state": "done", "action": item.get("action", "add")}
        out["serviceabilityConfidence"] = color
        if reason:
            out["serviceConfidenceReason"] = reason
        else:
            out["installationInterval"] = (
                {"amount": 0, "timeUnit": "businessHours"}
                if _is_enni(item)
                else {"amount": 5, "timeUnit": "businessDays"}
            )
            out["guaranteedUntilDate"] = until
        for key in ("product", "productOffering", "productOfferingQualificationItemRelationship"):
            if key in item:
                out[key] = copy.deepcopy(item[key])
        out_items.append(out)
    poq: Record = {
        "id": str(uuid.uuid4()),
        "state": "done",
        "relatedParty": _parties(state, body),
        "productOfferingQualificationItem": out_items,
        "provideAlternative": bool(body.get("provideAlternative", False)),
        "effectiveQualificationCompletionDate": now,
        "requestCurrency": body.get("requestedCurrency", "EUR"),
    }
    if "requestedResponseDate" in body:
        poq["requestedResponseDate"] = body["requestedResponseDate"]
    state.poqs.put(poq)
    return json_response(poq, status=201)


async def list_poqs(ctx: Ctx) -> Response:
    return collection(ctx, ctx.state.poqs)


async def get_poq(ctx: Ctx) -> Response:
    return _get(ctx, ctx.state.poqs, "productOfferingQualification")


# ---------------------------------------------------------------------------- quotes


async def create_quote(ctx: Ctx) -> Response:
    state = ctx.state
    body = await ctx.json_body()
    items = _items(CARRIER, body, "quoteItem")
    out_items: list[Record] = []
    for index, item in enumerate(items):
        prices = _item_prices(CARRIER, item, f"quoteItem[{index}]")
        out: Record = {"id": item["id"], "state": "approved", "action": item.get("action", "add")}
        for key in ("productOffering", "product"):
            if key in item:
                out[key] = copy.deepcopy(item[key])
        out["quoteItemPrice"] = prices
        term = item.get("requestedQuoteItemTerm")
        if term is not None:
            out["requestedQuoteItemTerm"] = copy.deepcopy(term)
        if not _is_enni(item):
            out["quoteItemTerm"] = copy.deepcopy(term) if term else {"duration": {"amount": 1, "units": "day"}}
        if "quoteItemRelationship" in item:
            out["quoteItemRelationship"] = copy.deepcopy(item["quoteItemRelationship"])
        out_items.append(out)
    now = state.carrier_date()
    quote: Record = {
        "state": "approved",
        "instantSyncQuoting": True,
        "quoteLevel": body.get("quoteLevel", "firm"),
        "quoteItem": out_items,
        "id": state.next_quote_id,
    }
    state.next_quote_id += 1
    for key in ("externalId", "projectId", "description", "expectedFulfillmentStartDate"):
        if key in body:
            quote[key] = body[key]
    quote.update(
        {
            "quoteDate": now,
            "effectiveQuoteCompletionDate": now,
            "validFor": {"startDate": now, "endDate": state.carrier_date(plus=QUOTE_VALIDITY)},
            "relatedParty": _parties(state, body),
            "requestCurrency": body.get("requestedCurrency", "EUR"),
        }
    )
    state.quotes.put(quote)
    return json_response(quote, status=201)


async def list_quotes(ctx: Ctx) -> Response:
    return collection(ctx, ctx.state.quotes)


async def get_quote(ctx: Ctx) -> Response:
    return _get(ctx, ctx.state.quotes, "quote")


# ---------------------------------------------------------------------------- orders


def _check_quote(ctx: Ctx, item: Record, index: int) -> Record | None:
    ref = item.get("quote")
    if ref is None:
        return None
    if not isinstance(ref, dict) or ref.get("id") in (None, ""):
        raise CARRIER.error(400, 24, f"productOrderItem[{index}].quote must be an object with an id")
    quote_id = str(ref["id"])
    quote = ctx.state.quotes.get(quote_id)
    if quote is None:
        raise CARRIER.error(400, 24, f"Quote {quote_id} referenced by item {item['id']} does not exist.")
    if str(quote.get("state", "")).casefold() != "approved":
        raise CARRIER.error(
            400, 24, f"Quote {quote_id} is {quote.get('state')}, only an approved quote can be ordered."
        )
    end = parse_datetime(str((quote.get("validFor") or {}).get("endDate", "")))
    if end is not None and end < ctx.state.wall():
        raise CARRIER.error(
            400, 24, f"Quote {quote_id} expired on {quote['validFor']['endDate']}, ask for a new quote."
        )
    return quote


async def create_order(ctx: Ctx) -> Response:
    state = ctx.state
    body = await ctx.json_body()
    items = _items(CARRIER, body, "productOrderItem")
    out_items: list[Record] = []
    for index, item in enumerate(items):
        _check_quote(ctx, item, index)
        prices = _item_prices(CARRIER, item, f"productOrderItem[{index}]")
        out = copy.deepcopy(item)
        out["state"] = "acknowledged"
        product = out.setdefault("product", {})
        if not _is_enni(item) and str(item.get("action", "add")) == "add" and isinstance(product, dict):
            product.setdefault("id", f"LDD{state.next_product_number}")
            state.next_product_number += 1
        out.setdefault("orderItemPrice", prices)
        out_items.append(out)
    order_id = state.next_carrier_order_id
    state.next_carrier_order_id += 1
    order: Record = {"id": order_id, "externalId": body.get("externalId"), "orderDate": state.carrier_date()}
    order["state"] = "acknowledged"
    for key in ("requestedCompletionDate", "orderActivity", "desiredResponse", "orderVersion"):
        if key in body:
            order[key] = body[key]
    order["relatedParty"] = _parties(state, body)
    order["productOrderItem"] = out_items
    for key in ("buyerRequestDate", "projectId", "relatedBuyerPON", "billingAccount", "note"):
        if key in body:
            order[key] = copy.deepcopy(body[key])
    order["expectedCompletionDate"] = state.carrier_date(plus=timedelta(days=5))
    order["requestCurrency"] = body.get("requestedCurrency", "EUR")
    state.carrier_orders.put(order, listed_from=state.listed_from())
    start_order_lifecycle(state, order)
    return json_response(order, status=201)


def start_order_lifecycle(state: SandboxState, order: Record) -> None:
    """acknowledged → inProgress → completed, one step every ``step_seconds``."""

    def step(target: str) -> Any:
        def apply(due: float) -> None:
            order["state"] = target
            for item in order.get("productOrderItem") or []:
                if isinstance(item, dict):
                    item["state"] = target
            state.carrier_orders.changed(order["id"])
            if target == "completed":
                _install_products(state, order, due)

        return apply

    state.lifecycle.start(
        ("carrier", str(order["id"])),
        [step("inProgress"), step("completed")],
        at=state.now(),
        interval=state.config.step_seconds,
    )


def _install_products(state: SandboxState, order: Record, due: float) -> None:
    for item in order.get("productOrderItem") or []:
        product = item.get("product") if isinstance(item, dict) else None
        if not isinstance(product, dict) or not product.get("id") or _is_enni(item):
            continue
        existing = state.carrier_products.get(product["id"])
        record: Record = copy.deepcopy(existing) if existing else {"id": product["id"]}
        record.update(
            {
                "productOrderId": order["id"],
                "status": "active",
                "lastUpdateDate": state.carrier_date(due),
                "productConfiguration": copy.deepcopy(product.get("productConfiguration") or {}),
                "productOffering": copy.deepcopy(item.get("productOffering") or {"id": "Intense"}),
                "productSpecification": copy.deepcopy(product.get("productSpecification") or {"id": "TransitELine"}),
                "productPrice": copy.deepcopy(item.get("orderItemPrice") or []),
                "@type": "MEFProduct",
            }
        )
        state.carrier_products.put(record)


async def list_orders(ctx: Ctx) -> Response:
    return collection(ctx, ctx.state.carrier_orders)


async def get_order(ctx: Ctx) -> Response:
    return _get(ctx, ctx.state.carrier_orders, "productOrder")


# ---------------------------------------------------------------------------- inventory


async def list_products(ctx: Ctx) -> Response:
    return collection(ctx, ctx.state.carrier_products)


async def get_product(ctx: Ctx) -> Response:
    return _get(ctx, ctx.state.carrier_products, "product")


def _get(ctx: Ctx, store: Store, what: str) -> Response:
    ident = ctx.params["id"]
    record = store.get(ident)
    if record is None:
        raise CARRIER.not_found(what, ident)
    return one(ctx, record)


def register(router: Router) -> None:
    router.api(CARRIER)
    for version in VERSIONS:
        address = f"/geographicAddressManagement/{version}"
        router.add(CARRIER, f"{address}/geographicAddressValidation", POST=validate_address)
        router.add(CARRIER, f"{address}/geographicAddress/{{id}}", GET=get_address)
        site = f"/geographicSiteManagement/{version}/geographicSite"
        router.add(CARRIER, site, GET=list_sites)
        router.add(CARRIER, f"{site}/{{id}}", GET=get_site)
        poq = f"/productOfferingQualificationManagement/{version}/productOfferingQualification"
        router.add(CARRIER, poq, GET=list_poqs, POST=create_poq)
        router.add(CARRIER, f"{poq}/{{id}}", GET=get_poq)
        quote = f"/quoteManagement/{version}/quote"
        router.add(CARRIER, quote, GET=list_quotes, POST=create_quote)
        router.add(CARRIER, f"{quote}/{{id}}", GET=get_quote)
        order = f"/productOrderManagement/{version}/productOrder"
        router.add(CARRIER, order, GET=list_orders, POST=create_order)
        router.add(CARRIER, f"{order}/{{id}}", GET=get_order)
        product = f"/productInventoryManagement/{version}/product"
        router.add(CARRIER, product, GET=list_products)
        router.add(CARRIER, f"{product}/{{id}}", GET=get_product)
