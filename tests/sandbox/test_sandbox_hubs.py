"""The sandbox's push side: events POSTed to registered callbacks, filtered by the hub's query, and the faults
that make it as unkind as the real thing (dropped, duplicated, delayed, reordered events; hubs lost)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sandbox_testing import INVENTORY, ORDERING, FakeClock, wholesale_order
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from integrations.sandbox import SandboxState
from integrations.sandbox.hubs import QueryError, hub_matches, parse_hub_query


class Listener:
    """A callback server: what Orange POSTed, in arrival order, and the status it answers."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.status = 204
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> Response:
        self.received.append((request.url.path, await request.json()))
        return Response(status_code=self.status)

    def types(self) -> list[str]:
        return [body["eventType"] for _, body in self.received]


@pytest.fixture
async def listener(sandbox: SandboxState) -> AsyncIterator[Listener]:
    found = Listener()
    sandbox.deliveries.transport = httpx.ASGITransport(app=found.app)
    sandbox.deliveries.tick_seconds = 0.02
    yield found
    await sandbox.deliveries.aclose()


async def hub(client: httpx.AsyncClient, auth: dict[str, str], query: str | None = None, api: str = ORDERING) -> str:
    body: dict[str, Any] = {"callback": "http://listener.test/cb/s3cret"}
    if query is not None:
        body["query"] = query
    created = await client.post(f"{api}/hub", json=body, headers=auth)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def order(client: httpx.AsyncClient, auth: dict[str, str], ext: str = "ORDER-0001") -> dict[str, Any]:
    created = await client.post(f"{ORDERING}/productOrder", json=wholesale_order(ext), headers=auth)
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


async def settled(sandbox: SandboxState) -> None:
    await sandbox.deliveries.idle()


async def test_an_order_created_and_moving_is_pushed_with_its_content(
    client: httpx.AsyncClient, auth: dict[str, str], sandbox: SandboxState, listener: Listener, clock: FakeClock
) -> None:
    await hub(client, auth)
    made = await order(client, auth)
    await settled(sandbox)
    ((path, body),) = listener.received
    assert path == "/cb/s3cret/listener/productOrderCreateEvent"
    assert body["eventType"] == "ProductOrderCreateEvent" and body["event"]["productOrder"]["id"] == made["id"]
    assert body["eventId"] and body["eventTime"].endswith("Z")
    # Time moves and nobody asks: the worker advances the lifecycle and pushes each step.
    clock.advance(5)
    for _ in range(200):
        if len(listener.received) >= 3:
            break
        await asyncio.sleep(0.01)
    await settled(sandbox)
    assert listener.types()[1:] == ["ProductOrderStateChangeEvent", "ProductOrderMilestoneEvent"]
    assert listener.received[1][1]["event"]["productOrder"]["state"] == "inProgress.accepted"
    log = (await client.get("/_sandbox/hubs")).json()
    assert [d["outcome"] for d in log["deliveries"]] == ["delivered"] * 3 and log["pending"] == 0


async def test_the_query_filters_by_event_type_and_content(
    client: httpx.AsyncClient, auth: dict[str, str], sandbox: SandboxState, listener: Listener
) -> None:
    await hub(client, auth, "eventType = ProductOrderErrorMessageEvent")
    made = await order(client, auth)
    await client.post(f"/_sandbox/orders/wholesale/{made['id']}/state", json={"state": "held"})
    await client.post(f"/_sandbox/orders/wholesale/{made['id']}/errors", json={"message": "Adresse inconnue"})
    await settled(sandbox)
    assert listener.types() == ["ProductOrderErrorMessageEvent"]
    assert listener.received[0][1]["event"]["productOrder"]["errorMessage"][0]["message"] == "Adresse inconnue"


def test_hub_queries() -> None:
    event = {"eventType": "ProductOrderStateChangeEvent", "event": {"productOrder": {"state": "completed"}}}
    assert hub_matches(None, event) and hub_matches("", event)
    assert hub_matches("eventType=ProductOrderCreateEvent,ProductOrderStateChangeEvent", event)
    assert not hub_matches("eventType=ProductOrderCreateEvent", event)
    assert hub_matches("eventType=ProductOrderStateChangeEvent&event.productOrder.state=completed", event)
    assert not hub_matches("event.productOrder.state=held", event)
    assert parse_hub_query("eventType = A, B") == [("eventType", frozenset({"A", "B"}))]
    for bad in ("eventType", "=A", "eventType=", "a=b&"):
        with pytest.raises(QueryError):
            parse_hub_query(bad)


