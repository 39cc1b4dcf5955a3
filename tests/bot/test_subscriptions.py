"""Channel rules end to end: `/orange subscribe` through signed requests, the scan job, the outbox into the
simulator, the sandbox's orders; each matching order watched once, in a thread of its own, never a flood."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from bot_harness import Harness
from sqlalchemy import update
from sqlmodel import Session, col, select
from test_notifier import admin, ask, cycle, slack

import bot.subscriptions as subscriptions
from bot.blocks.subscriptions import (
    ACTION_SUBSCRIPTION_EXISTING,
    ACTION_SUBSCRIPTION_NEW_ONLY,
    ACTION_UNSUBSCRIBE,
    Choice,
    SubscriptionRow,
    subscription_card,
)
from bot.notify.outbox import drain_outbox
from bot.simulator.render import render_message
from storage.enums import OutboxStatus
from storage.models import OutboxMessage, Subscription, SubscriptionOrder, Watch

CHANNEL = "C_GENERAL"


@pytest.fixture(autouse=True)
def quick_roots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Roots at once (the spacing itself is checked in its own test)."""
    monkeypatch.setattr(subscriptions, "ROOT_SPACING", timedelta(0))


async def bulk(h: Harness, count: int, state: str) -> list[str]:
    created = await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": count, "state": state})
    assert created.status_code == 201
    return list(created.json()["ids"])


async def scan(h: Harness) -> subscriptions.ScanStats:
    """The subscriptions job, due now (the tests do not wait for POLL_INTERVAL_SECONDS), then the outbox."""

    def due(s: Session) -> None:
        s.exec(update(Subscription).values(next_scan_at=None))  # type: ignore[call-overload]

    await h.ctx.db(due)
    stats = await subscriptions.scan_due(h.ctx, slack(h), owner="scanner")
    await drain_outbox(h.ctx, slack(h))
    return stats


def rule_watches(h: Harness) -> list[Watch]:
    with Session(h.ctx.engine) as s:
        return list(s.exec(select(Watch).where(col(Watch.subscription_id).is_not(None))).all())


def card(h: Harness) -> dict[str, Any]:
    cards = [m for m in h.fake.channel_messages(CHANNEL) if "made rule" in str(m.get("text"))]
    assert cards, h.fake.channel_messages(CHANNEL)
    return cards[-1]


async def all_sent(h: Harness) -> None:
    """Drain until nothing is owed: the click's own listener sends what it owes too, and a row it holds (or a summary
    waiting for the roots it holds) is skipped by a drain running meanwhile."""
    for _ in range(100):
        await drain_outbox(h.ctx, slack(h))
        if not unsent(h):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"still owed: {[(r.kind, r.status) for r in unsent(h)]}")


def unsent(h: Harness) -> list[OutboxMessage]:
    with Session(h.ctx.engine) as s:
        owed = col(OutboxMessage.status).in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value])
        return list(s.exec(select(OutboxMessage).where(owed)).all())


def _is_root(text: str) -> bool:
    return text.startswith(":eyes: Watching") and "wholesale:" in text


def roots(h: Harness) -> list[dict[str, Any]]:
    return [m for m in h.fake.channel_messages(CHANNEL) if _is_root(str(m.get("text")))]


async def test_a_rule_watches_each_new_matching_order_once_in_a_thread_of_its_own(harness: Harness) -> None:
    h = harness
    before = await bulk(h, 3, "held")  # match already
    answer = await ask(h, "subscribe wholesale state=held")
    assert "Rule #1 is on" in answer, answer
    shown = str(h.user.render(card(h), channel=CHANNEL))
    assert "Watch these too" in shown and "Only new ones" in shown
    assert "orders match already" in shown
    await h.user.click(ACTION_SUBSCRIPTION_NEW_ONLY, user="U_BOB", message=card(h))
    await h.fake.wait_for(lambda: "Only orders that match from now on" in str(h.user.render(card(h))))
    assert (await scan(h)).watched == 0  # only new ones

    new = await bulk(h, 2, "held")
    await bulk(h, 2, "inProgress")  # do not match
    assert (await scan(h)).watched == 2
    watched = {w.order_id for w in rule_watches(h)}
    assert watched == set(new) and not watched & set(before)
    assert len(roots(h)) == 2
    assert (await scan(h)).watched == 0  # once each
    assert len(roots(h)) == 2

    # each one is a normal watch: its changes go to its own thread
    target = next(w for w in rule_watches(h) if w.order_id == new[0])
    assert target.thread_ts is not None
    await admin(h, f"/_sandbox/orders/wholesale/{new[0]}/milestones", {"message": "Site survey done"})
    await cycle(h)
    replies = h.fake.thread(CHANNEL, target.thread_ts)
    assert any("Site survey done" in str(r["text"]) for r in replies), replies


