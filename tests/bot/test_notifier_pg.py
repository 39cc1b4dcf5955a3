"""Two replicas on one PostgreSQL: each order is polled once per cycle in total, each change posted once.

Needs a PostgreSQL server: `TEST_DATABASE_URL` (`make test` sets one up); skips with the reason otherwise.
The bot harness runs on a schema of its own (overriding the SQLite `db_url` of tests/bot/conftest.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from bot_harness import TOKEN, Harness, shown
from pg_schema import schema_url
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.jobs.poll import run_cycle
from bot.notify.diff import diff
from bot.notify.outbox import drain_outbox, send_outbox
from integrations.views import order_view_from_wholesale
from storage import crud
from storage.models import OutboxMessage, Watch

pytestmark = pytest.mark.postgres
WATCHES = 60


@pytest.fixture
def db_url() -> Iterator[str]:
    with schema_url() as url:
        yield url


async def watched_orders(h: Harness, slack: AsyncWebClient, count: int) -> dict[str, str]:
    """`count` held wholesale orders, each watched in C_GENERAL under a root of its own: {order id: root ts}."""
    created = await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": count, "state": "held"})
    roots: dict[str, str] = {}
    for order_id in created.json()["ids"]:
        view = order_view_from_wholesale((await h.admin.get(f"/_sandbox/orders/wholesale/{order_id}")).json())
        roots[order_id] = str((await slack.chat_postMessage(channel="C_GENERAL", text=view.reference))["ts"])

        def insert(s: Session, order_id: str = order_id, snapshot: dict[str, object] = diff(None, view)[1].to_json()):
            w, _ = crud.create_watch(
                session=s,
                team_id="T1",
                channel_id="C_GENERAL",
                backend="wholesale",
                order_id=order_id,
                created_by="U_ALICE",
                thread_ts=roots[order_id],
            )
            s.flush()
            crud.save_snapshot(session=s, watch_id=w.id, view=snapshot)

        await h.ctx.db(insert)
    return roots


async def test_two_replicas_poll_each_order_once_per_cycle_and_post_each_change_once(harness: Harness) -> None:
    h = harness
    assert h.ctx.engine.dialect.name == "postgresql"
    slack = AsyncWebClient(token=TOKEN, base_url=h.fake.api_url)
    roots = await watched_orders(h, slack, WATCHES)
    ids = list(roots)

    changes = 0
    for round_ in range(3):
        for order_id in ids[round_::7]:
            await h.admin.post(f"/_sandbox/orders/wholesale/{order_id}/milestones", json={"message": f"R{round_}"})
            changes += 1
        await h.admin.post("/_sandbox/requests/reset")

        def make_due(s: Session) -> None:
            s.exec(update(Watch).values(next_poll_at=None))  # type: ignore[call-overload]

        await h.ctx.db(make_due)
        a, b = await asyncio.gather(
            run_cycle(h.ctx, owner="replica-a", batch=10), run_cycle(h.ctx, owner="replica-b", batch=10)
        )
        assert a.claimed + b.claimed == WATCHES, (a, b)
        assert a.polled + b.polled == WATCHES and a.lost == b.lost == 0
        assert a.claimed > 0 and b.claimed > 0  # both did a share (SKIP LOCKED spreads them)
        await asyncio.gather(drain_outbox(h.ctx, slack), drain_outbox(h.ctx, slack))

    # A row deferred behind one the other replica was sending waits a second before it is due again.
    await asyncio.sleep(1.1)
    await drain_outbox(h.ctx, slack)
    posted = 0
    for order_id, ts in roots.items():
        texts = [str(m["text"]) for m in h.fake.thread("C_GENERAL", ts)]
        assert len(texts) == len(set(texts)), texts
        posted += len(texts)
    assert posted == changes
    rows = await h.ctx.db(lambda s: s.exec(select(OutboxMessage).where(col(OutboxMessage.kind) != "root_update")).all())
    assert len(rows) == changes and {r.status for r in rows} == {"sent"}


async def test_two_senders_with_slack_slower_than_a_claim_post_each_row_once(harness: Harness) -> None:
    """A live sender renews its claim while Slack is slow; the other sender never takes its rows."""
    from datetime import timedelta

    h = harness
    slack = AsyncWebClient(token=TOKEN, base_url=h.fake.api_url)
    roots = await watched_orders(h, slack, 6)
    ids = list(roots)
    for step in range(2):  # two reads: two replies per thread (one read's changes are one reply)
        for order_id in ids:
            await h.admin.post(f"/_sandbox/orders/wholesale/{order_id}/milestones", json={"message": f"M{step}"})
        await h.ctx.db(lambda s: s.exec(update(Watch).values(next_poll_at=None)))  # type: ignore[call-overload]
        await run_cycle(h.ctx, owner="poller")
    # Each post outlasts a claim. The claim is long enough that a heartbeat queued behind the other sender's
    # database calls (one small thread pool for both) still lands in time: only a dead sender loses it.
    h.fake.inject("chat.postMessage", None, delay=1.5, count=None)
    claim = timedelta(seconds=1.0)

    async def all_sent() -> bool:
        rows = await h.ctx.db(lambda s: s.exec(select(OutboxMessage)).all())
        return all(r.status == "sent" for r in rows)

    async def sender() -> None:
        """The scheduler's outbox job, at a fast pace: rounds until everything is sent."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not await all_sent() and loop.time() < deadline:
            await send_outbox(h.ctx, slack, retry_sending_after=claim)
            await asyncio.sleep(0.05)

    try:
        await asyncio.gather(sender(), sender())
    finally:
        h.fake.clear_faults()
    for order_id, ts in roots.items():
        texts = [shown(m) for m in h.fake.thread("C_GENERAL", ts)]
        assert sum("M0" in t for t in texts) == 1 and sum("M1" in t for t in texts) == 1, texts
        assert len(texts) == len(set(texts)) == 2, texts
    # Nothing was looked up: no claim was ever taken over from a live sender.
    assert h.fake.calls_to("conversations.replies") == []
    rows = await h.ctx.db(lambda s: s.exec(select(OutboxMessage).where(col(OutboxMessage.kind) != "root_update")).all())
    assert {r.status for r in rows} == {"sent"} and all(r.attempts == 1 for r in rows)
