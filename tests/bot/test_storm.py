"""A storm of changes in one channel drains at Slack's pace (one post a second per channel), in order per order,
without a 429; a 429 holds the channel for every lane; a storm in one channel does not hold up another.

The outbox's pacer and the simulator's rate limit share one virtual clock (the pacer's sleep advances it), and so
does the notifier's clock: the 200-second storm takes a few real seconds. The changes are owed through
`bot.notify.owe.Owed` directly (200 sandbox orders would take longer to build than the rest of the test).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.notify.diff import Event, EventKind
from bot.notify.outbox import drain_outbox, send_outbox
from bot.notify.owe import Owed
from bot.notify.pace import ChannelPacer
from bot.simulator import Call, Channel
from bot.simulator.rate import PostRate
from bot.simulator.team import TEAM_ID
from integrations.states import OrderState
from integrations.views import OrderView
from storage import crud
from storage.columns import utcnow
from storage.models import Watch
from tests.bot.bot_harness import TOKEN, Harness

STORM = 200


class Virtual:
    """Seconds that pass only when someone sleeps: the pacer's sleep, shared with the simulator's rate limit."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.base = utcnow() + timedelta(minutes=1)  # after every row the test owes (they are stamped by the wall)

    def now(self) -> float:
        return self.seconds

    def utc(self) -> datetime:
        return self.base + timedelta(seconds=self.seconds)

    async def sleep(self, seconds: float) -> None:
        self.seconds += max(seconds, 0.0)
        await asyncio.sleep(0)


@pytest.fixture
def virtual(harness: Harness) -> Virtual:
    clock = Virtual()
    harness.ctx.clock = clock.utc
    harness.ctx.pacer = ChannelPacer(clock=clock.now, sleep=clock.sleep)
    return clock


def slack(h: Harness) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=h.fake.api_url)


async def watches(h: Harness, channel: str, count: int) -> list[Watch]:
    """`count` watched orders in `channel`, each with its thread root (posted before the limit is on)."""
    h.fake.channels.setdefault(channel, Channel(channel, channel.lower()))
    client = slack(h)
    h.fake.set_post_rate(None)
    roots = [(await client.chat_postMessage(channel=channel, text=f"order {i}"))["ts"] for i in range(count)]

    def work(session: Session) -> list[Watch]:
        made = []
        for i, ts in enumerate(roots):
            watch, _ = crud.create_watch(
                session=session,
                team_id=TEAM_ID,
                channel_id=channel,
                backend="wholesale",
                order_id=f"{channel}-{i:03d}",
                created_by="U_ALICE",
                thread_ts=str(ts),
            )
            made.append(watch)
        return made

    return await h.ctx.db(work)


def change(watch: Watch, session: Session, *, to: OrderState = OrderState.in_progress) -> None:
    """One read of the order that saw it move: a change set, then the root's edit."""
    reference = f"wholesale:{watch.order_id}"
    view = OrderView(backend="wholesale", id=watch.order_id, reference=reference, state=to)
    event = Event(
        kind=EventKind.order_state,
        order_ref=reference,
        old=OrderState.acknowledged,
        new=to,
        fingerprint=f"{reference}:{to}",
    )
    owed = Owed(session, watch)
    assert owed.changes([event], view)
    owed.root(view, transitions={"order": 1})


async def storm(h: Harness, chosen: list[Watch]) -> None:
    def work(session: Session) -> None:
        for watch in chosen:
            change(watch, session)

    await h.ctx.db(work)


def limit_on(h: Harness, virtual: Virtual) -> None:
    h.fake.clock = virtual.now
    h.fake.set_post_rate(PostRate())


def thread_posts(h: Harness, channel: str) -> list[Call]:
    return [
        c
        for c in h.fake.calls_to("chat.postMessage")
        if c.params.get("channel") == channel and c.params.get("thread_ts")
    ]


async def test_a_storm_on_200_orders_drains_at_one_post_a_second_without_a_429_and_in_order(
    harness: Harness, virtual: Virtual
) -> None:
    h = harness
    watched = await watches(h, "C_STORM", STORM)
    limit_on(h, virtual)
    await storm(h, watched)
    landed: dict[str, float] = {}
    unsubscribe = h.fake.subscribe(
        lambda e: (
            landed.setdefault(str(e.ts), virtual.now()) if e.kind == "message" and e.channel == "C_STORM" else None
        )
    )

    stats = await drain_outbox(h.ctx, slack(h))
    unsubscribe()

    assert h.fake.throttled == 0
    assert stats.errors == [] and stats.retried == 0 and stats.dead == 0
    posts = thread_posts(h, "C_STORM")
    assert len(posts) == STORM and all(c.status == 200 for c in posts)
    assert {c.params["thread_ts"] for c in posts} == {w.thread_ts for w in watched}
    # each order's rows in order: its reply, then its root's edit
    calls = [c for c in h.fake.calls if c.method in ("chat.postMessage", "chat.update") and c.status == 200]
    for watch in watched:
        mine = [c.method for c in calls if watch.thread_ts in (c.params.get("thread_ts"), c.params.get("ts"))]
        assert mine == ["chat.postMessage", "chat.update"], (watch.order_id, mine)
    # one post a second: the last lands about 200 s after the first
    times = sorted(landed.values())
    assert len(times) == STORM
    assert STORM - 5 <= times[-1] - times[0] <= STORM + 5, times[-1] - times[0]


async def test_a_429_holds_the_channel_for_its_retry_after_for_every_lane(harness: Harness, virtual: Virtual) -> None:
    h = harness
    watched = await watches(h, "C_HOLD", 3)
    limit_on(h, virtual)
    await storm(h, watched)
    h.fake.inject("chat.postMessage", "ratelimited", retry_after=30)  # another app of the workspace spent it

    first = await send_outbox(h.ctx, slack(h))

    # the first lane's post met the 429; the other lanes of the channel waited out the 30 s before posting
    assert first.retried == 1 and first.errors == ["ratelimited"]
    posts = thread_posts(h, "C_HOLD")
    assert [c.status for c in posts] == [429, 200, 200]
    assert virtual.now() >= 30
    assert h.fake.throttled == 0
    # the first lane's row waits as long, then goes
    virtual.seconds = max(virtual.seconds, 31.0)
    await drain_outbox(h.ctx, slack(h))
    assert [c.status for c in thread_posts(h, "C_HOLD")] == [429, 200, 200, 200]
    assert {c.params["thread_ts"] for c in thread_posts(h, "C_HOLD") if c.status == 200} == {
        w.thread_ts for w in watched
    }
    assert h.fake.throttled == 0


async def test_a_storm_in_one_channel_does_not_hold_up_another(harness: Harness, virtual: Virtual) -> None:
    h = harness
    stormy = await watches(h, "C_STORM", 30)
    quiet = await watches(h, "C_QUIET", 1)
    limit_on(h, virtual)
    await storm(h, stormy)
    await storm(h, quiet)  # owed last: the longest waiting lanes are all the storm's

    await drain_outbox(h.ctx, slack(h))

    assert h.fake.throttled == 0
    order = [c.params["channel"] for c in h.fake.calls_to("chat.postMessage") if c.params.get("thread_ts")]
    assert order.index("C_QUIET") < 5, order
    assert order.count("C_STORM") == 30
