"""A backfill is one summary: "Watch these too" (or a scan starting several watches) posts each order's thread root at
Slack's pace and ONE message listing the orders, each label linking to its thread; exactly once across replicas,
replays, Slack 5xx and kill -9 (the patterns of test_digest_once)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from bot_harness import TOKEN, Harness
from replicas import ROOT, kill, replica, spawn, wait_until
from sqlalchemy import update
from sqlmodel import Session, col, select
from test_digest_once import backoff_passed
from test_notifier import admin, ask, cycle, slack
from test_subscriptions import all_sent

import bot.subscriptions as subscriptions
from bot.blocks.format import MESSAGE_BLOCKS_MAX, SECTION_TEXT_MAX
from bot.blocks.subscriptions import ACTION_SUBSCRIPTION_EXISTING, roots_summary_blocks
from bot.notify.diff import Snapshot
from bot.notify.outbox import drain_outbox, send_outbox
from bot.simulator.web_api import PERMALINK_HOST
from integrations.views import order_label
from storage import crud
from storage.enums import OutboxStatus
from storage.models import OutboxMessage, Subscription, Watch

CHANNEL = "C_GENERAL"


@pytest.fixture(autouse=True)
def quick_roots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subscriptions, "ROOT_SPACING", timedelta(0))


async def bulk(h: Harness, count: int, state: str = "held") -> list[str]:
    created = await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": count, "state": state})
    assert created.status_code == 201
    return list(created.json()["ids"])


def rule_watches(h: Harness) -> list[Watch]:
    with Session(h.ctx.engine) as s:
        return list(s.exec(select(Watch).where(col(Watch.subscription_id).is_not(None))).all())


def unsent(h: Harness) -> list[OutboxMessage]:
    with Session(h.ctx.engine) as s:
        owed = col(OutboxMessage.status).in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value])
        return list(s.exec(select(OutboxMessage).where(owed)).all())


def summaries(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if re.search(r"Rule #\d+ now watches", str(m.get("text")))]


def roots(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if "Watching" in str(m.get("text"))]


def listed(summary: dict[str, Any]) -> str:
    return "\n".join(str((b.get("text") or {}).get("text") or "") for b in summary.get("blocks") or [])


def expected_lines(h: Harness, watches: list[Watch]) -> list[str]:
    """`<permalink of its thread|label>` for each watch, as Slack's chat.getPermalink would link its root."""
    with Session(h.ctx.engine) as s:
        stored = crud.load_snapshots(session=s, watch_ids=[w.id for w in watches])
    lines = []
    for w in watches:
        assert w.thread_ts is not None
        label = order_label(Snapshot.from_json(stored[w.id]).view)
        lines.append(f"<{PERMALINK_HOST}/archives/{CHANNEL}/p{w.thread_ts.replace('.', '')}|{label}>")
    return lines


async def rule_scan(h: Harness) -> subscriptions.ScanStats:
    await h.ctx.db(lambda s: s.exec(update(Subscription).values(next_scan_at=None)))  # type: ignore[call-overload]
    stats = await subscriptions.scan_due(h.ctx, slack(h), owner="scanner")
    await drain_outbox(h.ctx, slack(h))
    return stats


async def test_watch_these_too_posts_the_roots_and_one_summary_linking_every_thread(harness: Harness) -> None:
    h = harness
    await bulk(h, 12)
    await ask(h, "subscribe wholesale state=held")
    (card,) = [m for m in h.fake.channel_messages(CHANNEL) if "made rule" in str(m.get("text"))]
    await h.user.click(ACTION_SUBSCRIPTION_EXISTING, user="U_BOB", message=card)
    await h.fake.wait_for(lambda: len(rule_watches(h)) == 12, timeout=10)
    await all_sent(h)  # the click's listener sends what it owes too

    messages = h.fake.channel_messages(CHANNEL)
    (summary,) = summaries(messages)
    assert len(roots(messages)) == 12
    assert len(messages) == 1 + 12 + 1  # the card, the roots, the summary: nothing else
    assert summary["ts"] > max(m["ts"] for m in roots(messages))  # posted once every root exists
    assert "Rule #1 now watches 12 more orders" in str(summary["text"])
    watches = sorted(rule_watches(h), key=lambda w: str(w.thread_ts))
    for line in expected_lines(h, watches):
        assert line in listed(summary), (line, listed(summary))
    # the links are Slack's own: one chat.getPermalink for the whole summary, the others in its form
    assert len(h.fake.calls_to("chat.getPermalink")) == 1
    own = await slack(h).chat_getPermalink(channel=CHANNEL, message_ts=watches[-1].thread_ts)
    assert f"<{own['permalink']}|" in listed(summary)

    # each root says nothing more until its order changes
    updates = len(h.fake.calls_to("chat.update"))
    await cycle(h)
    assert all(h.fake.thread(CHANNEL, str(w.thread_ts)) == [] for w in watches)
    assert len(h.fake.calls_to("chat.update")) == updates and len(h.fake.channel_messages(CHANNEL)) == 14
    # a replayed scan watches nothing new and says nothing
    assert (await rule_scan(h)).watched == 0
    assert len(h.fake.channel_messages(CHANNEL)) == 14
    # an order that changes speaks in its own thread, not in the channel
    await admin(h, f"/_sandbox/orders/wholesale/{watches[0].order_id}/milestones", {"message": "Site survey done"})
    await cycle(h)
    assert any("Site survey done" in str(r["text"]) for r in h.fake.thread(CHANNEL, str(watches[0].thread_ts)))
    assert len(summaries(h.fake.channel_messages(CHANNEL))) == 1


