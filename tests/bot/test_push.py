"""Push from Orange through the bot's real HTTP front: hubs registered at the sandbox, the listener's refusals, and
events that are only hints (forged, replayed, out of order: nothing false, nothing twice)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from bot_harness import Harness
from sqlmodel import Session, select
from test_notifier import W, admin, cycle, texts, watch

from bot import push
from storage.models import HubRegistration

BASE = "http://bot.test"


@pytest.fixture
def pushing(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    monkeypatch.setattr(harness.ctx.settings, "hub_callback_url", BASE + "/")
    return harness


def hubs_at_orange(h: Harness) -> list[dict[str, Any]]:
    state = h.sandbox.state.sandbox
    return [*state.ordering_hubs.values(), *state.inventory_hubs.values()]


def callback(h: Harness, api: str = "ordering") -> str:
    store = h.sandbox.state.sandbox.ordering_hubs if api == "ordering" else h.sandbox.state.sandbox.inventory_hubs
    (hub,) = store.values()
    return str(hub["callback"])


async def post(h: Harness, url: str, body: Any, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=h.web), base_url=BASE) as bot:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = await bot.post(url, content=content, headers={"Content-Type": "application/json"}, **kwargs)
    await push.settle()
    return response


def event(event_type: str, order: dict[str, Any], n: int = 1) -> dict[str, Any]:
    return {
        "eventId": f"ev-{n}",
        "eventTime": "2026-12-03T10:00:00.000Z",
        "eventType": event_type,
        "event": {"productOrder": order},
    }


async def test_hubs_are_registered_once_per_api_and_unregistered(pushing: Harness) -> None:
    h = pushing
    done = await push.ensure_hubs(h.ctx)
    assert done == {"ordering": "registered now", "inventory": "registered now"}
    assert len(hubs_at_orange(h)) == 2
    url = callback(h)
    assert url.startswith(f"{BASE}/orange/hub/") and len(url.rsplit("/", 1)[1]) >= 40
    ordering = next(x for x in hubs_at_orange(h) if x["callback"] == url)
    assert "ProductOrderCreateEvent" in ordering["query"] and "ProductOrderStateChangeEvent" in ordering["query"]
    assert await push.ensure_hubs(h.ctx) == {"ordering": "registered", "inventory": "registered"}
    assert len(hubs_at_orange(h)) == 2  # not twice
    with Session(h.ctx.engine) as s:
        stored = s.exec(select(HubRegistration)).all()
    secret = url.rsplit("/", 1)[1]
    assert all(secret not in (r.secret_digest + r.query + (r.hub_id or "")) for r in stored)  # only its digest
    assert await push.unregister_hubs(h.ctx) == 2
    assert hubs_at_orange(h) == []


async def test_the_listener_refuses_what_it_must(pushing: Harness) -> None:
    h = pushing
    await push.ensure_hubs(h.ctx)
    url = callback(h).removeprefix(BASE)
    assert (
        await post(h, "/orange/hub/not-the-secret", event("ProductOrderStateChangeEvent", {"id": W}))
    ).status_code == 404
    assert (await post(h, url, b"{not json")).status_code == 400
    assert (await post(h, url, b"[1, 2]")).status_code == 400
    big = json.dumps({"eventType": "x", "pad": "x" * (push.MAX_EVENT_BYTES + 10)}).encode()
    assert (await post(h, url, big)).status_code == 413
    assert (await post(h, url, event("ProductOrderStateChangeEvent", {"id": W}))).status_code == 204
    assert (await post(h, url + "/listener/productOrderStateChangeEvent", event("X", {"id": W}))).status_code == 204


async def test_an_event_is_a_hint_forged_replayed_and_out_of_order_post_nothing_false_or_twice(
    pushing: Harness,
) -> None:
    h = pushing
    await push.ensure_hubs(h.ctx)
    url = callback(h).removeprefix(BASE)
    w = await watch(h, f"wholesale:{W}")
    # forged: says completed; Orange says in progress: nothing is posted
    forged = event("ProductOrderStateChangeEvent", {"id": W, "state": "completed"})
    assert (await post(h, url, forged)).status_code == 204
    assert texts(h, w) == []
    # the order really moves; the event (whatever it claims) makes the bot read it at once, and post once
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    stale = event("ProductOrderStateChangeEvent", {"id": W, "state": "inProgress"}, n=2)
    await post(h, url, stale)
    assert sum("Held" in t for t in texts(h, w)) == 1, texts(h, w)
    # replayed, duplicated, and older ones delivered late change nothing more
    for _ in range(3):
        await post(h, url, stale)
    await post(h, url, forged)
    await cycle(h)  # and the scheduled poll agrees
    assert sum("Held" in t for t in texts(h, w)) == 1
    assert not any("Completed" in t for t in texts(h, w))
    with Session(h.ctx.engine) as s:
        (ordering,) = [r for r in s.exec(select(HubRegistration)).all() if r.api == "ordering"]
    assert ordering.last_event_at is not None


async def test_push_is_registered_again_when_polling_keeps_finding_what_it_missed(pushing: Harness) -> None:
    h = pushing
    await push.ensure_hubs(h.ctx)
    first = callback(h)
    w = await watch(h, f"wholesale:{W}")
    health = push.HubWatch()
    h.sandbox.state.sandbox.ordering_hubs.records.clear()  # Orange lost the hub, and says nothing
    for n, state in enumerate(["held", "inProgress"]):
        await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": state})
        await cycle(h)
        renewed = await health.after_cycle(h.ctx, wholesale_events=1)
        assert renewed is (n == 1)
    assert len(texts(h, w)) == 2  # polling caught both changes meanwhile
    assert callback(h) != first  # a new hub, with a new secret
    assert (
        await post(h, first.removeprefix(BASE), event("ProductOrderStateChangeEvent", {"id": W}))
    ).status_code == 404
    # a single quiet cycle is not a lost hub
    assert not await health.after_cycle(h.ctx, wholesale_events=1)
    assert not await health.after_cycle(h.ctx, wholesale_events=0)
