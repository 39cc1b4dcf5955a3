"""Push end to end: hubs registered at the sandbox, which POSTs its events to the bot's real HTTP front (the
listener), the bot re-reads what they name and posts through the simulator. No poll runs unless a test says so:
what reaches a thread got there by push. The sandbox's faults lose, repeat, hold back and reorder events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from bot_harness import Harness
from sqlmodel import col, select
from test_notifier import W, admin, ask, cycle, slack, texts, watch

import bot.subscriptions as subscriptions
from bot import push
from storage.models import Watch

CHANNEL = "C_GENERAL"
PRODUCT = "2c9004647f69a6da017f6a1c577c0001"  # a seeded wholesale inventory product, ACTIVE


@pytest.fixture
async def pushed(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    """The bot with HUB_CALLBACK_URL set and hubs registered; the sandbox delivers into the bot's web app."""
    h = harness
    monkeypatch.setattr(h.ctx.settings, "hub_callback_url", "http://bot.test/")
    monkeypatch.setattr(subscriptions, "ROOT_SPACING", timedelta(0))
    deliveries = h.sandbox.state.sandbox.deliveries
    deliveries.transport = httpx.ASGITransport(app=h.web)
    deliveries.tick_seconds = 0.02
    assert await push.ensure_hubs(h.ctx) == {"ordering": "registered now", "inventory": "registered now"}
    yield h
    await deliveries.aclose()
    await push.settle()


async def pushed_through(h: Harness, *, delayed: bool = False) -> list[dict[str, Any]]:
    """Wait for every due event (with `delayed`, the held-back ones too) to be delivered and handled; what the
    sandbox says became of each."""
    deliveries = h.sandbox.state.sandbox.deliveries
    await deliveries.idle(delayed=delayed)
    await push.settle()
    return list(deliveries.log)


async def fault(h: Harness, body: dict[str, Any]) -> None:
    await admin(h, "/_sandbox/hubs/faults", body)


def count(h: Harness, w: Watch, words: str) -> int:
    return sum(words in t for t in texts(h, w))


async def test_a_new_order_a_rule_matches_gets_its_thread_from_the_create_event(pushed: Harness) -> None:
    h = pushed
    assert "Rule #1 is on" in await ask(h, "subscribe wholesale state=held")
    created = await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 2, "state": "held"})
    await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 1, "state": "inProgress"})
    new = set(created.json()["ids"])
    log = await pushed_through(h)
    assert [d["eventType"] for d in log].count("ProductOrderCreateEvent") == 3
    roots = [
        m
        for m in h.fake.channel_messages(CHANNEL)
        if "Watching" in str(m.get("text")) and "wholesale:" in str(m.get("text"))
    ]
    assert {next(i for i in new if i in str(m["text"])) for m in roots} == new  # the two that match, no scan
    assert len(roots) == 2
    # the rule's scan (reconciliation) finds nothing more to do
    assert (await subscriptions.scan_due(h.ctx, slack(h), owner="scanner")).watched == 0


async def test_changes_are_pushed_into_the_thread_once_even_when_events_repeat(pushed: Harness) -> None:
    h = pushed
    w = await watch(h, f"wholesale:{W}")
    await fault(h, {"mode": "duplicate", "count": 2})
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    log = await pushed_through(h)
    assert [d["eventType"] for d in log[-2:]] == ["ProductOrderStateChangeEvent"] * 2  # sent twice
    assert count(h, w, "Held") == 1, texts(h, w)
    await admin(h, f"/_sandbox/orders/wholesale/{W}/errors", {"message": "Adresse introuvable"})
    await pushed_through(h)
    assert count(h, w, "Adresse introuvable") == 1, texts(h, w)
    await cycle(h)  # the scheduled poll agrees: nothing new
    assert count(h, w, "Held") == 1 and count(h, w, "Adresse introuvable") == 1


async def test_reordered_events_post_what_orange_says_now_and_nothing_stale(pushed: Harness) -> None:
    h = pushed
    w = await watch(h, f"wholesale:{W}")
    await fault(h, {"mode": "reorder", "count": 2})
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "pending"})
    log = await pushed_through(h)
    assert [d["state"] for d in log[-2:]] == ["pending", "held"]  # delivered newest first
    shown = texts(h, w)
    assert len(shown) == 1 and "Pending" in shown[0], shown  # the older event, arriving last, adds nothing
    assert "Held" not in shown[0]


async def test_a_dropped_event_is_caught_by_the_poll_and_a_late_one_adds_nothing(pushed: Harness) -> None:
    h = pushed
    w = await watch(h, f"wholesale:{W}")
    await fault(h, {"mode": "drop"})
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    await pushed_through(h)
    assert texts(h, w) == []  # Orange lost it
    await cycle(h)
    assert count(h, w, "Held") == 1
    await fault(h, {"mode": "delay", "seconds": 0.2})
    await admin(h, f"/_sandbox/orders/wholesale/{W}/milestones", {"message": "Rendez-vous fixé"})
    await cycle(h)  # the poll gets there first
    log = await pushed_through(h, delayed=True)
    assert log[-1]["outcome"] == "delivered"
    assert count(h, w, "Rendez-vous fixé") == 1, texts(h, w)


async def test_a_hub_orange_lost_is_registered_again_and_pushes_again(pushed: Harness) -> None:
    h = pushed
    w = await watch(h, f"wholesale:{W}")
    assert (await h.admin.post("/_sandbox/hubs/lose")).json() == {"lost": 2}
    health = push.HubWatch()
    for state in ("held", "inProgress"):
        await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": state})
        await pushed_through(h)
        await cycle(h)  # only the poll sees it
        await health.after_cycle(h.ctx, wholesale_events=1)
    shown = texts(h, w)
    assert len(shown) == 2 and "Held" in shown[0] and "In progress" in shown[1], shown
    hubs = (await h.admin.get("/_sandbox/hubs")).json()
    assert len(hubs["ordering"]) == 1 and len(hubs["inventory"]) == 1  # registered again
    await admin(h, f"/_sandbox/orders/wholesale/{W}/errors", {"message": "Câble coupé"})
    await pushed_through(h)
    assert count(h, w, "Câble coupé") == 1  # pushed again, no poll


async def test_a_product_watch_hears_the_inventory_hub(pushed: Harness) -> None:
    h = pushed
    assert "Watching" in await ask(h, f"watch product wholesale:{PRODUCT}")
    w = await h.ctx.db(lambda s: s.exec(select(Watch).where(col(Watch.kind) == "product")).one())
    await admin(h, f"/_sandbox/products/wholesale/{PRODUCT}/status", {"status": "SUSPENDED"})
    log = await pushed_through(h)
    assert log[-1]["eventType"] == "ProductStateChangeEvent" and log[-1]["outcome"] == "delivered"
    assert any("Suspended" in t for t in texts(h, w)), texts(h, w)
