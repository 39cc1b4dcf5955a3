"""Carrier (MEF Sonata): address validation, POQ, quotes, orders and their lifecycle."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_testing import CARRIER, FakeClock

from integrations.sandbox.carrier import daily_price
from integrations.sandbox.examples import get_example

ADDRESS = f"{CARRIER}/geographicAddressManagement/v1/geographicAddressValidation"
POQ = f"{CARRIER}/productOfferingQualificationManagement/v1/productOfferingQualification"
QUOTE = f"{CARRIER}/quoteManagement/v1/quote"
ORDER = f"{CARRIER}/productOrderManagement/v1/productOrder"


def address(**fields: str) -> dict[str, Any]:
    return {"provideAlternative": True, "submittedGeographicAddress": {"associatedGeographicAddress": fields}}


async def test_documented_validation_succeeds(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    request = get_example("carrier/geographic-address-validation-create-request").body
    response = await client.post(ADDRESS, json=request, headers=auth)
    assert response.status_code == 200
    assert response.json() == get_example("carrier/geographic-address-validation-create-response").body


@pytest.mark.parametrize(
    ("fields", "result", "ids"),
    [
        (
            {"streetNr": "12", "streetName": "DES FLEURS", "city": "BEZONS", "postcode": "95870"},
            "success",
            ["22482972"],
        ),
        ({"streetNr": "12", "streetName": "rue des fleurs", "postcode": "95870"}, "success", ["22482972"]),
        (
            {"streetNr": "99", "streetName": "des fleurs", "city": "Bézons"},
            "partial",
            ["22482972", "22482973", "22482990"],
        ),
        ({"city": "Bagnolet"}, "partial", ["10574001"]),
        ({"streetNr": "1", "streetName": "Main Street", "city": "Springfield"}, "fail", []),
    ],
)
async def test_validation_results(
    client: httpx.AsyncClient, auth: dict[str, str], fields: dict[str, str], result: str, ids: list[str]
) -> None:
    body = (await client.post(ADDRESS, json=address(**fields), headers=auth)).json()
    assert body["validationResult"] == result
    if result == "success":
        assert [body["bestMatchGeographicAddress"]["id"]] == ids
    elif result == "partial":
        assert sorted(alt["id"] for alt in body["alternateGeographicAddress"]) == ids
        assert body["alternateGeographicAddress"][0]["@type"] == "FieldedAddress"
    else:
        assert "bestMatchGeographicAddress" not in body and "alternateGeographicAddress" not in body


async def test_validation_needs_an_address(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post(ADDRESS, json={"provideAlternative": True}, headers=auth)
    assert response.status_code == 400
    assert response.json() == {"code": 23, "message": "Missing body field", "description": "submittedGeographicAddress"}


async def test_poq_green_for_known_sites(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post(POQ, json=get_example("carrier/poq-create-1-request").body, headers=auth)
    assert response.status_code == 201
    poq = response.json()
    assert poq["state"] == "done"
    items = poq["productOfferingQualificationItem"]
    assert [item["serviceabilityConfidence"] for item in items] == ["green", "green", "green"]
    assert items[0]["installationInterval"] == {"amount": 5, "timeUnit": "businessDays"}
    assert items[1]["installationInterval"] == {"amount": 0, "timeUnit": "businessHours"}
    assert (await client.get(f"{POQ}/{poq['id']}", headers=auth)).json() == poq


async def test_poq_red_for_unknown_sites(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    request = get_example("carrier/poq-create-1-request").body
    request["productOfferingQualificationItem"][2]["product"]["place"][0]["id"] = "999999"
    items = (await client.post(POQ, json=request, headers=auth)).json()["productOfferingQualificationItem"]
    assert [item["serviceabilityConfidence"] for item in items] == ["red", "green", "red"]
    assert "999999" in items[2]["serviceConfidenceReason"]
    assert "3" in items[0]["serviceConfidenceReason"]


@pytest.mark.parametrize(
    "slug", ["carrier/poq-create-2-request", "carrier/poq-create-3-request", "carrier/poq-create-4-modify-request"]
)
async def test_other_documented_poqs(client: httpx.AsyncClient, auth: dict[str, str], slug: str) -> None:
    response = await client.post(POQ, json=get_example(slug).body, headers=auth)
    assert response.status_code == 201, response.text


async def test_quote_prices_and_validity(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post(QUOTE, json=get_example("carrier/quote-create-1-request").body, headers=auth)
    assert response.status_code == 201
    quote = response.json()
    assert quote["state"] == "approved" and quote["instantSyncQuoting"] is True
    assert isinstance(quote["id"], int) and quote["id"] == 8
    transit, enni_a, enni_b = quote["quoteItem"]
    assert transit["quoteItemPrice"][0]["price"]["preTaxAmount"] == {
        "value": daily_price(2, "GUARANTEED"),
        "unit": "EUR",
    }
    assert transit["quoteItemPrice"][0]["recurringChargePeriod"] == "day"
    assert enni_a["quoteItemPrice"][0]["priceType"] == "nonRecurring"
    assert enni_b["quoteItemPrice"][0]["price"]["preTaxAmount"]["value"] == 1000.0
    assert quote["validFor"]["startDate"] == "2024-05-01T08:00:00Z"
    assert quote["validFor"]["endDate"] == "2024-05-08T08:00:00Z"
    second = (await client.post(QUOTE, json=get_example("carrier/quote-create-2-request").body, headers=auth)).json()
    assert second["id"] == 9
    listed = (await client.get(QUOTE, headers=auth)).json()
    assert [item["id"] for item in listed] == [4, 5, 6, 7, 8, 9]


def test_daily_price_grows_with_bandwidth() -> None:
    assert daily_price(4, "GUARANTEED") == 28.0  # as in the documented order 11
    assert daily_price(2, "GUARANTEED") < daily_price(4, "GUARANTEED") < daily_price(200, "GUARANTEED")
    assert daily_price(4, "STANDARD") < daily_price(4, "GUARANTEED")


@pytest.mark.parametrize("bandwidth", [0, -3, "fast", True])
async def test_quote_refuses_bad_bandwidth(client: httpx.AsyncClient, auth: dict[str, str], bandwidth: Any) -> None:
    request = get_example("carrier/quote-create-2-request").body
    request["quoteItem"][0]["product"]["productConfiguration"]["bandwidth"] = bandwidth
    response = await client.post(QUOTE, json=request, headers=auth)
    assert response.status_code == 400 and response.json()["code"] == 24


async def test_order_lifecycle(client: httpx.AsyncClient, auth: dict[str, str], clock: FakeClock) -> None:
    response = await client.post(ORDER, json=get_example("carrier/product-order-create-1-request").body, headers=auth)
    assert response.status_code == 201
    order = response.json()
    assert order["id"] == 15 and order["externalId"] == "1" and order["state"] == "acknowledged"
    url = f"{ORDER}/{order['id']}"
    states = []
    for _ in range(4):
        current = (await client.get(url, headers=auth)).json()
        states.append((current["state"], {item["state"] for item in current["productOrderItem"]}))
        clock.advance(5)
    assert states == [
        ("acknowledged", {"acknowledged"}),
        ("inProgress", {"inProgress"}),
        ("completed", {"completed"}),
        ("completed", {"completed"}),
    ]
    product_id = order["productOrderItem"][0]["product"]["id"]
    product = await client.get(f"{CARRIER}/productInventoryManagement/v1/product/{product_id}", headers=auth)
    assert product.status_code == 200 and product.json()["status"] == "active"
    summary = (await client.get(f"{ORDER}?externalId=1&state=completed", headers=auth)).json()
    assert summary == [{"id": 15, "orderDate": order["orderDate"], "state": "completed", "externalId": "1"}]
    second = (
        await client.post(ORDER, json=get_example("carrier/product-order-create-2-request").body, headers=auth)
    ).json()
    assert second["id"] == 16


async def test_order_with_a_quote(client: httpx.AsyncClient, auth: dict[str, str], clock: FakeClock) -> None:
    quote = (await client.post(QUOTE, json=get_example("carrier/quote-create-2-request").body, headers=auth)).json()
    request = get_example("carrier/product-order-create-3-modify-request").body
    request["productOrderItem"][0]["quote"] = {"id": str(quote["id"])}
    assert (await client.post(ORDER, json=request, headers=auth)).status_code == 201
    request["productOrderItem"][0]["quote"] = {"id": "10"}
    unknown = await client.post(ORDER, json=request, headers=auth)
    assert unknown.status_code == 400 and unknown.json()["code"] == 24
    assert "Quote 10" in unknown.json()["description"]
    request["productOrderItem"][0]["quote"] = {"id": "6"}  # documented, valid until 2021-04-01
    expired = await client.post(ORDER, json=request, headers=auth)
    assert expired.status_code == 400 and "expired" in expired.json()["description"]
    request["productOrderItem"][0]["quote"] = {"id": str(quote["id"])}
    clock.advance(8 * 24 * 3600)
    token = await client.post(
        "/oauth/v3/token", data={"grant_type": "client_credentials"}, headers={"Authorization": "Basic YTpi"}
    )
    late = await client.post(ORDER, json=request, headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert late.status_code == 400 and "expired" in late.json()["description"]


async def test_order_needs_items(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post(ORDER, json={"externalId": "x"}, headers=auth)
    assert response.status_code == 400
    assert response.json() == {"code": 23, "message": "Missing body field", "description": "productOrderItem"}
    broken = await client.post(ORDER, content=b"{", headers=auth)
    assert broken.status_code == 400 and broken.json()["code"] == 22


async def test_carrier_not_found_and_wrong_method(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    missing = await client.get(f"{ORDER}/999", headers=auth)
    assert missing.status_code == 404
    body = missing.json()
    assert body["code"] == 60 and body["message"] == "Resource not found" and body["description"]
    wrong = await client.put(f"{ORDER}/11", json={}, headers=auth)
    assert wrong.status_code == 405 and wrong.json()["code"] == 61
    unknown_path = await client.get(f"{CARRIER}/nothing/v1/here", headers=auth)
    assert unknown_path.status_code == 404 and unknown_path.json()["code"] == 60
