"""offset/limit, X-Total-Count/X-Result-Count, fields, sort and TMF filters."""

from __future__ import annotations

import httpx
import pytest
from sandbox_testing import BUSINESS, CARRIER, INVENTORY, ORDERING

SITES = f"{CARRIER}/geographicSiteManagement/v1/geographicSite"
CARRIER_ORDERS = f"{CARRIER}/productOrderManagement/v1/productOrder"


async def ids(client: httpx.AsyncClient, url: str, auth: dict[str, str]) -> list[str]:
    response = await client.get(url, headers=auth)
    assert response.status_code == 200, response.text
    return [str(item["id"]) for item in response.json()]


async def test_server_caps_the_page_size(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await client.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 120, "state": "completed"})
    response = await client.get(f"{ORDERING}/productOrder?limit=500", headers=auth)
    assert len(response.json()) == 50
    assert response.headers["X-Result-Count"] == "50"
    total = int(response.headers["X-Total-Count"])
    assert total >= 120
    last = await client.get(f"{ORDERING}/productOrder?offset={total - 3}&limit=10", headers=auth)
    assert last.headers["X-Result-Count"] == "3" and len(last.json()) == 3
    beyond = await client.get(f"{ORDERING}/productOrder?offset={total + 10}", headers=auth)
    assert beyond.json() == [] and beyond.headers["X-Total-Count"] == str(total)


