"""A daily digest is posted exactly once on its day: through the outbox (claim, look-before-posting, retry), whatever
Slack answers, however many replicas look, and whenever a sender is killed.

The in-process tests run the bot against the Slack simulator (`owe_due_digests` is the digests job's step, the
outbox rounds post); the `kill -9` tests run two replicas as child processes (this file run as a script: the digests
job and the outbox in a loop) on one SQLite file, and kill them while the digest is being built, then while Slack
is taking the post.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from bot_harness import TOKEN, Harness
from replicas import ROOT, kill, replica, spawn, wait_until
from sqlalchemy import update
from sqlmodel import Session, col, select
from test_notifier import W, ask, slack, watch

from bot.digests import DIGEST_POST, owe_due_digests
from bot.notify.outbox import drain_outbox, send_outbox
from storage.enums import OutboxStatus
from storage.models import OutboxMessage

CHANNEL = "C_GENERAL"
ON_TIME = datetime(2026, 12, 3, 8, 31, tzinfo=UTC)


def digests(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if "Daily digest" in str(m.get("blocks"))]


def digest_rows(h: Harness) -> list[OutboxMessage]:
    with Session(h.ctx.engine) as s:
        return list(s.exec(select(OutboxMessage).where(col(OutboxMessage.kind) == DIGEST_POST)).all())


async def backoff_passed(h: Harness) -> None:
    """The rows waiting for a retry are due now (the tests do not wait for the back-off)."""

    def work(s: Session) -> None:
        s.exec(update(OutboxMessage).values(next_attempt_at=OutboxMessage.created_at))  # type: ignore[call-overload]

    await h.ctx.db(work)


@pytest.mark.parametrize("slack_took_it", [False, True], ids=["refused", "taken-then-500"])
async def test_a_digest_slack_answers_500_for_is_posted_on_retry_once(harness: Harness, slack_took_it: bool) -> None:
    h = harness
    await watch(h, f"wholesale:{W}")  # open error messages: the digest has lines and links to the thread
    assert "Every day at 08:30 (UTC)" in await ask(h, "digest daily 08:30 UTC")
    h.fake.inject("chat.postMessage", "internal_error", status=500, performed=slack_took_it)

    assert await owe_due_digests(h.ctx, now=ON_TIME) == [CHANNEL]
    first = await send_outbox(h.ctx, slack(h))
    assert (first.sent, first.retried) == (0, 1)
    assert len(digests(h.fake.channel_messages(CHANNEL))) == int(slack_took_it)
    assert await owe_due_digests(h.ctx, now=ON_TIME + timedelta(minutes=1)) == []  # the day is owed already

    await backoff_passed(h)
    second = await drain_outbox(h.ctx, slack(h))
    assert (second.sent, second.recovered) == (1, int(slack_took_it))  # a post Slack took is found, not repeated
    (row,) = digest_rows(h)
    assert row.status == OutboxStatus.SENT
    (post,) = digests(h.fake.channel_messages(CHANNEL))
    assert "Daily digest · Dec 3, 2026" in str(post["blocks"]) and W in str(post["blocks"])
    assert post["metadata"]["event_payload"]["id"] == str(row.id) and post["ts"] == row.slack_ts

    await backoff_passed(h)
    assert (await drain_outbox(h.ctx, slack(h))).sent == 0
    assert len(digests(h.fake.channel_messages(CHANNEL))) == 1


async def test_a_digest_waits_while_the_bot_is_out_of_the_channel_and_follows_when_it_is_back(
    harness: Harness,
) -> None:
    h = harness
    await watch(h, f"wholesale:{W}")
    await ask(h, "digest daily 08:30 UTC")
    h.fake.channels[CHANNEL].is_member = False
    assert await owe_due_digests(h.ctx, now=ON_TIME) == [CHANNEL]
    stats = await send_outbox(h.ctx, slack(h))
    assert stats.errors == ["not_in_channel"] and stats.dead == 0
    (row,) = digest_rows(h)
    assert row.status == OutboxStatus.PENDING and row.next_attempt_at > datetime.now(UTC) + timedelta(minutes=9)

    h.fake.channels[CHANNEL].is_member = True
    await backoff_passed(h)
    assert (await drain_outbox(h.ctx, slack(h))).sent == 1
    assert len(digests(h.fake.channel_messages(CHANNEL))) == 1


async def test_a_digest_slack_refused_all_day_gives_way_to_the_next_days(harness: Harness) -> None:
    h = harness
    await watch(h, f"wholesale:{W}")
    await ask(h, "digest daily 08:30 UTC")
    h.fake.inject("chat.postMessage", "internal_error", status=503, count=None)
    assert await owe_due_digests(h.ctx, now=ON_TIME) == [CHANNEL]
    await send_outbox(h.ctx, slack(h))
    assert await owe_due_digests(h.ctx, now=ON_TIME + timedelta(days=1)) == [CHANNEL]
    h.fake.clear_faults()
    await backoff_passed(h)
    await drain_outbox(h.ctx, slack(h))
    (post,) = digests(h.fake.channel_messages(CHANNEL))
    assert "Daily digest · Dec 4, 2026" in str(post["blocks"])
    rows = {r.fingerprint: r for r in digest_rows(h)}
    assert rows["digest:2026-12-03"].status == OutboxStatus.DEAD
    assert rows["digest:2026-12-03"].last_error == "replaced by digest:2026-12-04"
    assert rows["digest:2026-12-04"].status == OutboxStatus.SENT


async def test_two_replicas_post_the_days_digest_once(harness: Harness) -> None:
    h = harness
    await watch(h, f"wholesale:{W}")
    await ask(h, "digest daily 08:30 UTC")
    h.fake.inject("chat.postMessage", None, delay=0.3, count=None)  # Slack is slow: both replicas are at it at once

    async def replica() -> list[str]:
        owed = await owe_due_digests(h.ctx, now=ON_TIME)
        await send_outbox(h.ctx, slack(h))
        return owed

    a, b = await asyncio.gather(replica(), replica())
    assert sorted(a + b) == [CHANNEL]
    await asyncio.gather(drain_outbox(h.ctx, slack(h)), drain_outbox(h.ctx, slack(h)))
    assert len(digests(h.fake.channel_messages(CHANNEL))) == 1


# --- kill -9 --------------------------------------------------------------------------------------------------


async def _child(sandbox_url: str, slack_url: str, db_url: str) -> None:
    """A replica: the digests job and the outbox, in a loop, as the scheduler runs them (claims of 1 s)."""
    async with replica(sandbox_url, slack_url, db_url) as (ctx, client):
        while True:
            await owe_due_digests(ctx)
            await send_outbox(ctx, client, retry_sending_after=timedelta(seconds=1))
            await asyncio.sleep(0.05)


def _near_noon() -> str:
    """A time zone where it is about noon now: the test's day does not turn while it runs."""
    offset = 12 - datetime.now(UTC).hour
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@pytest.mark.parametrize("moment", ["building", "posting"])
async def test_kill_9_while_the_digest_is_built_or_posted_leaves_exactly_one_that_day(
    tmp_path: Path, moment: str
) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.notify.diff import diff
    from bot.simulator import FakeSlack
    from integrations.sandbox.server import running
    from integrations.views import order_view_from_wholesale
    from storage import crud
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade

    db_url = f"sqlite:///{tmp_path / 'digest.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    with running() as sandbox:
        async with FakeSlack.serve(bot_token=TOKEN) as fake, httpx.AsyncClient(base_url=sandbox.url) as admin:
            view = order_view_from_wholesale((await admin.get(f"/_sandbox/orders/wholesale/{W}")).json())
            client = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
            root = str((await client.chat_postMessage(channel=CHANNEL, text=view.reference))["ts"])
            with session_scope(engine) as s:
                w, _ = crud.create_watch(
                    session=s,
                    team_id="T1",
                    channel_id=CHANNEL,
                    backend="wholesale",
                    order_id=W,
                    created_by="U_ALICE",
                    thread_ts=root,
                )
                s.flush()
                crud.save_snapshot(session=s, watch_id=w.id, view=diff(None, view)[1].to_json())
                crud.set_digest_schedule(
                    session=s,
                    team_id="T1",
                    channel_id=CHANNEL,
                    at_time="00:00",
                    tz=_near_noon(),
                    backend=None,
                    created_by="U_ALICE",
                )

            def posted() -> list[dict[str, Any]]:
                return digests(fake.channel_messages(CHANNEL))

            args = (sandbox.url, fake.api_url, db_url)
            children: list[subprocess.Popen[bytes]] = []
            try:
                if moment == "building":  # the permalinks of its lines never come back: it is being built
                    fake.inject("chat.getPermalink", None, delay=3, count=None)
                    children += [spawn(__file__, *args), spawn(__file__, *args)]
                    await wait_until(lambda: fake.calls_to("chat.getPermalink"))
                    kill(children)
                    assert posted() == []
                    fake.clear_faults()
                else:  # Slack takes the post a moment after the sender died, before it could mark it sent
                    fake.inject("chat.postMessage", None, delay=0.3, count=1)
                    children += [spawn(__file__, *args), spawn(__file__, *args)]
                    await wait_until(lambda: fake.calls_to("chat.postMessage")[1:])  # [0] is the root
                    kill(children)
                    await wait_until(posted)
                looked = len(fake.calls_to("conversations.history"))
                children += [spawn(__file__, *args), spawn(__file__, *args)]

                def sent() -> bool:
                    with session_scope(engine) as s:
                        rows = s.exec(select(OutboxMessage).where(col(OutboxMessage.kind) == DIGEST_POST)).all()
                    return len(rows) == 1 and rows[0].status == OutboxStatus.SENT

                await wait_until(sent)
            finally:
                kill(children)
            await wait_until(
                lambda: all(c.response is not None for c in fake.calls_to("chat.postMessage"))
            )  # none in flight

            (post,) = posted()
            with session_scope(engine) as s:
                (row,) = s.exec(select(OutboxMessage).where(col(OutboxMessage.kind) == DIGEST_POST)).all()
            assert post["metadata"]["event_payload"]["id"] == str(row.id) and row.slack_ts == post["ts"]
            assert W in str(post["blocks"])
            assert len(fake.calls_to("conversations.history")) > looked  # the replica that took over looked first
    engine.dispose()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    asyncio.run(_child(*sys.argv[1:4]))
