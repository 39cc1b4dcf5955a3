"""Request bodies for Orange, built from plain values: the bot never writes a carrier's JSON itself.

    body = carrier_order_from_quote(items=order_items_from_quote(quote), buyer=BuyerReferences("PO-7", …), key=k)
    await client.carrier.orders.create(body)

Each builder returns the typed create model its resource takes (serialised by alias, `None`s left out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .types.carrier import (
    AddressValidationCreate,
    CarrierProductOrderCreate,
    PoqCreate,
    Quote,
    QuoteCreate,
)
from .types.wholesale import CancelProductOrderCreate

__all__ = [
    "LOOKUP_FIELD",
    "BuyerReferences",
    "EvplRequest",
    "address_validation_request",
    "cancellation_request",
    "carrier_order_from_quote",
    "order_items_from_quote",
    "poq_request",
    "quote_request",
]

LOOKUP_FIELD = "projectId"
"""The order field holding the bot's own look-up key: MEF's `projectId`, sent on create, returned on the order and
a documented filter of `GET /productOrder` (the buyer's `externalId` is theirs to choose, and need not be unique)."""


@dataclass(frozen=True)
class BuyerReferences:
    """What the buyer names the order by: their own reference, their purchase order number, a note."""

    external_id: str
    related_buyer_pon: str | None = None
    note: str | None = None


def order_items_from_quote(quote: Quote) -> list[dict[str, Any]]:
    """One productOrderItem per quote item, each naming the quote (the seed's "order with a Quote Identifier").

    JSON-ready, so it can be kept with an approval and sent later."""
    quote_id = str(quote.id)
    items: list[dict[str, Any]] = []
    for quote_item in quote.quote_item:
        raw = quote_item.model_dump(mode="json", exclude_none=True, by_alias=True)
        item: dict[str, Any] = {"id": str(raw.get("id")), "action": raw.get("action") or "add"}
        for key in ("productOffering", "product"):
            if raw.get(key) is not None:
                item[key] = raw[key]
        term = raw.get("quoteItemTerm") or raw.get("requestedQuoteItemTerm")
        if term:
            item["requestedOrderItemTerm"] = term
        relations = raw.get("quoteItemRelationship")
        if relations:
            item["orderItemRelationship"] = relations
        item["quote"] = {"id": quote_id}
        items.append(item)
    return items


def carrier_order_from_quote(
    *,
    items: Sequence[Mapping[str, Any]],
    buyer: BuyerReferences,
    key: str,
    defaults: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> CarrierProductOrderCreate:
    """The carrier order of an approved quote: `defaults` (billingAccount, relatedParty…) under the buyer's
    references, and `key` in `projectId` (see `LOOKUP_FIELD`), which overrides any default."""
    body: dict[str, Any] = {
        "orderActivity": "install",
        "desiredResponse": "confirmationAndEngineeringDesign",
        "orderVersion": "1",
        "relatedParty": [],
        **dict(defaults or {}),
    }
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    body.setdefault("buyerRequestDate", moment)
    body["externalId"] = buyer.external_id
    if buyer.related_buyer_pon:
        body["relatedBuyerPON"] = buyer.related_buyer_pon
    else:
        body.pop("relatedBuyerPON", None)
    notes = [n for n in body.pop("note", None) or [] if isinstance(n, Mapping)]
    if buyer.note:
        notes.append({"text": buyer.note, "author": "buyer", "date": moment})
    if notes:
        body["note"] = notes
    body[LOOKUP_FIELD] = key
    body["productOrderItem"] = [dict(item) for item in items]
    return CarrierProductOrderCreate.model_validate(body)


@dataclass(frozen=True)
class EvplRequest:
    """An EVPL between two ENNI sites: what the quote form asks for."""

    site_a: str
    site_b: str
    bandwidth: int
    class_of_service: str
    term_months: int = 12


def _enni(item_id: str, site: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "action": "add",
        "product": {
            "productSpecification": {"id": "ENNI"},
            "productOffering": {"id": "AccessInterface"},
            "place": [{"id": site, "role": "ENNI Site", "@type": "PlaceRef", "@referredType": "GeographicSite"}],
        },
    }


def _evpl(evpl: EvplRequest) -> dict[str, Any]:
    return {
        "id": "1",
        "action": "add",
        "product": {
            "productSpecification": {"id": "TransitELine"},
            "productConfiguration": {
                "@type": "EVPL",
                "bandwidth": evpl.bandwidth,
                "classOfService": evpl.class_of_service,
            },
        },
        "productOffering": {"id": "Intense"},
    }


_ENDPOINTS = [{"type": "hasENNIEndPoint", "id": "2"}, {"type": "hasENNIEndPoint", "id": "3"}]


def poq_request(evpl: EvplRequest) -> PoqCreate:
    """Can Orange deliver this EVPL between these two sites (answered at once)?"""
    line = _evpl(evpl)
    line["productOfferingQualificationItemRelationship"] = list(_ENDPOINTS)
    return PoqCreate.model_validate(
        {
            "instantSyncQualification": True,
            "relatedParty": [{"role": "buyer"}],
            "productOfferingQualificationItem": [line, _enni("2", evpl.site_a), _enni("3", evpl.site_b)],
        }
    )


def quote_request(evpl: EvplRequest) -> QuoteCreate:
    """A firm quote for this EVPL over `term_months` (answered at once)."""
    line = _evpl(evpl)
    line["requestedQuoteItemTerm"] = {"duration": {"amount": evpl.term_months, "units": "month"}}
    line["quoteItemRelationship"] = list(_ENDPOINTS)
    return QuoteCreate.model_validate(
        {
            "quoteLevel": "firm",
            "instantSyncQuoting": True,
            "relatedParty": [{"role": "buyer"}],
            "quoteItem": [line, _enni("2", evpl.site_a), _enni("3", evpl.site_b)],
        }
    )


def cancellation_request(*, order_id: str, reason: str | None, at: datetime | None = None) -> CancelProductOrderCreate:
    """Cancel a wholesale order now, with the buyer's reason (Orange requires one)."""
    return CancelProductOrderCreate.model_validate(
        {
            "cancellationReason": reason or "Cancelled on request",
            "effectiveCancellationDate": (at or datetime.now(UTC)).astimezone(UTC),
            "productOrder": {"id": order_id, "@type": "ProductOrder"},
            "@type": "cancelProductOrder",
        }
    )


def address_validation_request(
    *,
    street: str | None = None,
    number: str | None = None,
    city: str | None = None,
    postcode: str | None = None,
    country: str | None = None,
) -> AddressValidationCreate:
    """Validate a fielded address, asking for alternatives; empty fields are left out."""
    fields = {"streetName": street, "streetNr": number, "city": city, "postcode": postcode, "country": country}
    submitted = {k: v for k, v in fields.items() if v}
    return AddressValidationCreate.model_validate(
        {
            "provideAlternative": True,
            "submittedGeographicAddress": {"@type": "FieldedAddress", "associatedGeographicAddress": submitted},
            "@type": "GeographicAddressValidation",
        }
    )