async def test_paging_walks_every_item_once(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        response = await client.get(f"{BUSINESS}/requests?offset={offset}&limit=7", headers=auth)
        page = response.json()
        seen += [item["id"] for item in page]
        offset += int(response.headers["X-Result-Count"])
        if offset >= int(response.headers["X-Total-Count"]):
            break
    assert len(seen) == len(set(seen)) == 33


@pytest.mark.parametrize("query", ["offset=abc", "limit=ten", "offset=-1", "limit=1.5"])
@pytest.mark.parametrize("base", [f"{ORDERING}/productOrder", f"{INVENTORY}/product"])
async def test_bad_paging_parameters(client: httpx.AsyncClient, auth: dict[str, str], base: str, query: str) -> None:
    response = await client.get(f"{base}?{query}", headers=auth)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "28" and body["message"] == "Invalid query-string parameter value"
    assert body["@type"] == "Error"


async def test_bad_paging_on_carrier_uses_the_gateway_shape(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get(f"{CARRIER_ORDERS}?limit=x", headers=auth)
    assert response.status_code == 400
    assert response.json()["code"] == 28


async def test_unknown_wholesale_filter_is_refused(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    for url in (f"{ORDERING}/productOrder?colour=blue", f"{INVENTORY}/product?colour=blue"):
        response = await client.get(url, headers=auth)
        assert response.status_code == 400
        assert response.json()["code"] == "28"


async def test_fields(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    none = (await client.get(f"{ORDERING}/productOrder?fields=none", headers=auth)).json()
    assert all(set(item) == {"id", "href"} for item in none)
    some = (await client.get(f"{ORDERING}/productOrder?fields=state,orderDate", headers=auth)).json()
    assert all(set(item) == {"id", "href", "state", "orderDate"} for item in some)
    dotted = (await client.get(f"{INVENTORY}/product?fields=productOffering.id&limit=3", headers=auth)).json()
    assert all(set(item) == {"id", "href", "productOffering"} for item in dotted)
    single = await client.get(
        f"{CARRIER}/geographicAddressManagement/v1/geographicAddress/22482972?fields=allowsNewSite", headers=auth
    )
    assert single.json() == {"id": "22482972", "allowsNewSite": True}
    carrier_list = (await client.get(f"{CARRIER_ORDERS}?fields=productOrderItem", headers=auth)).json()
    assert all(set(item) == {"id", "productOrderItem"} for item in carrier_list)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=completed", ["e7dee14c", "9240353c", "37cf411f"]),
        ("state.eq=COMPLETED", ["e7dee14c", "9240353c", "37cf411f"]),
        ("state=rejected,completed", ["e7dee14c", "9240353c", "37cf411f", "4f0a8c3e"]),
        ("state.ne=INPROGRESS", ["e7dee14c", "9240353c", "37cf411f", "4f0a8c3e"]),
        ("orderDate.gt=2022-03-02T14:40:08Z", ["7f8bb1aa"]),
        ("orderDate.gte=2022-03-02T14:40:08Z", ["7f8bb1aa", "0f9e6ecd"]),
        ("orderDate.lt=2021-07-22T09:27:25Z", ["e7dee14c"]),
        ("orderDate.lte=2021-07-22T09:27:25Z", ["e7dee14c", "9240353c"]),
        ("orderDate>=2022-03-02T14:40:08Z", ["7f8bb1aa", "0f9e6ecd"]),
        ("orderDate<2021-07-22T11:27:25%2B02:00", ["e7dee14c"]),
        ("orderDate=2021-07-22", ["e7dee14c", "9240353c", "37cf411f"]),
        ("externalIdentifier.id=UW-de76cfa1", ["de76cfa1"]),
        ("productOrderItem.id=O40140084005&state=INPROGRESS&orderDate.gt=2022-01-01", ["7f8bb1aa", "0f9e6ecd"]),
        (
            "productOrderSpecification=acquisition&description=ProductOrder illustration Ariane",
            ["e7dee14c", "37cf411f"],
        ),
        ("id=37cf411f-5258-409a-9703-66cf965c9f43,e7dee14c-cd85-495a-9931-ef3c06f2559b", ["e7dee14c", "37cf411f"]),
    ],
)
async def test_wholesale_order_filters(
    client: httpx.AsyncClient, auth: dict[str, str], query: str, expected: list[str]
) -> None:
    found = await ids(client, f"{ORDERING}/productOrder?{query}", auth)
    assert [ident[:8] for ident in found] == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("productCharacteristic.value.name=lorraine", 4),
        ("productCharacteristic.value=VF0000240160084030", 3),
        ("productOffering.id=O40160084003,O40160085001", 4),
        ("status=active&productOffering.productOfferingType=atomicOffer&name.ne=Collecte régionale", 8),
        ("realizingService.id=V1008724&realizingService.name=Aire VPLS", 3),
        ("relatedParty.role=user&relatedParty.id=8f4ac814-5072-4519-9e8c-70bd6c087e80", 16),
        ("creationDate.lt=2021-01-01", 4),
    ],
)
async def test_inventory_filters(client: httpx.AsyncClient, auth: dict[str, str], query: str, expected: int) -> None:
    response = await client.get(f"{INVENTORY}/product?{query}", headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["X-Total-Count"] == str(expected)


async def test_sort(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    descending = await ids(client, f"{ORDERING}/productOrder?sort=-orderDate", auth)
    ascending = await ids(client, f"{ORDERING}/productOrder?sort=orderDate", auth)
    assert descending == ascending[::-1]
    assert descending[:2] == ["7f8bb1aa-da62-41e6-be85-38b6f42827ae", "0f9e6ecd-2bee-4448-b0cb-c6cdb29bccb7"]
    two_keys = (
        await client.get(f"{BUSINESS}/requests?sort=type,-createdAt&fields=type,createdAt", headers=auth)
    ).json()
    keyed = [(item.get("type") or "", item.get("createdAt") or "") for item in two_keys if item.get("createdAt")]
    assert keyed == sorted(keyed, key=lambda pair: (pair[0], [-ord(ch) for ch in pair[1]]))
    newest = (await client.get(f"{BUSINESS}/requests?sort=-createdAt&limit=33", headers=auth)).json()
    stamps = [item["createdAt"] for item in newest if "createdAt" in item]
    assert stamps == sorted(stamps, reverse=True)
    assert all("createdAt" not in item for item in newest[len(stamps) :])  # missing values come last


async def test_business_filters_and_paging(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    generic = (await client.get(f"{BUSINESS}/requests?type=C_GENERIC_S1", headers=auth)).json()
    assert generic and all(item["type"] == "C_GENERIC_S1" for item in generic)
    assert generic[0]["id"] == "W61X9260521"
    page = await client.get(f"{BUSINESS}/requests?offset=10&limit=20&sort=-createdAt", headers=auth)
    assert page.headers["X-Result-Count"] == "20" and page.headers["X-Total-Count"] == "33"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("geographicAddress.city=Paris", ["105740"]),
        ("geographicAddress.city=paris", ["105740"]),
        ("geographicAddress.city=Bagnolet", ["105740"]),
        ("geographicAddress.country=France", ["105740", "1440397"]),
        ("geographicAddress.country=Jordan,Ivory Coast", ["1265904", "1354977"]),
        ("siteName=abidjan km4", ["1265904"]),
        ("city=Amman", ["1354977"]),
        ("geographicAddress.city=Nowhere", []),
    ],
)
async def test_site_filters(client: httpx.AsyncClient, auth: dict[str, str], query: str, expected: list[str]) -> None:
    for base in (SITES, SITES + "/", f"{CARRIER}/geographicSiteManagement/sbx/v1/geographicSite"):
        assert await ids(client, f"{base}?{query}", auth) == expected


async def test_carrier_order_filters(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    assert await ids(client, f"{CARRIER_ORDERS}?state=pending", auth) == ["11", "13", "14"]
    assert await ids(client, f"{CARRIER_ORDERS}?externalId=1&state=inProgress", auth) == ["9"]
    assert await ids(client, f"{CARRIER_ORDERS}?id=13,9", auth) == ["9", "13"]
    assert await ids(client, f"{CARRIER_ORDERS}?externalId=nope", auth) == []
    assert await ids(client, f"{CARRIER}/productInventoryManagement/v1/product?status=active", auth) == [
        "LDD30112",
        "LDD30114",
    ]
