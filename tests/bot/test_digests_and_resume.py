"""Digests (now and daily, once across replicas), paused watches that come back, and product watches — through
signed requests, the simulator and the sandbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot_harness import Harness
from sqlalchemy import update
from sqlmodel import Session, col, select
from test_notifier import W, admin, ask, cycle, reload, slack, texts, watch

from bot.blocks.watches import ACTION_RESUME_WATCH
from bot.digests import owe_due_digests
from bot.notify.outbox import drain_outbox
from storage import crud
from storage.models import Approval, DigestSchedule, OutboxMessage, Watch

CHANNEL = "C_GENERAL"
PRODUCT = "2c9004647f69a6da017f6a1c577c0001"  # a seeded wholesale inventory product, ACTIVE


async def test_a_digest_lists_what_needs_attention_with_links_to_the_threads(harness: Harness) -> None:
    h = harness
    assert "Nothing needs attention among 0 watched orders" in await ask(h, "digest")
    w = await watch(h, f"wholesale:{W}")  # seeded with open error messages and an expected date long past
    stuck = await watch(h, "carrier:11")

    def age(s: Session) -> None:
        s.exec(update(Watch).where(col(Watch.id) == stuck.id).values(state_since=datetime.now(UTC) - timedelta(days=9)))  # type: ignore[call-overload]

    await h.ctx.db(age)
    asked = await ask(h, f"cancel wholesale:{W} moved")
    assert "Asked for approval" in asked

    def old_request(s: Session) -> None:
        s.exec(update(Approval).values(created_at=datetime.now(UTC) - timedelta(hours=30)))  # type: ignore[call-overload]

    await h.ctx.db(old_request)
    shown = await ask(h, "digest")
    assert "Open error messages" in shown and W in shown
    assert "Past their expected completion date" in shown
    assert "more than 7 days" in shown and "carrier:11" in shown and "for 9 days" in shown
    assert "Approvals waiting for more than a day" in shown
    assert "thread" in shown and w.thread_ts is not None
    assert "Share in channel" in shown
    # one backend only
    assert "carrier:11" not in await ask(h, "digest wholesale")


async def test_a_daily_digest_is_posted_once_a_day_across_replicas(harness: Harness) -> None:
    h = harness
    assert "Every day at 08:30 (Europe/Paris)" in await ask(h, "digest daily 08:30 Europe/Paris")
    with Session(h.ctx.engine) as s:
        (schedule,) = s.exec(select(DigestSchedule)).all()
    assert (schedule.at_time, schedule.tz) == ("08:30", "Europe/Paris")
    early = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    assert await owe_due_digests(h.ctx, now=early) == []
    on_time = datetime(2026, 12, 3, 7, 31, tzinfo=UTC)
    a, b = await asyncio.gather(owe_due_digests(h.ctx, now=on_time), owe_due_digests(h.ctx, now=on_time))
    assert sorted(a + b) == [CHANNEL]  # two replicas, one digest owed
    await asyncio.gather(drain_outbox(h.ctx, slack(h)), drain_outbox(h.ctx, slack(h)))
    posts = [m for m in h.fake.channel_messages(CHANNEL) if "Nothing needs attention" in str(m.get("text"))]
    assert len(posts) == 1  # an empty digest is one short line
    assert await owe_due_digests(h.ctx, now=on_time + timedelta(hours=5)) == []
    assert await owe_due_digests(h.ctx, now=on_time + timedelta(days=1)) == [CHANNEL]
    await drain_outbox(h.ctx, slack(h))
    posts = [m for m in h.fake.channel_messages(CHANNEL) if "Nothing needs attention" in str(m.get("text"))]
    assert len(posts) == 2
    assert "No more daily digest" in await ask(h, "digest off")
    assert await owe_due_digests(h.ctx, now=on_time + timedelta(days=2)) == []
    assert "not a time zone" in await ask(h, "digest daily 08:30 Mars/Olympus")
    assert "HH:MM" in await ask(h, "digest daily 25:00")


async def test_a_watch_paused_when_the_bot_left_resumes_when_it_is_invited_back(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")
    h.fake.channels[CHANNEL].is_member = False  # the bot was removed from the channel
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    await cycle(h)
    paused = await reload(h, w)
    assert paused.paused_at is not None and "not_in_channel" in str(paused.paused_reason)
    await admin(h, f"/_sandbox/orders/wholesale/{W}/milestones", {"message": "Queued while paused"})
    listed = await ask(h, "watches")
    assert "Paused" in listed and "not_in_channel" in listed and "Resume" in listed

    h.fake.channels[CHANNEL].is_member = True  # invited back
    ack = await h.user.event({"type": "member_joined_channel", "user": "U_BOT", "channel": CHANNEL, "team": "T_SIM"})
    assert ack.status == 200
    await h.fake.wait_for(lambda: reload_sync(h, w).paused_at is None, timeout=10)
    # what it owed goes out at once, from the event's own handler (which runs after the ack: wait until it is done)
    await h.fake.wait_for(lambda: not unsent_sync(h, w), timeout=10)
    assert sum("Held" in t for t in texts(h, w)) == 1
    await cycle(h)  # polled again: what happened while paused follows, in order, once
    await cycle(h)
    shown = texts(h, w)
    assert sum("Held" in t for t in shown) == 1 and sum("Queued while paused" in t for t in shown) == 1, shown
    assert shown.index(next(t for t in shown if "Held" in t)) < shown.index(next(t for t in shown if "Queued" in t))


async def test_the_resume_button_tries_again_at_once(harness: Harness) -> None:
    h = harness
    w = await watch(h, "carrier:11")
    h.fake.inject("chat.postMessage", "channel_not_found", count=1)
    await admin(h, "/_sandbox/orders/carrier/11/state", {"state": "inProgress"})
    await cycle(h)
    assert (await reload(h, w)).paused_at is not None
    await ask(h, "watches")
    listing = h.fake.response_posts()[-1].body
    before = len(h.fake.response_posts())
    await h.user.click(ACTION_RESUME_WATCH, message={"type": "message", "ts": "", **listing})
    await h.fake.wait_for_responses(count=before + 1)
    assert "Resumed" in str(h.user.render(h.fake.response_posts()[-1].body))
    await drain_outbox(h.ctx, slack(h))
    assert (await reload(h, w)).paused_at is None
    assert any("In progress" in t for t in texts(h, w))


async def test_a_product_watch_follows_the_status_in_its_thread(harness: Harness) -> None:
    h = harness
    answer = await ask(h, f"watch product wholesale:{PRODUCT}")
    assert "Watching" in answer and "wholesale:" in answer, answer
    with Session(h.ctx.engine) as s:
        w = s.exec(select(Watch).where(col(Watch.order_id) == PRODUCT)).one()
    assert w.kind == "product" and w.thread_ts is not None
    assert "Watching product" in str(h.fake.message(CHANNEL, w.thread_ts))
    assert "already watched" in await ask(h, f"watch product wholesale:{PRODUCT}")
    h.sandbox.state.sandbox.inventory.get(PRODUCT)["status"] = "suspended"
    await cycle(h)
    assert any("Status:" in t and "Suspended" in t for t in texts(h, w)), texts(h, w)
    await cycle(h)
    assert sum("Suspended" in t for t in texts(h, w)) == 1
    h.sandbox.state.sandbox.inventory.get(PRODUCT)["status"] = "terminated"
    await cycle(h)
    assert "the watch ends here" in texts(h, w)[-1]
    assert (await reload(h, w)).ended_at is not None
    assert "Only carrier and wholesale" in await ask(h, "watch product business:W05VL130721")
    assert "needs a product reference" in await ask(h, "watch product")


def unsent_sync(h: Harness, w: Watch) -> list[OutboxMessage]:
    with Session(h.ctx.engine) as s:
        return crud.unsent_outbox(session=s, watch_id=w.id)


def reload_sync(h: Harness, w: Watch) -> Watch:
    with Session(h.ctx.engine) as s:
        found = s.get(Watch, w.id)
        assert found is not None
        return found