async def test_an_unreadable_query_is_refused(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    body = {"callback": "http://x.test", "query": "eventType"}
    refused = await client.post(f"{ORDERING}/hub", json=body, headers=auth)
    assert refused.status_code == 400 and refused.json()["code"] == "24"


async def test_drop_duplicate_delay_and_reorder(
    client: httpx.AsyncClient, auth: dict[str, str], sandbox: SandboxState, listener: Listener
) -> None:
    await hub(client, auth, "eventType=ProductOrderMilestoneEvent")
    made = await order(client, auth)
    url = f"/_sandbox/orders/wholesale/{made['id']}/milestones"

    async def milestones(*names: str) -> None:
        for name in names:
            assert (await client.post(url, json={"message": name})).status_code == 200

    def last_message(body: dict[str, Any]) -> str:
        return str(body["event"]["productOrder"]["milestone"][-1]["message"])

    assert (await client.post("/_sandbox/hubs/faults", json={"mode": "drop"})).status_code == 201
    await milestones("lost")
    await settled(sandbox)
    assert listener.received == []

    await client.post("/_sandbox/hubs/faults", json={"mode": "duplicate"})
    await milestones("twice")
    await settled(sandbox)
    assert [last_message(b) for _, b in listener.received] == ["twice", "twice"]
    assert listener.received[0][1]["eventId"] == listener.received[1][1]["eventId"]

    listener.received.clear()
    await client.post("/_sandbox/hubs/faults", json={"mode": "reorder", "count": 3})
    await milestones("one", "two", "three")
    await settled(sandbox)
    assert [last_message(b) for _, b in listener.received] == ["three", "two", "one"]

    listener.received.clear()
    await client.post("/_sandbox/hubs/faults", json={"mode": "delay", "seconds": 0.3})
    await milestones("late", "on time")
    await settled(sandbox)
    assert [last_message(b) for _, b in listener.received] == ["on time"]
    await sandbox.deliveries.idle(delayed=True)
    assert [last_message(b) for _, b in listener.received] == ["on time", "late"]
    outcomes = [d["outcome"] for d in (await client.get("/_sandbox/hubs")).json()["deliveries"]]
    assert outcomes.count("dropped") == 1


async def test_hub_fault_refusals(client: httpx.AsyncClient) -> None:
    for body in ({"mode": "vanish"}, {"mode": "delay"}, {"mode": "reorder", "count": 1}, {"mode": "drop", "count": 0}):
        assert (await client.post("/_sandbox/hubs/faults", json=body)).status_code == 400


async def test_a_lost_hub_hears_nothing_and_a_failing_callback_loses_the_event(
    client: httpx.AsyncClient, auth: dict[str, str], sandbox: SandboxState, listener: Listener
) -> None:
    await hub(client, auth)
    listener.status = 503
    await order(client, auth, "ORDER-A")
    await settled(sandbox)
    assert len(listener.received) == 1  # tried once, never again
    assert (await client.get("/_sandbox/hubs")).json()["deliveries"][-1]["outcome"] == "refused"
    listener.status = 204
    assert (await client.post("/_sandbox/hubs/lose")).json() == {"lost": 1}
    await order(client, auth, "ORDER-B")
    await settled(sandbox)
    assert len(listener.received) == 1


async def test_cancellation_and_inventory_events(
    client: httpx.AsyncClient, auth: dict[str, str], sandbox: SandboxState, listener: Listener
) -> None:
    await hub(client, auth, "eventType=CancelProductOrderCreateEvent,ProductOrderStateChangeEvent")
    await hub(client, auth, api=INVENTORY)
    made = await order(client, auth)
    ref = {"productOrder": {"id": made["id"]}}
    cancel = await client.post(f"{ORDERING}/cancelProductOrder", json=ref, headers=auth)
    assert cancel.status_code == 201
    product_id = next(iter(sandbox.inventory.keys()))
    changed = await client.post(f"/_sandbox/products/wholesale/{product_id}/status", json={"status": "SUSPENDED"})
    assert changed.status_code == 200
    await settled(sandbox)
    assert sorted(listener.types()) == [
        "CancelProductOrderCreateEvent",
        "ProductOrderStateChangeEvent",
        "ProductStateChangeEvent",
    ]
    product = next(b for _, b in listener.received if b["eventType"] == "ProductStateChangeEvent")
    assert product["event"]["product"]["id"] == product_id and product["event"]["product"]["status"] == "SUSPENDED"
    assert (await client.post("/_sandbox/products/wholesale/nope/status", json={"status": "X"})).status_code == 404


async def test_nothing_is_queued_without_hubs(
    client: httpx.AsyncClient, auth: dict[str, str], sandbox: SandboxState
) -> None:
    await order(client, auth)
    assert (await client.get("/_sandbox/hubs")).json()["pending"] == 0
    assert sandbox.deliveries.log == type(sandbox.deliveries.log)(maxlen=sandbox.deliveries.log.maxlen)
