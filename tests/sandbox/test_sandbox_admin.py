"""The ``/_sandbox`` admin API: order state, errors, milestones, faults, counters, bulk, clock."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sandbox_testing import BUSINESS, CARRIER, DE76, ORDERING, START, FakeClock, get_token, wholesale_order

import integrations.sandbox.app as sandbox_app
from integrations.sandbox import SandboxState, create_app
from integrations.sandbox.state import Config

QUOTES = f"{CARRIER}/quoteManagement/v1/quote"


async def test_set_order_and_item_state(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post(
        f"/_sandbox/orders/wholesale/{DE76}/state", json={"state": "held", "item": "O40140084001"}
    )
    assert response.status_code == 200
    item = (await client.get(f"{ORDERING}/productOrder/{DE76}/productOrderItem/O40140084001", headers=auth)).json()
    assert item["state"] == "held"
    await client.post(f"/_sandbox/orders/wholesale/{DE76}/state", json={"state": "completed", "cascade": True})
    order = (await client.get(f"{ORDERING}/productOrder/{DE76}", headers=auth)).json()
    assert order["state"] == "completed"
    assert {item["state"] for item in order["productOrderItem"]} == {"completed"}
    carrier = await client.post("/_sandbox/orders/carrier/11/state", json={"state": "inProgress"})
    assert carrier.json()["state"] == "inProgress"
    listed = (await client.get(f"{CARRIER}/productOrderManagement/v1/productOrder?id=11", headers=auth)).json()
    assert listed[0]["state"] == "inProgress"
    business = await client.post("/_sandbox/orders/business/W05VL130721/state", json={"state": "DELIVERY"})
    assert business.json()["step"] == "DELIVERY"


async def test_set_state_pins_the_lifecycle(client: httpx.AsyncClient, auth: dict[str, str], clock: FakeClock) -> None:
    order = (await client.post(f"{ORDERING}/productOrder", json=wholesale_order(), headers=auth)).json()
    clock.advance(5)
    await client.post(f"/_sandbox/orders/wholesale/{order['id']}/state", json={"state": "failed"})
    clock.advance(60)
    current = (await client.get(f"{ORDERING}/productOrder/{order['id']}", headers=auth)).json()
    assert current["state"] == "failed"
    assert current["productOrderItem"][0]["state"] == "inProgress.accepted"


async def test_errors_open_and_close(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    url = f"/_sandbox/orders/wholesale/{DE76}"
    opened = await client.post(
        f"{url}/errors", json={"item": "O40140084008", "message": "PTO introuvable", "reason": "ORT"}
    )
    assert opened.status_code == 200
    item = (await client.get(f"{ORDERING}/productOrder/{DE76}/productOrderItem/O40140084008", headers=auth)).json()
    assert item["errorMessage"] == [
        {
            "message": "PTO introuvable",
            "reason": "ORT",
            "status": "opened",
            "timestamp": "2024-05-01T08:00:00.000Z",
            "@type": "ErrorMessage",
        }
    ]
    closed = await client.post(f"{url}/errors/close", json={"item": "O40140084008", "message": "PTO introuvable"})
    assert closed.status_code == 200
    item = (await client.get(f"{ORDERING}/productOrder/{DE76}/productOrderItem/O40140084008", headers=auth)).json()
    assert item["errorMessage"][0]["status"] == "closed"
    again = await client.post(f"{url}/errors/close", json={"item": "O40140084008", "message": "PTO introuvable"})
    assert again.status_code == 404
    # The documented re-opened message closes the latest opened entry.
    await client.post(f"{url}/errors/close", json={"item": "O40140084005", "message": "Rendez-vous à reprendre"})
    statuses = [
        entry["status"]
        for entry in (
            await client.get(f"{ORDERING}/productOrder/{DE76}/productOrderItem/O40140084005", headers=auth)
        ).json()["errorMessage"]
    ]
    assert statuses == ["closed", "opened", "closed"]


async def test_milestones(client: httpx.AsyncClient, clock: FakeClock) -> None:
    clock.advance(90)
    response = await client.post(
        "/_sandbox/orders/carrier/11/milestones",
        json={"item": "2", "name": "ENNI", "message": "Port configured", "description": "The ENNI port is ready"},
    )
    milestone = response.json()["productOrderItem"][1]["milestone"][-1]
    assert milestone == {
        "description": "The ENNI port is ready",
        "message": "Port configured",
        "milestoneDate": "2024-05-01T08:01:30Z",
        "name": "ENNI",
        "status": "completed",
        "@type": "Milestone",
    }


@pytest.mark.parametrize(
    ("url", "body", "status"),
    [
        ("/_sandbox/orders/nope/1/state", {"state": "x"}, 404),
        ("/_sandbox/orders/carrier/404/state", {"state": "x"}, 404),
        ("/_sandbox/orders/carrier/11/state", {}, 400),
        ("/_sandbox/orders/carrier/11/state", {"state": "x", "item": "nope"}, 404),
        ("/_sandbox/orders/carrier/11/errors", {"item": "1"}, 400),
        ("/_sandbox/faults", {"path": "(", "status": 500}, 400),
        ("/_sandbox/faults", {"path": "x"}, 400),
        ("/_sandbox/faults", {"path": "x", "status": 99}, 400),
        ("/_sandbox/faults", {"path": "x", "status": 500, "count": 0}, 400),
        ("/_sandbox/bulk", {"backend": "mars", "count": 1}, 400),
        ("/_sandbox/advance", {"seconds": -1}, 400),
        ("/_sandbox/nothing", {}, 404),
    ],
)
async def test_admin_refuses_bad_input(client: httpx.AsyncClient, url: str, body: dict[str, Any], status: int) -> None:
    response = await client.post(url, json=body)
    assert response.status_code == status
    assert "error" in response.json()


async def test_admin_bad_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/_sandbox/faults", content=b"{oops")
    assert response.status_code == 400


async def test_fault_count_then_recovery(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = await client.post(
        "/_sandbox/faults",
        json={
            "path": "/quoteManagement/",
            "status": 503,
            "body": {"code": 5, "message": "down"},
            "count": 2,
            "headers": {"Retry-After": "1"},
        },
    )
    assert created.status_code == 201 and created.json()["id"]
    first = await client.get(QUOTES, headers=auth)
    second = await client.get(QUOTES, headers=auth)
    third = await client.get(QUOTES, headers=auth)
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
    assert first.json() == {"code": 5, "message": "down"} and first.headers["Retry-After"] == "1"
    assert (await client.get("/_sandbox/faults")).json() == []


async def test_fault_forever_method_and_malformed_body(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await client.post(
        "/_sandbox/faults",
        json={"path": "productOrder$", "method": "POST", "status": 200, "body": '{"id": ', "count": -1},
    )
    for _ in range(3):
        response = await client.post(f"{ORDERING}/productOrder", json=wholesale_order(), headers=auth)
        assert response.status_code == 200 and response.text == '{"id": '
        assert response.headers["content-type"].startswith("application/json")
    assert (await client.get(f"{ORDERING}/productOrder", headers=auth)).status_code == 200
    listed = (await client.get("/_sandbox/faults")).json()
    assert listed[0]["hits"] == 3 and listed[0]["count"] == -1
    assert (await client.delete("/_sandbox/faults")).json() == {"removed": 1}
    assert (await client.post(f"{ORDERING}/productOrder", json=wholesale_order(), headers=auth)).status_code == 201


async def test_fault_can_hit_the_token_endpoint(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"path": "^/oauth/", "status": 500, "body": None})
    failed = await client.post("/oauth/v3/token", data={"grant_type": "client_credentials"})
    assert failed.status_code == 500 and failed.content == b""
    assert await get_token(client)


async def test_latency_fault_and_global_latency(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(sandbox_app, "sleep", fake_sleep)
    app = create_app(clock=FakeClock(), latency=0.05, start=START)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
        headers = {"Authorization": f"Bearer {await get_token(client)}"}
        await client.post("/_sandbox/faults", json={"path": "/quote", "latency": 2.5})
        assert (await client.get(QUOTES, headers=headers)).status_code == 200
        await client.get("/_sandbox/health")
    assert waits == [0.05, 0.05, 2.5]


async def test_reset_goes_back_to_the_seed(
    client: httpx.AsyncClient, auth: dict[str, str], sandbox: SandboxState
) -> None:
    created = (await client.post(f"{ORDERING}/productOrder", json=wholesale_order(), headers=auth)).json()
    await client.post("/_sandbox/orders/carrier/11/state", json={"state": "failed"})
    await client.post("/_sandbox/faults", json={"path": "nothing", "status": 500, "count": -1})
    assert (await client.post("/_sandbox/reset")).status_code == 200
    assert (await client.get(f"{ORDERING}/productOrder/{created['id']}", headers=auth)).status_code == 404
    assert (await client.get(f"{CARRIER}/productOrderManagement/v1/productOrder/11", headers=auth)).json()[
        "state"
    ] == "pending"
    assert sandbox.faults == []
    again = await client.post(f"{ORDERING}/productOrder", json=wholesale_order(), headers=auth)
    assert again.status_code == 201  # the external id is free again


async def test_request_counts(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await client.post("/_sandbox/requests/reset")
    for ident in ("11", "9"):
        await client.get(f"{CARRIER}/productOrderManagement/v1/productOrder/{ident}", headers=auth)
    await client.get(f"{BUSINESS}/requests", headers=auth)
    await client.get("/nowhere", headers=auth)
    snapshot = (await client.get("/_sandbox/requests")).json()
    assert snapshot["counts"] == {
        "GET /internationalcarriers/mefApi/sonata/productOrderManagement/v1/productOrder/{id}": 2,
        "GET /ordering/b2b/v2/requests": 1,
        "GET /nowhere": 1,
    }
    assert snapshot["total"] == 4
    cleared = (await client.post("/_sandbox/requests/reset")).json()
    assert cleared == {"counts": {}, "token_requests": {}, "total": 0}


async def test_bulk_is_fast_and_indexed(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    started = time.perf_counter()
    created = (await client.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 10_000})).json()
    assert created["count"] == 10_000 and len(set(created["ids"])) == 10_000
    wanted = [created["ids"][9_999], created["ids"][17], created["ids"][5_000]]
    response = await client.get(f"{ORDERING}/productOrder?id={','.join(wanted)}&fields=state", headers=auth)
    assert sorted(item["id"] for item in response.json()) == sorted(wanted)
    assert {item["state"] for item in response.json()} == {"acknowledged"}
    assert time.perf_counter() - started < 5
    carrier = (await client.post("/_sandbox/bulk", json={"backend": "carrier", "count": 3, "state": "pending"})).json()
    assert carrier["ids"] == [15, 16, 17]
    business = (await client.post("/_sandbox/bulk", json={"backend": "business", "count": 2})).json()
    found = await client.get(f"{BUSINESS}/requests/{business['ids'][1]}", headers=auth)
    assert found.status_code == 200


async def test_bulk_orders_follow_the_lifecycle(
    client: httpx.AsyncClient, auth: dict[str, str], clock: FakeClock
) -> None:
    created = (await client.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 500})).json()
    clock.advance(15)
    response = await client.get(f"{ORDERING}/productOrder?state=completed&description=Bulk order 250", headers=auth)
    assert response.headers["X-Total-Count"] == "1"
    assert response.json()[0]["id"] in created["ids"]


async def test_advance_moves_the_sandbox_clock(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    order = (await client.post(f"{ORDERING}/productOrder", json=wholesale_order(), headers=auth)).json()
    moved = (await client.post("/_sandbox/advance", json={"seconds": 10})).json()
    assert moved["offset"] == 10 and moved["now"] == "2024-05-01T08:00:10.000Z"
    current = (await client.get(f"{ORDERING}/productOrder/{order['id']}", headers=auth)).json()
    assert current["state"] == "inProgress"


async def test_health_and_raw_order(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_sandbox/health")).json()["ok"] is True
    raw = await client.get(f"/_sandbox/orders/wholesale/{DE76}")
    assert raw.json()["id"] == DE76
    wrong = await client.delete("/_sandbox/reset")
    assert wrong.status_code == 405


def test_the_state_is_seeded_by_whoever_builds_it_and_again_on_reset() -> None:
    seeded: list[SandboxState] = []

    def seed(state: SandboxState) -> None:
        seeded.append(state)
        state.carrier_orders.put({"id": "7", "state": "acknowledged"})

    state = SandboxState(config=Config(), seed=seed)
    state.carrier_orders.put({"id": "8", "state": "acknowledged"})
    state.reset()
    assert seeded == [state, state]
    assert sorted(state.carrier_orders.keys()) == ["7"] and state.next_carrier_order_id == 8
    assert list(SandboxState(config=Config()).carrier_orders.keys()) == []


async def test_unseeded_sandbox_starts_empty() -> None:
    app = create_app(seed=False, start=START)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
        headers = {"Authorization": f"Bearer {await get_token(client)}", "X-API-Key": "k"}
        for url in (f"{ORDERING}/productOrder", f"{BUSINESS}/requests", QUOTES):
            response = await client.get(url, headers=headers)
            assert response.json() == [] and response.headers["X-Total-Count"] == "0"
        created = await client.post("/_sandbox/bulk", json={"backend": "carrier", "count": 1})
        assert created.json()["ids"] == [1]


CARRIER_ORDERS = f"{CARRIER}/productOrderManagement/v1/productOrder"
EVPL_ORDER = {
    "externalId": "ob-late",
    "productOrderItem": [
        {
            "id": "1",
            "action": "add",
            "product": {
                "productSpecification": {"id": "TransitELine"},
                "productConfiguration": {"@type": "EVPL", "bandwidth": 10, "classOfService": "GUARANTEED"},
            },
        }
    ],
}


async def test_a_fault_after_the_work_creates_the_order_and_answers_the_fault(
    client: httpx.AsyncClient, auth: dict[str, str], sandbox: SandboxState
) -> None:
    before = len(sandbox.carrier_orders)
    fault = {"path": "productOrder$", "method": "POST", "status": 502, "body": {"code": 5}, "after": True}
    assert (await client.post("/_sandbox/faults", json=fault)).status_code == 201
    response = await client.post(CARRIER_ORDERS, json=EVPL_ORDER, headers=auth)
    assert response.status_code == 502 and response.json() == {"code": 5}
    assert len(sandbox.carrier_orders) == before + 1  # Orange has it, though its gateway said 502
    listed = (await client.get(CARRIER_ORDERS, params={"externalId": "ob-late"}, headers=auth)).json()
    assert len(listed) == 1
    bad = await client.post("/_sandbox/faults", json={**fault, "after": "yes"})
    assert bad.status_code == 400 and "after" in bad.json()["error"]


async def test_late_indexing_hides_new_orders_from_lists_until_the_delay_passed(
    client: httpx.AsyncClient, auth: dict[str, str], clock: FakeClock
) -> None:
    assert (await client.post("/_sandbox/indexing", json={"delay": 30})).json() == {"index_delay": 30.0}
    created = (await client.post(CARRIER_ORDERS, json=EVPL_ORDER, headers=auth)).json()
    by_external = {"externalId": "ob-late"}
    assert (await client.get(CARRIER_ORDERS, params=by_external, headers=auth)).json() == []
    assert (await client.get(f"{CARRIER_ORDERS}/{created['id']}", headers=auth)).status_code == 200  # a GET finds it
    wholesale = (await client.post(f"{ORDERING}/productOrder", json=wholesale_order(), headers=auth)).json()
    assert (await client.get(f"{ORDERING}/productOrder", params={"id": wholesale["id"]}, headers=auth)).json() == []
    clock.advance(31)
    assert [o["id"] for o in (await client.get(CARRIER_ORDERS, params=by_external, headers=auth)).json()] == [
        created["id"]
    ]
    listed = (await client.get(f"{ORDERING}/productOrder", params={"id": wholesale["id"]}, headers=auth)).json()
    assert [o["id"] for o in listed] == [wholesale["id"]]
    assert (await client.post("/_sandbox/indexing", json={"delay": -1})).status_code == 400