async def test_a_scan_starting_several_watches_summarises_them_and_one_new_order_needs_none(harness: Harness) -> None:
    h = harness
    await ask(h, "subscribe wholesale state=held")
    await bulk(h, 1)
    assert (await rule_scan(h)).watched == 1
    assert summaries(h.fake.channel_messages(CHANNEL)) == [] and len(roots(h.fake.channel_messages(CHANNEL))) == 1
    assert not unsent(h)
    await bulk(h, 3)
    assert (await rule_scan(h)).watched == 3
    (summary,) = summaries(h.fake.channel_messages(CHANNEL))
    assert "now watches 3 more orders" in str(summary["text"])
    newest = sorted(rule_watches(h), key=lambda w: str(w.thread_ts))[1:]
    for line in expected_lines(h, newest):
        assert line in listed(summary)


async def test_replicas_scanning_at_once_give_one_summary_of_every_order(harness: Harness) -> None:
    h = harness
    await ask(h, "subscribe wholesale state=held")
    await bulk(h, 6)
    rule = (await h.ctx.db(lambda s: s.exec(select(Subscription)).all()))[0]
    a, b = slack(h), slack(h)
    x, y = await asyncio.gather(subscriptions.scan(h.ctx, a, rule), subscriptions.scan(h.ctx, b, rule))
    assert x.watched + y.watched == 6
    h.fake.inject("chat.postMessage", None, delay=0.05, count=None)  # both replicas' senders are at it at once
    await asyncio.gather(drain_outbox(h.ctx, a), drain_outbox(h.ctx, b))
    await asyncio.gather(subscriptions.scan(h.ctx, a, rule), subscriptions.scan(h.ctx, b, rule))  # replayed
    await asyncio.gather(drain_outbox(h.ctx, a), drain_outbox(h.ctx, b))
    (summary,) = summaries(h.fake.channel_messages(CHANNEL))
    assert len(roots(h.fake.channel_messages(CHANNEL))) == 6
    for line in expected_lines(h, rule_watches(h)):
        assert line in listed(summary)


@pytest.mark.parametrize("slack_took_it", [False, True], ids=["refused", "taken-then-500"])
async def test_a_summary_slack_answers_500_for_is_posted_once_on_retry(harness: Harness, slack_took_it: bool) -> None:
    h = harness
    await ask(h, "subscribe wholesale state=held")
    await bulk(h, 4)
    rule = (await h.ctx.db(lambda s: s.exec(select(Subscription)).all()))[0]
    await subscriptions.scan(h.ctx, slack(h), rule)
    first = await send_outbox(h.ctx, slack(h))  # the roots; the summary waits for them
    assert first.sent == 4 and summaries(h.fake.channel_messages(CHANNEL)) == []
    h.fake.inject("chat.postMessage", "internal_error", status=500, performed=slack_took_it)
    second = await send_outbox(h.ctx, slack(h))
    assert (second.sent, second.retried) == (0, 1)
    assert len(summaries(h.fake.channel_messages(CHANNEL))) == int(slack_took_it)

    await backoff_passed(h)
    third = await drain_outbox(h.ctx, slack(h))
    assert (third.sent, third.recovered) == (1, int(slack_took_it))
    (summary,) = summaries(h.fake.channel_messages(CHANNEL))
    with Session(h.ctx.engine) as s:
        (row,) = s.exec(select(OutboxMessage).where(col(OutboxMessage.kind) == subscriptions.ROOTS_SUMMARY)).all()
    assert row.status == OutboxStatus.SENT and row.slack_ts == summary["ts"]
    assert summary["metadata"]["event_payload"]["id"] == str(row.id)
    await backoff_passed(h)
    assert (await drain_outbox(h.ctx, slack(h))).sent == 0
    assert len(summaries(h.fake.channel_messages(CHANNEL))) == 1


