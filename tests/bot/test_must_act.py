"""Who must act is told: a reply carrying an opened error message, a jeopardy alert or an information-required state
(`pending`: "requires an action from your side") is also sent to the channel and mentions the watch's creator (the
rule's creator for a rule's watch); everything else stays in the thread, unmentioned; a final state is broadcast as
before, with no mention. End to end: signed requests, the sandbox's admin calls, `run_cycle`, the outbox, FakeSlack."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from bot_harness import Harness, shown
from sqlalchemy import update
from sqlmodel import Session, col, select
from test_notifier import OWNER, W, admin, ask, cycle, due, replies, slack, watch

import bot.subscriptions as subscriptions
from bot.jobs.poll import run_cycle
from bot.notify.outbox import drain_outbox
from storage.columns import utcnow
from storage.enums import OutboxStatus
from storage.models import OutboxMessage, Subscription, Watch

ITEM = "O40140084001"
ORDER = f"/_sandbox/orders/wholesale/{W}"


def broadcast(message: dict[str, Any]) -> bool:
    return message.get("subtype") == "thread_broadcast"


def mentions(message: dict[str, Any]) -> list[str]:
    return re.findall(r"<@([A-Z0-9_]+)>", str(message["text"]))


def sent_to_channel(h: Harness, w: Watch) -> list[dict[str, Any]]:
    """The thread's replies the channel shows too."""
    return [m for m in h.fake.channel_messages(w.channel_id) if m.get("thread_ts") == w.thread_ts != m["ts"]]


def said(h: Harness, w: Watch, words: str) -> dict[str, Any]:
    (found,) = [m for m in replies(h, w) if words in shown(m)]
    return found


async def test_an_opened_error_is_sent_to_the_channel_and_names_the_watcher_a_state_change_is_not(
    harness: Harness,
) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")  # by U_ALICE
    await admin(h, f"{ORDER}/state", {"state": "held"})  # Orange's own issue: nobody else must act
    await admin(h, f"{ORDER}/milestones", {"item": ITEM, "message": "Site survey done"})
    await cycle(h)
    quiet = said(h, w, "Held")
    assert "Site survey done" in shown(quiet)  # one read, one reply
    assert not broadcast(quiet) and mentions(quiet) == [], quiet

    await admin(h, f"{ORDER}/errors", {"item": ITEM, "message": "Rendez-vous à reprendre", "reason": "ORT"})
    await cycle(h)
    error = said(h, w, "Error opened")
    assert broadcast(error) and mentions(error) == ["U_ALICE"], error
    assert str(error["text"]).startswith("<@U_ALICE> ")  # what a phone's notification shows first
    assert "Rendez-vous à reprendre" in str(error["text"])  # and what to act on
    assert [m["ts"] for m in sent_to_channel(h, w)] == [error["ts"]]

    await admin(h, f"{ORDER}/errors/close", {"item": ITEM, "message": "Rendez-vous à reprendre"})
    await admin(h, f"{ORDER}/state", {"state": "completed"})
    await cycle(h)
    final = said(h, w, "is completed")
    assert "Error closed" in shown(final)
    assert broadcast(final) and mentions(final) == []  # as before: broadcast, nobody left to act


async def test_information_required_is_sent_to_the_channel_and_names_the_watcher(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")
    await admin(h, f"{ORDER}/state", {"state": "pending", "item": ITEM})
    await cycle(h)
    pending = said(h, w, f"Item {ITEM}")
    assert "Pending" in shown(pending)
    assert broadcast(pending) and mentions(pending) == ["U_ALICE"], pending

    await admin(h, f"{ORDER}/state", {"state": "inProgress", "item": ITEM})
    await cycle(h)
    (_, back) = [m for m in replies(h, w) if f"Item {ITEM}" in shown(m)]
    assert not broadcast(back) and mentions(back) == []


async def test_a_jeopardy_alert_is_sent_to_the_channel_and_names_the_watcher(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}", user="U_BOB")
    await admin(h, f"{ORDER}/jeopardy", {"item": ITEM, "message": "Date de livraison compromise", "type": "Delay"})
    await cycle(h)
    alert = said(h, w, "Jeopardy alert")
    assert "Date de livraison compromise" in str(alert["text"])  # the notification says it
    assert broadcast(alert) and mentions(alert) == ["U_BOB"], alert


async def test_an_errors_watch_still_sends_its_errors_to_the_channel(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}", errors=True)
    await admin(h, f"{ORDER}/state", {"state": "pending", "item": ITEM})  # not an error: an errors watch says nothing
    await admin(h, f"{ORDER}/errors", {"item": ITEM, "message": "Site fermé"})
    await cycle(h)
    (error,) = replies(h, w)
    assert "Error opened" in str(error["text"]) and "Pending" not in shown(error)
    assert broadcast(error) and mentions(error) == ["U_ALICE"]


async def test_a_rules_watch_names_the_rules_creator(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    monkeypatch.setattr(subscriptions, "ROOT_SPACING", timedelta(0))
    assert "Rule #1 is on" in await ask(h, "subscribe wholesale state=held", user="U_CAROL")
    created = await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 1, "state": "held"})
    (order_id,) = created.json()["ids"]

    def scan_now(s: Session) -> None:
        s.exec(update(Subscription).values(next_scan_at=None))  # type: ignore[call-overload]

    await h.ctx.db(scan_now)
    assert (await subscriptions.scan_due(h.ctx, slack(h), owner="scanner")).watched == 1
    await drain_outbox(h.ctx, slack(h))
    with Session(h.ctx.engine) as s:
        w = s.exec(select(Watch).where(col(Watch.order_id) == order_id)).one()
    assert w.thread_ts is not None
    await cycle(h)  # its first view
    await admin(h, f"/_sandbox/orders/wholesale/{order_id}/errors", {"message": "Rendez-vous à reprendre"})
    await cycle(h)
    error = said(h, w, "Error opened")
    assert broadcast(error) and mentions(error) == ["U_CAROL"], error


async def test_a_broadcast_reply_slack_took_before_answering_500_is_found_not_posted_again(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")
    await admin(h, f"{ORDER}/errors", {"item": ITEM, "message": "Rendez-vous à reprendre", "reason": "ORT"})
    await due(h)
    await run_cycle(h.ctx, owner=OWNER)
    h.fake.inject("chat.postMessage", "internal_error", status=500, performed=True)
    await drain_outbox(h.ctx, slack(h))
    (taken,) = replies(h, w)
    assert broadcast(taken) and mentions(taken) == ["U_ALICE"]

    def now_due(s: Session) -> None:
        s.exec(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))  # type: ignore[call-overload]

    await h.ctx.db(now_due)
    stats = await drain_outbox(h.ctx, slack(h))  # the retry looks in the thread first, and finds the broadcast
    assert stats.recovered == 1
    assert [m["ts"] for m in replies(h, w)] == [taken["ts"]]
    assert [m["ts"] for m in sent_to_channel(h, w)] == [taken["ts"]]
    rows = await h.ctx.db(lambda s: s.exec(select(OutboxMessage).where(col(OutboxMessage.watch_id) == w.id)).all())
    assert rows and all(r.status == OutboxStatus.SENT.value for r in rows)