async def test_watch_these_too_takes_the_existing_ones_up_to_the_cap_and_says_so_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    monkeypatch.setattr(h.ctx.settings, "subscription_watch_limit", 3)
    await bulk(h, 5, "held")
    await ask(h, "subscribe wholesale state=held")
    first = card(h)
    await h.user.click(ACTION_SUBSCRIPTION_EXISTING, user="U_BOB", message=first)
    await h.fake.wait_for(lambda: len(rule_watches(h)) == 3, timeout=10)
    await h.fake.wait_for(lambda: "are watched too" in str(h.user.render(card(h))), timeout=10)
    await all_sent(h)
    assert len(roots(h)) == 3

    def cap_notices() -> list[dict[str, Any]]:
        return [m for m in h.fake.channel_messages(CHANNEL) if "its cap" in str(m.get("text"))]

    assert len(cap_notices()) == 1 and "2 more matching orders" in str(cap_notices()[0]["text"])
    await scan(h)
    assert len(cap_notices()) == 1  # said once
    # room again: an order ends, and the next scan takes one of those waiting
    done = rule_watches(h)[0]
    await admin(h, f"/_sandbox/orders/wholesale/{done.order_id}/state", {"state": "completed"})
    await cycle(h)
    await scan(h)
    live = [w for w in rule_watches(h) if w.ended_at is None]
    assert len(live) == 3 and len(rule_watches(h)) == 4
    # a second click (on a copy of the card from before the first) does nothing more
    before = len(h.fake.response_posts())
    await h.user.click(ACTION_SUBSCRIPTION_EXISTING, user="U_CAROL", message=first)
    await h.fake.wait_for_responses(count=before + 1)
    assert "chose already" in str(h.user.render(h.fake.response_posts()[-1].body))


async def test_an_order_watched_by_hand_and_by_a_rule_is_one_thread(harness: Harness) -> None:
    h = harness
    await ask(h, "subscribe wholesale state=held")
    (order_id,) = await bulk(h, 1, "held")
    assert "Watching" in await ask(h, f"watch wholesale:{order_id}")
    assert (await scan(h)).watched == 0
    with Session(h.ctx.engine) as s:
        watches = s.exec(select(Watch).where(col(Watch.order_id) == order_id)).all()
        taken = s.exec(select(SubscriptionOrder).where(col(SubscriptionOrder.order_id) == order_id)).all()
    assert len(watches) == 1 and watches[0].subscription_id is None
    assert [t.watched for t in taken] == [True]  # dealt with: not tried again
    assert sum(1 for m in h.fake.channel_messages(CHANNEL) if order_id in str(m.get("text"))) == 1


async def test_replicas_scanning_at_once_watch_each_order_once(harness: Harness) -> None:
    h = harness
    await ask(h, "subscribe wholesale state=held")
    new = await bulk(h, 6, "held")
    rule = (await h.ctx.db(lambda s: s.exec(select(Subscription)).all()))[0]
    # Two replicas racing past the lease (each scans the rule itself): the database decides per order.
    client = slack(h)
    a, b = await asyncio.gather(subscriptions.scan(h.ctx, client, rule), subscriptions.scan(h.ctx, client, rule))
    assert a.watched + b.watched == 6
    await drain_outbox(h.ctx, client)
    assert sorted(w.order_id for w in rule_watches(h)) == sorted(new)
    assert len(roots(h)) == 6
    # and the scan job leases each rule to one replica per interval
    await h.ctx.db(lambda s: s.exec(update(Subscription).values(next_scan_at=None)))  # type: ignore[call-overload]
    x, y = await asyncio.gather(
        subscriptions.scan_due(h.ctx, client, owner="replica-a"),
        subscriptions.scan_due(h.ctx, client, owner="replica-b"),
    )
    assert x.watched == y.watched == 0


