"""The request bodies integrations/requests.py builds from plain values, against the official schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import spec_conformance as sc

from integrations.requests import (
    BuyerReferences,
    EvplRequest,
    address_validation_request,
    cancellation_request,
    carrier_order_from_quote,
    poq_request,
    quote_request,
)

pytestmark = pytest.mark.skipif(not sc.specs_available(), reason="official specs not present")

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
EVPL = EvplRequest(site_a="1265904", site_b="1354977", bandwidth=100, class_of_service="GUARANTEED", term_months=12)
ITEM = {
    "id": "1",
    "action": "add",
    "productOffering": {"id": "Intense"},
    "product": {"productConfiguration": {"@type": "EVPL", "bandwidth": 20, "classOfService": "GUARANTEED"}},
    "quote": {"id": "10"},
}


def sent(model: Any) -> dict[str, Any]:
    """What the resource puts on the wire (integrations/resources/_resource.py)."""
    dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True)
    return dumped


def test_the_carrier_order_carries_the_buyers_references_and_the_bots_key() -> None:
    defaults = {"relatedBuyerPON": "DEFAULT", "projectId": "theirs", "billingAccount": {"id": "12345"}}
    body = sent(
        carrier_order_from_quote(
            items=[ITEM], buyer=BuyerReferences("PO-7", "BOA12", "Rack 4"), key="ob-1", defaults=defaults, at=AT
        )
    )
    assert body["externalId"] == "PO-7" and body["relatedBuyerPON"] == "BOA12" and body["projectId"] == "ob-1"
    assert body["note"] == [{"text": "Rack 4", "author": "buyer", "date": "2026-01-05T09:00:00Z"}]
    assert body["billingAccount"] == {"id": "12345"} and body["buyerRequestDate"] == "2026-01-05T09:00:00Z"
    errors = sc.validate(body, backend="carrier", api="productOrderManagement", definition="ProductOrder_Create")
    # Orange's own order examples leave requestedCompletionDate out when the quote sets the dates
    assert errors == ["$.requestedCompletionDate: 'requestedCompletionDate' is a required property [required]"]
    bare = sent(carrier_order_from_quote(items=[ITEM], buyer=BuyerReferences("PO-7"), key="ob-1", defaults=defaults))
    assert "relatedBuyerPON" not in bare and "note" not in bare  # no default PON when the buyer cleared it


@pytest.mark.parametrize(
    ("body", "backend", "api", "definition"),
    [
        (
            sent(poq_request(EVPL)),
            "carrier",
            "productOfferingQualificationManagement",
            "ProductOfferingQualification_Create",
        ),
        (sent(quote_request(EVPL)), "carrier", "quoteManagement", "Quote_Create"),
        (
            sent(address_validation_request(street="rue de Paris", number="3", city="Paris", country="FR")),
            "carrier",
            "geographicAddressManagement",
            "GeographicAddressValidation_Create",
        ),
        (
            sent(cancellation_request(order_id="de76cfa1", reason=None, at=AT)),
            "wholesale",
            "productOrdering",
            "CancelProductOrder_Create",
        ),
    ],
)
def test_each_body_matches_its_official_schema(body: dict[str, Any], backend: str, api: str, definition: str) -> None:
    assert sc.validate(body, backend=backend, api=api, definition=definition) == []


def test_poq_and_quote_name_both_sites_and_the_term() -> None:
    poq, quote = sent(poq_request(EVPL)), sent(quote_request(EVPL))
    places = [i["product"]["place"][0]["id"] for i in poq["productOfferingQualificationItem"][1:]]
    assert places == ["1265904", "1354977"] and poq["instantSyncQualification"] is True
    assert quote["quoteItem"][0]["requestedQuoteItemTerm"] == {"duration": {"amount": 12, "units": "month"}}
    assert sent(cancellation_request(order_id="x", reason=None, at=AT))["cancellationReason"] == "Cancelled on request"