def test_a_summary_of_many_orders_fits_one_message_and_counts_the_rest() -> None:
    orders = [
        (f"ACME-{n:05d} · Fibre 1G office {n} · Lyon", f"https://x.slack.com/archives/C1/p{n:016d}") for n in range(900)
    ]
    blocks = [b.to_dict() for b in roots_summary_blocks(3, orders)]
    assert len(blocks) <= MESSAGE_BLOCKS_MAX
    assert all(len(b["text"]["text"]) <= SECTION_TEXT_MAX for b in blocks if b["type"] == "section")
    shown = sum(str(b).count("• <https://") for b in blocks)
    assert 100 < shown < 900
    assert f"and {900 - shown} more" in str(blocks[-1])
    assert "Rule *#3* now watches 900 more orders" in str(blocks[0])


# --- kill -9 --------------------------------------------------------------------------------------------------


async def _child(sandbox_url: str, slack_url: str, db_url: str) -> None:
    """A replica's outbox, in a loop, as the scheduler runs it (claims of 1 s)."""
    async with replica(sandbox_url, slack_url, db_url) as (ctx, client):
        while True:
            await send_outbox(ctx, client, retry_sending_after=timedelta(seconds=1))
            await asyncio.sleep(0.05)


async def test_kill_9_while_the_summary_is_posted_leaves_exactly_one(tmp_path: Path) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.context import BotContext
    from bot.settings import Settings
    from bot.simulator import FakeSlack
    from integrations.client import OrangeClient
    from integrations.sandbox.server import running
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade

    db_url = f"sqlite:///{tmp_path / 'backfill.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    with running() as sandbox:
        async with FakeSlack.serve(bot_token=TOKEN) as fake, httpx.AsyncClient(base_url=sandbox.url) as sandbox_admin:
            made = await sandbox_admin.post(
                "/_sandbox/bulk", json={"backend": "wholesale", "count": 4, "state": "held"}
            )
            assert made.status_code == 201
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                slack_bot_token=TOKEN,
                slack_signing_secret="s",
                slack_api_url=fake.api_url,
                orange_sandbox_url=sandbox.url,
                database_url=db_url,
            )
            with session_scope(engine) as s:
                rule = crud.create_subscription(
                    session=s,
                    team_id="T1",
                    channel_id=CHANNEL,
                    backend="wholesale",
                    filters={"state": "held"},
                    errors_only=False,
                    cap=50,
                    created_by="U_ALICE",
                )
                s.flush()
                s.expunge(rule)
            async with OrangeClient(settings) as orange:
                ctx = BotContext(settings=settings, orange=orange, engine=engine)
                assert (
                    await subscriptions.scan(ctx, AsyncWebClient(token=TOKEN, base_url=fake.api_url), rule)
                ).watched == 4

            def posted() -> list[dict[str, Any]]:
                return summaries(fake.channel_messages(CHANNEL))

            def summary_call() -> list[Any]:
                return [c for c in fake.calls_to("chat.postMessage") if "now watches" in str(c.params.get("text"))]

            args = (sandbox.url, fake.api_url, db_url)
            children: list[subprocess.Popen[bytes]] = []
            try:
                # Slack takes each post a moment after it is asked: the senders die with the summary in flight
                fake.inject("chat.postMessage", None, delay=0.3, count=None)
                children += [spawn(__file__, *args), spawn(__file__, *args)]
                await wait_until(summary_call)
                kill(children)
                await wait_until(posted)
                fake.clear_faults()
                looked = len(fake.calls_to("conversations.history"))
                children += [spawn(__file__, *args), spawn(__file__, *args)]

                def sent() -> bool:
                    with session_scope(engine) as s:
                        kind = col(OutboxMessage.kind) == subscriptions.ROOTS_SUMMARY
                        rows = s.exec(select(OutboxMessage).where(kind)).all()
                    return len(rows) == 1 and rows[0].status == OutboxStatus.SENT

                await wait_until(sent)
            finally:
                kill(children)
            await wait_until(lambda: all(c.response is not None for c in fake.calls_to("chat.postMessage")))

            (post,) = posted()
            assert len(roots(fake.channel_messages(CHANNEL))) == 4
            with session_scope(engine) as s:
                (row,) = s.exec(
                    select(OutboxMessage).where(col(OutboxMessage.kind) == subscriptions.ROOTS_SUMMARY)
                ).all()
            assert post["metadata"]["event_payload"]["id"] == str(row.id) and row.slack_ts == post["ts"]
            assert len(fake.calls_to("conversations.history")) > looked  # the replica that took over looked first
    engine.dispose()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    asyncio.run(_child(*sys.argv[1:4]))