async def test_new_roots_are_spaced_at_slacks_pace(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    monkeypatch.setattr(subscriptions, "ROOT_SPACING", timedelta(seconds=1.1))
    await ask(h, "subscribe wholesale state=held")
    await bulk(h, 4, "held")
    await h.ctx.db(lambda s: s.exec(update(Subscription).values(next_scan_at=None)))  # type: ignore[call-overload]
    await subscriptions.scan_due(h.ctx, slack(h), owner="scanner")
    with Session(h.ctx.engine) as s:
        rows = s.exec(select(OutboxMessage).where(col(OutboxMessage.kind) == "root_post")).all()
    due = sorted(r.next_attempt_at for r in rows)
    assert len(due) == 4
    assert all(later - earlier >= timedelta(seconds=1.09) for earlier, later in zip(due, due[1:], strict=False))
    stats = await drain_outbox(h.ctx, slack(h))
    assert stats.sent == 1  # the others wait their turn
    assert {r.status for r in rows} == {OutboxStatus.PENDING.value}


async def test_listing_and_ending_rules(harness: Harness) -> None:
    h = harness
    await ask(h, "subscribe wholesale state=held")
    await ask(h, "subscribe carrier errors state=inProgress")
    listed = await ask(h, "subscriptions")
    assert "#1" in listed and "#2" in listed and "state=held" in listed and "error messages" in listed
    assert "matching now" in listed and "Unsubscribe" in listed
    assert "Rule #1 ended" in await ask(h, "unsubscribe 1")
    assert "no rule #1" in await ask(h, "unsubscribe 1")
    listing = h.fake.response_posts()[-3].body
    second = next(r for r in await h.ctx.db(lambda s: s.exec(select(Subscription)).all()) if r.number == 2)
    before = len(h.fake.response_posts())
    message = {"type": "message", "ts": "", **listing}
    await h.user.click(ACTION_UNSUBSCRIBE, user="U_BOB", message=message, value=str(second.id))
    await h.fake.wait_for_responses(count=before + 1)
    rules = await h.ctx.db(lambda s: s.exec(select(Subscription)).all())
    assert all(r.ended_at is not None for r in rules)
    assert "no subscription" in await ask(h, "subscriptions")


async def test_bad_rules_are_refused_in_one_line(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    wrong = await ask(h, "subscribe wholesale colour=red")
    assert "cannot be filtered by 'colour='" in wrong and "state=" in wrong
    assert "Did you mean `state=`" in await ask(h, "subscribe wholesale stat=held")
    assert "backend" in await ask(h, "subscribe")
    monkeypatch.setattr(subscriptions, "SCAN_MAX", 2)
    await bulk(h, 3, "held")
    assert "narrow it" in await ask(h, "subscribe wholesale state=held")
    assert await h.ctx.db(lambda s: s.exec(select(Subscription)).all()) == []


async def orange_requests(h: Harness) -> dict[str, int]:
    """What the sandbox answered since the last reset: {"GET /path": n, …} and the "total", tokens included."""
    counts = (await h.admin.get("/_sandbox/requests")).json()
    return {**counts["counts"], "total": counts["total"]}


async def test_a_channel_holds_at_most_its_rules_and_the_next_costs_no_orange_request(harness: Harness) -> None:
    h = harness
    assert h.ctx.settings.subscription_rules_per_channel == 10  # the default
    for n in range(1, 11):
        assert f"Rule #{n} is on" in await ask(h, f"subscribe wholesale state=held{n}")
    await h.admin.post("/_sandbox/requests/reset")
    cards = len(h.fake.channel_messages(CHANNEL))

    refused = await ask(h, "subscribe carrier state=inProgress")
    assert refused == (
        "This channel has 10 live rules, the most it may have (SUBSCRIPTION_RULES_PER_CHANNEL): end one first, "
        "`/orange subscriptions` lists them and `/orange unsubscribe <n>` ends rule n."
    )
    assert (await orange_requests(h))["total"] == 0
    assert len(h.fake.channel_messages(CHANNEL)) == cards
    rules = await h.ctx.db(lambda s: s.exec(select(Subscription)).all())
    assert len(rules) == 10

    # the limit is per channel, and an ended rule makes room
    h.fake.add_channel("C_OTHER")
    assert "Rule #1 is on" in await ask(h, "subscribe wholesale state=held", channel="C_OTHER")
    assert "Rule #3 ended" in await ask(h, "unsubscribe 3")
    assert "Rule #11 is on" in await ask(h, "subscribe carrier state=inProgress")
    assert "the most it may have" in await ask(h, "subscribe carrier state=held")


async def test_a_rule_matching_too_much_costs_one_request(harness: Harness) -> None:
    h = harness
    await bulk(h, subscriptions.SCAN_MAX + 1, "held")
    await ask(h, "orders wholesale")  # the token, fetched once
    await h.admin.post("/_sandbox/requests/reset")

    refused = await ask(h, "subscribe wholesale state=held")
    counts = await orange_requests(h)
    assert counts["total"] == 1, counts
    assert [key for key, n in counts.items() if key != "total"] == [
        "GET /united-way/discover/product-ordering-management/v1/productOrder"
    ]
    assert refused == (
        "2,001 wholesale orders match that rule, over the 2,000 a rule may match at once: narrow it with more filters."
    )
    assert await h.ctx.db(lambda s: s.exec(select(Subscription)).all()) == []


def _card_text(matching: int | None, choice: Choice | None) -> str:
    row = SubscriptionRow(
        number=1,
        backend="wholesale",
        filters=(("state", "held"),),
        errors_only=False,
        matching=matching,
        watched=0,
        live=0,
        cap=50,
        created_by="U_ALICE",
        subscription_id="00000000-0000-0000-0000-000000000001",
        include_existing=False,
    )
    return str(render_message(None, [b.to_dict() for b in subscription_card(row, choice=choice, chosen_by="U_BOB")]))


@pytest.mark.parametrize(
    ("matching", "choice", "says"),
    [
        (None, None, "Some orders match already (the backend did not say how many). Watch them too (at most 50"),
        (1, None, "1 order matches already. Watch it too (at most 50 at a time)?"),
        (37, None, "37 orders match already. Watch them too (at most 50 at a time)?"),
        (None, "existing", "The orders that matched already are watched too (@U_BOB chose)."),
        (0, "existing", "No order matched already (@U_BOB chose)."),
        (1, "existing", "The order that matched already is watched too (@U_BOB chose)."),
        (37, "existing", "The 37 orders that matched already are watched too (@U_BOB chose)."),
    ],
)
def test_the_card_says_how_many_orders_match_already_in_plain_english(
    matching: int | None, choice: Choice | None, says: str
) -> None:
    shown = _card_text(matching, choice)
    assert says in shown, shown
    assert "an unknown number" not in shown and "1 orders" not in shown


async def test_the_card_redrawn_after_watch_these_too_reads_as_a_sentence(harness: Harness) -> None:
    h = harness
    await bulk(h, 2, "held")
    await ask(h, "subscribe wholesale state=held")
    await h.user.click(ACTION_SUBSCRIPTION_EXISTING, user="U_BOB", message=card(h))
    await h.fake.wait_for(lambda: "watched too" in str(h.user.render(card(h))), timeout=10)
    shown = str(h.user.render(card(h)))
    assert "The orders that matched already are watched too" in shown, shown
    assert "The an unknown" not in shown
