"""United Way ordering: creation rules, lifecycle over the fake clock, cancellation, hubs, inventory depth."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_testing import DE76, INVENTORY, ORDERING, FakeClock, wholesale_order

from integrations.sandbox import SandboxState


async def create(
    client: httpx.AsyncClient, auth: dict[str, str], body: Any, path: str = "/productOrder"
) -> httpx.Response:
    return await client.post(f"{ORDERING}{path}", json=body, headers=auth)


async def test_create_order(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await create(client, auth, wholesale_order())
    assert response.status_code == 201
    order = response.json()
    assert response.headers["Location"] == f"/productOrder/{order['id']}"
    assert order["state"] == "acknowledged"
    for key in (
        "id",
        "href",
        "orderDate",
        "expectedCompletionDate",
        "requestedCompletionDate",
        "expectedFulfillmentStartDate",
    ):
        assert order[key], key
    assert order["href"].endswith(f"/productOrder/{order['id']}")
    assert [item["state"] for item in order["productOrderItem"]] == ["acknowledged", "acknowledged"]
    fetched = await client.get(f"{ORDERING}/productOrder/{order['id']}", headers=auth)
    assert fetched.json() == order


async def test_create_at_the_documented_lowercase_path(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    body = wholesale_order("LOWER-1")
    body["productorderSpecification"] = body.pop("productOrderSpecification")  # the seed's spelling
    response = await create(client, auth, body, path="/productorder")
    assert response.status_code == 201, response.text
    listed = await client.get(
        f"{ORDERING}/productOrder?productOrderSpecification=Acquisition&externalIdentifier.id=LOWER-1", headers=auth
    )
    assert [item["id"] for item in listed.json()] == [response.json()["id"]]


async def test_documented_create_example_is_accepted(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    from integrations.sandbox.examples import get_example

    for slug in (
        "wholesale/product-order-create-request",
        "wholesale/product-order-create-termination-request",
        "wholesale/product-order-create-speedcos-modification-request",
    ):
        response = await create(client, auth, get_example(slug).body)
        assert response.status_code == 201, (slug, response.text)


async def test_lifecycle_follows_the_clock(client: httpx.AsyncClient, auth: dict[str, str], clock: FakeClock) -> None:
    order = (await create(client, auth, wholesale_order())).json()
    url = f"{ORDERING}/productOrder/{order['id']}"
    seen = []
    for _ in range(5):
        current = (await client.get(url, headers=auth)).json()
        seen.append((current["state"], [item["state"] for item in current["productOrderItem"]]))
        clock.advance(5)
    assert [state for state, _ in seen] == [
        "acknowledged",
        "inProgress.accepted",
        "inProgress",
        "completed",
        "completed",
    ]
    assert all(len(set(items)) == 1 and items[0] == state for state, items in seen)
    final = (await client.get(url, headers=auth)).json()
    milestones = final["productOrderItem"][0]["milestone"]
    assert [m["message"] for m in milestones] == [
        "Validation de la commande en cours",
        "En cours de production",
        "Commande livrée",
    ]
    assert all(m["status"] == "completed" and m["@type"] == "Milestone" and m["name"] for m in milestones)
    assert [m["milestoneDate"] for m in milestones] == sorted(m["milestoneDate"] for m in milestones)
    # A completed acquisition shows up in the inventory.
    products = await client.get(f"{INVENTORY}/product?productOrderItem.productOrderId={order['id']}", headers=auth)
    assert products.headers["X-Total-Count"] == "2"


async def test_lifecycle_jumps_are_deterministic(
    client: httpx.AsyncClient, auth: dict[str, str], clock: FakeClock
) -> None:
    order = (await create(client, auth, wholesale_order())).json()
    clock.advance(1000)
    final = (await client.get(f"{ORDERING}/productOrder/{order['id']}", headers=auth)).json()
    assert final["state"] == "completed"
    assert len(final["productOrderItem"][1]["milestone"]) == 3


async def test_seeded_orders_stay_as_documented(
    client: httpx.AsyncClient, auth: dict[str, str], clock: FakeClock
) -> None:
    clock.advance(3000)  # many steps, well within the token's lifetime
    order = (await client.get(f"{ORDERING}/productOrder/{DE76}", headers=auth)).json()
    assert order["state"] == "INPROGRESS"


async def test_get_order_item(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    item = await client.get(f"{ORDERING}/productOrder/{DE76}/productOrderItem/O40140084001", headers=auth)
    assert item.status_code == 200 and item.json()["state"] == "inProgress.accepted"
    missing = await client.get(f"{ORDERING}/productOrder/{DE76}/productOrderItem/nope", headers=auth)
    assert missing.status_code == 404 and missing.json()["code"] == "60"


async def test_unknown_order(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get(f"{ORDERING}/productOrder/sdfsd", headers=auth)
    assert response.status_code == 404
    assert response.json() == {
        "code": "60",
        "message": "No entity found with ID 'sdfsd'!",
        "reason": "Resource not found",
        "@type": "Error",
    }


async def test_cancel_flow(client: httpx.AsyncClient, auth: dict[str, str], clock: FakeClock) -> None:
    order = (await create(client, auth, wholesale_order())).json()
    body = {
        "cancellationReason": "Rétractation client",
        "productOrder": {"id": order["id"], "@type": "ProductOrder"},
        "@type": "CancelProductOrder",
    }
    response = await client.post(f"{ORDERING}/cancelProductOrder", json=body, headers=auth)
    assert response.status_code == 201, response.text
    cancel = response.json()
    assert cancel["state"] == "acknowledged" and cancel["productOrder"]["id"] == order["id"]
    order_url = f"{ORDERING}/productOrder/{order['id']}"
    cancel_url = f"{ORDERING}/cancelProductOrder/{cancel['id']}"
    states = []
    for _ in range(3):
        states.append(
            (
                (await client.get(order_url, headers=auth)).json()["state"],
                (await client.get(cancel_url, headers=auth)).json()["state"],
            )
        )
        clock.advance(5)
    assert states == [
        ("assessingCancellation", "acknowledged"),
        ("pendingCancellation", "inProgress"),
        ("cancelled", "done"),
    ]
    final = (await client.get(order_url, headers=auth)).json()
    assert {item["state"] for item in final["productOrderItem"]} == {"cancelled"}
    again = await client.post(f"{ORDERING}/cancelProductOrder", json=body, headers=auth)
    assert again.status_code == 409
    assert again.json()["code"] == "69" and "order is cancelled" in again.json()["reason"]


async def test_cancel_a_seeded_order_and_refusals(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    from integrations.sandbox.examples import get_example

    documented = get_example("wholesale/cancel-product-order-create-request").body
    response = await client.post(f"{ORDERING}/cancelProductOrder", json=documented, headers=auth)
    assert response.status_code == 201, response.text
    assert response.json()["id"] == "1"
    completed = await client.post(
        f"{ORDERING}/cancelProductOrder",
        json={"productOrder": {"id": "e7dee14c-cd85-495a-9931-ef3c06f2559b"}},
        headers=auth,
    )
    assert completed.status_code == 409
    assert completed.json()["message"] == "Conflict" and "order is completed" in completed.json()["reason"]
    unknown = await client.post(f"{ORDERING}/cancelProductOrder", json={"productOrder": {"id": "x"}}, headers=auth)
    assert unknown.status_code == 404 and unknown.json()["message"] == "No entity found with ID 'x'!"
    no_ref = await client.post(f"{ORDERING}/cancelProductOrder", json={"cancellationReason": "x"}, headers=auth)
    assert no_ref.status_code == 400 and no_ref.json()["code"] == "23"
    assert (await client.get(f"{ORDERING}/cancelProductOrder/99", headers=auth)).status_code == 404


def without(key: str) -> dict[str, Any]:
    body = wholesale_order("RULES-1")
    del body[key]
    return body


TWO_CUSTOMER_IDS = wholesale_order(
    "RULES-2",
    externalIdentifier=[
        {"id": "A", "externalIdentifierType": "customerIdentifier", "owner": "ACME"},
        {"id": "B", "externalIdentifierType": "customerIdentifier", "owner": "ACME"},
    ],
)
NO_BUYER = wholesale_order("RULES-3", relatedParty=[{"id": "x", "role": "user", "@referredType": "organization"}])
UNKNOWN_SPEC = wholesale_order("RULES-4", productOrderSpecification="Upgrade")
TERMINATION_WITHOUT_PRODUCT = wholesale_order(
    "RULES-5",
    productOrderSpecification="Termination",
    productOrderItem=[{"id": "1", "action": "delete", "product": {"productOffering": {"id": "GOC40140084001"}}}],
)


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (without("productOrderSpecification"), "PRO_0001_A", "the productOrderSpecification is mandatory"),
        (without("externalIdentifier"), "PRO_0002_A", "The externalIdentifier is mandatory"),
        (TWO_CUSTOMER_IDS, "PRO_0003_A", "ExternalIdentifier of type CustomerIdentifier is invalid"),
        (UNKNOWN_SPEC, "PRO_0004_A", "The productOrderSpecification [Upgrade] is unknow"),
        (wholesale_order("UW-de76cfa1"), "PRO_0005_A", "The ExternalIdentifier [UW-de76cfa1] already exists"),
        (TERMINATION_WITHOUT_PRODUCT, "PRO_0006_A", "the ProductID is mandatory"),
        (NO_BUYER, "PAR_0002_A", "A buyer is mandatory in relatedParty"),
    ],
)
async def test_business_rules(
    client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any], code: str, message: str
) -> None:
    response = await create(client, auth, body)
    assert response.status_code == 400
    error = response.json()
    assert (error["code"], error["message"], error["@type"]) == (code, message, "Error")
    assert error["reason"]


async def test_external_identifier_must_be_unique(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    assert (await create(client, auth, wholesale_order("DUP-1"))).status_code == 201
    again = await create(client, auth, wholesale_order("DUP-1"))
    assert again.json()["code"] == "PRO_0005_A"


async def test_bad_bodies(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    empty = await client.post(f"{ORDERING}/productOrder", content=b"", headers=auth)
    broken = await client.post(f"{ORDERING}/productOrder", content=b'{"externalIdentifier": [', headers=auth)
    array = await client.post(f"{ORDERING}/productOrder", json=[1, 2], headers=auth)
    assert (empty.status_code, empty.json()["code"], empty.json()["message"]) == (400, "21", "Missing body")
    assert (broken.status_code, broken.json()["code"], broken.json()["message"]) == (400, "22", "Invalid body")
    assert (array.status_code, array.json()["code"]) == (400, "22")
    no_items = await create(client, auth, wholesale_order("NOITEMS", productOrderItem=[]))
    assert (no_items.status_code, no_items.json()["code"], no_items.json()["reason"]) == (400, "23", "productOrderItem")


@pytest.mark.parametrize("api", [ORDERING, INVENTORY])
async def test_hubs(client: httpx.AsyncClient, auth: dict[str, str], api: str) -> None:
    created = await client.post(
        f"{api}/hub", json={"callback": "https://listener.com", "query": "eventType = X"}, headers=auth
    )
    assert created.status_code == 201
    hub = created.json()
    assert set(hub) == {"id", "callback", "query"} and hub["callback"] == "https://listener.com"
    refused = await client.get(f"{api}/hub", headers=auth)
    assert refused.status_code == 405
    assert refused.json() == {
        "code": "61",
        "message": "Method not allowed",
        "reason": "the get method is not available",
        "@type": "Error",
    }
    assert (await client.delete(f"{api}/hub/{hub['id']}", headers=auth)).status_code == 204
    assert (await client.delete(f"{api}/hub/{hub['id']}", headers=auth)).status_code == 404
    bad = await client.post(f"{api}/hub", json={"query": "x"}, headers=auth)
    assert bad.status_code == 400


async def test_wrong_method(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.delete(f"{ORDERING}/productOrder/{DE76}", headers=auth)
    assert response.status_code == 405
    assert response.json()["code"] == "61"
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 4])
async def test_inventory_depth(client: httpx.AsyncClient, auth: dict[str, str], depth: int) -> None:
    root = "2c9180837dba2335017dc33dffc5002a"
    product = (await client.get(f"{INVENTORY}/product/{root}?depth={depth}", headers=auth)).json()

    def levels(node: dict[str, Any]) -> int:
        children = [rel["product"] for rel in node.get("productRelationship") or []]
        expanded = [child for child in children if set(child) - {"id", "href"}]
        return 1 + max((levels(child) for child in expanded), default=0)

    assert levels(product) == min(depth, 3) + 1


@pytest.mark.parametrize("depth", ["x", "5", "-1"])
async def test_inventory_bad_depth(client: httpx.AsyncClient, auth: dict[str, str], depth: str) -> None:
    response = await client.get(f"{INVENTORY}/product/2c9180837dba2335017dc33dffc5002a?depth={depth}", headers=auth)
    assert response.status_code == 400 and response.json()["code"] == "28"


async def test_inventory_not_found(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get(f"{INVENTORY}/product/nope", headers=auth)
    assert response.status_code == 404
    assert response.json() == {
        "code": "60",
        "message": "Resource not found",
        "reason": "Resource not found",
        "@type": "Error",
    }


async def test_state_object_is_exposed(sandbox: SandboxState) -> None:
    assert DE76 in sandbox.wholesale_orders
