"""The notifier end to end: `/orange watch`, a change in the sandbox, `run_cycle`, the outbox drained into FakeSlack."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot_harness import TOKEN, Harness, shown
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.jobs.poll import run_cycle
from bot.notify.outbox import drain_outbox
from storage.enums import OutboxStatus
from storage.models import OutboxMessage, Watch

W = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"
OWNER = "test-replica"


async def ask(h: Harness, text: str, *, channel: str = "C_GENERAL", user: str = "U_ALICE") -> str:
    before = len(h.fake.response_posts())
    ack = await h.user.command(text, channel=channel, user=user)
    assert ack.status == 200
    await h.fake.wait_for_responses(count=before + 1, timeout=10)
    return str(h.user.render(h.fake.response_posts()[-1].body))


def slack(h: Harness) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=h.fake.api_url)


async def watch(h: Harness, ref: str, *, errors: bool = False, user: str = "U_ALICE") -> Watch:
    shown = await ask(h, f"watch {ref}" + (" errors" if errors else ""), user=user)
    assert "Watching" in shown, shown
    backend, _, order_id = ref.partition(":")

    def find(s: Session) -> Watch:
        found = s.exec(select(Watch).where(col(Watch.backend) == backend, col(Watch.order_id) == order_id)).one()
        assert found.thread_ts is not None
        return found

    return await h.ctx.db(find)


async def due(h: Harness) -> None:
    """Every live watch is due again (the tests do not wait for POLL_INTERVAL_SECONDS)."""

    def work(s: Session) -> None:
        s.exec(update(Watch).values(next_poll_at=None))  # type: ignore[call-overload]

    await h.ctx.db(work)


async def cycle(h: Harness) -> None:
    await due(h)
    await run_cycle(h.ctx, owner=OWNER)
    await drain_outbox(h.ctx, slack(h))


async def admin(h: Harness, path: str, body: dict[str, Any]) -> None:
    response = await h.admin.post(path, content=json.dumps(body))
    assert response.status_code < 300, response.text


def replies(h: Harness, w: Watch) -> list[dict[str, Any]]:
    assert w.thread_ts is not None
    return h.fake.thread(w.channel_id, w.thread_ts)


def texts(h: Harness, w: Watch) -> list[str]:
    return [shown(m) for m in replies(h, w)]


async def reload(h: Harness, w: Watch) -> Watch:
    found = await h.ctx.db(lambda s: s.get(Watch, w.id))
    assert found is not None
    return found


async def test_each_change_is_posted_once_the_root_follows_and_a_final_state_ends_the_watch(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")
    await cycle(h)
    assert texts(h, w) == []  # nothing changed since the root

    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    await admin(
        h,
        f"/_sandbox/orders/wholesale/{W}/errors",
        {"item": "O40140084001", "message": "Rendez-vous à reprendre", "reason": "ORT"},
    )
    await cycle(h)
    shown = texts(h, w)
    assert len(shown) == 1, shown  # one read, one reply: the order's move first, then the error
    assert shown[0].index("Held") < shown[0].index("Error opened") and "Rendez-vous" in shown[0]
    assert "UW-de76cfa1 · OULLINS C: " in replies(h, w)[0]["text"]  # named as people know it
    assert w.thread_ts is not None
    root = h.fake.message(w.channel_id, w.thread_ts)
    assert root is not None and "Held" in json.dumps(root["blocks"])

    await cycle(h)
    await cycle(h)
    assert texts(h, w) == shown  # nothing twice

    await admin(
        h,
        f"/_sandbox/orders/wholesale/{W}/errors/close",
        {"item": "O40140084001", "message": "Rendez-vous à reprendre"},
    )
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "completed"})
    await cycle(h)
    shown = texts(h, w)
    assert len(shown) == 2, shown
    assert shown[1].index("Completed") < shown[1].index("Error closed") < shown[1].index("is completed"), shown
    assert replies(h, w)[-1].get("subtype") == "thread_broadcast"
    assert sum(1 for t in shown if "is completed" in t) == 1
    ended = await reload(h, w)
    assert ended.ended_at is not None and ended.ended_reason == "order reached completed"
    root = h.fake.message(w.channel_id, w.thread_ts)
    assert root is not None and "Watch ended" in json.dumps(root["blocks"])

    await cycle(h)
    assert texts(h, w) == shown
    outbox = await h.ctx.db(lambda s: s.exec(select(OutboxMessage).where(col(OutboxMessage.watch_id) == w.id)).all())
    assert all(m.status == OutboxStatus.SENT.value for m in outbox)
    # Each thread reply carries its outbox row id, for crash recovery.
    assert all(m["metadata"]["event_type"] == "orange_bot_outbox" for m in replies(h, w))


async def test_errors_filter_posts_errors_and_the_final_state_only(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}", errors=True)
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held", "cascade": True})
    await admin(h, f"/_sandbox/orders/wholesale/{W}/milestones", {"item": "O40140084001", "message": "Configured"})
    await admin(h, f"/_sandbox/orders/wholesale/{W}/errors", {"item": "O40140084001", "message": "Site closed"})
    await cycle(h)
    shown = texts(h, w)
    assert len(shown) == 1 and "Error opened" in shown[0], shown
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "cancelled"})
    await cycle(h)
    shown = texts(h, w)
    assert len(shown) == 2, shown  # the final state change and the end of the watch: one reply
    assert "Cancelled" in shown[-1] and "is cancelled" in shown[-1]
    assert (await reload(h, w)).ended_at is not None


async def test_a_failing_order_does_not_stop_the_others_and_is_reported_once(harness: Harness) -> None:
    h = harness
    bad = await watch(h, "carrier:11")
    good = await watch(h, "carrier:13")
    await admin(h, "/_sandbox/faults", {"path": "/productOrder/11$", "status": 500, "count": -1})
    await admin(h, "/_sandbox/orders/carrier/13/state", {"state": "inProgress"})
    for _ in range(4):
        await cycle(h)
    assert len(texts(h, good)) == 1 and "In progress" in texts(h, good)[0]
    failing = [t for t in texts(h, bad) if "can't read" in t]
    assert len(failing) == 1, texts(h, bad)
    assert (await reload(h, bad)).consecutive_failures == 4

    await h.admin.delete("/_sandbox/faults")
    await admin(h, "/_sandbox/orders/carrier/11/state", {"state": "inProgress"})
    await cycle(h)
    await cycle(h)
    shown = texts(h, bad)
    assert sum("can read" in t or "can be read again" in t for t in shown) == 1, shown
    assert sum("can't read" in t for t in shown) == 1
    assert "In progress" in shown[-1]
    assert (await reload(h, bad)).consecutive_failures == 0


async def test_malformed_json_counts_as_a_failed_poll(harness: Harness) -> None:
    h = harness
    w = await watch(h, "carrier:11")
    await admin(h, "/_sandbox/faults", {"path": "/productOrder/11$", "status": 200, "body": '{"id": ', "count": 1})
    await cycle(h)
    assert (await reload(h, w)).consecutive_failures == 1
    await cycle(h)
    assert (await reload(h, w)).consecutive_failures == 0


async def test_slack_429_waits_for_retry_after_and_posts_once_in_order(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")
    h.fake.inject("chat.postMessage", error="ratelimited", status=429, retry_after=1)
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    await admin(h, f"/_sandbox/orders/wholesale/{W}/errors", {"message": "Site closed", "reason": "ORT"})
    await cycle(h)
    assert texts(h, w) == []  # the first post hit the rate limit; the second waits behind it
    await asyncio.sleep(1.1)
    await drain_outbox(h.ctx, slack(h))
    shown = texts(h, w)
    assert len(shown) == 1, shown
    assert shown[0].index("Held") < shown[0].index("Error opened")
    await cycle(h)
    assert texts(h, w) == shown


async def test_a_channel_the_bot_cannot_post_in_pauses_the_watch_and_tells_its_creator_once(harness: Harness) -> None:
    h = harness
    w = await watch(h, "carrier:11")
    h.fake.inject("chat.postMessage", error="channel_not_found", count=1)
    await admin(h, "/_sandbox/orders/carrier/11/state", {"state": "inProgress"})
    await cycle(h)
    paused = await reload(h, w)
    assert paused.paused_at is not None and paused.paused_reason == "cannot post: channel_not_found"
    dms = [c for c in h.fake.calls_to("conversations.open")]
    assert len(dms) == 1
    posts = [c for c in h.fake.calls_to("chat.postMessage") if "paused" in str(c.params.get("text", ""))]
    assert len(posts) == 1 and posts[0].ok and str(posts[0].params["channel"]).startswith("D")
    await admin(h, "/_sandbox/orders/carrier/11/state", {"state": "held"})
    await cycle(h)
    await cycle(h)
    assert len(h.fake.calls_to("conversations.open")) == 1
    assert texts(h, w) == []


async def test_wholesale_watches_are_polled_with_one_list_request_per_page(harness: Harness) -> None:
    from bot.notify.diff import diff
    from integrations.views import order_view_from_wholesale
    from storage import crud

    h = harness
    created = await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 120, "state": "inProgress"})
    ids = created.json()["ids"]
    views = {}
    for order_id in ids:
        raw = (await h.admin.get(f"/_sandbox/orders/wholesale/{order_id}")).json()
        views[order_id] = order_view_from_wholesale(raw)

    def insert(s: Session) -> None:
        for n, order_id in enumerate(ids):
            w, _ = crud.create_watch(
                session=s,
                team_id="T1",
                channel_id="C_GENERAL",
                backend="wholesale",
                order_id=order_id,
                created_by="U_ALICE",
                thread_ts=f"1700000000.{n:06d}",
            )
            s.flush()
            crud.save_snapshot(session=s, watch_id=w.id, view=diff(None, views[order_id])[1].to_json())

    await h.ctx.db(insert)
    await h.admin.post("/_sandbox/requests/reset")
    await admin(h, f"/_sandbox/orders/wholesale/{ids[7]}/state", {"state": "held"})
    stats = await run_cycle(h.ctx, owner=OWNER)
    assert stats.claimed == 120 and stats.polled == 120 and stats.failed == 0
    assert stats.requests == 3  # 50 + 50 + 20
    counts = (await h.admin.get("/_sandbox/requests")).json()["counts"]
    assert sum(v for k, v in counts.items() if "/productOrder/{" in k) == 0, counts
    assert stats.events == 1
    again = await run_cycle(h.ctx, owner=OWNER)
    assert again.claimed == 0  # not due before POLL_INTERVAL_SECONDS


async def test_a_crash_between_the_post_and_sent_does_not_post_twice(harness: Harness, monkeypatch: Any) -> None:
    from datetime import timedelta

    from bot.notify import outbox
    from storage import crud

    h = harness
    w = await watch(h, f"wholesale:{W}")
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    await due(h)
    await run_cycle(h.ctx, owner=OWNER)
    real = crud.mark_outbox_sent

    def crash(**kwargs: Any) -> bool:
        raise RuntimeError("killed between Slack's answer and the commit")

    monkeypatch.setattr(outbox.crud, "mark_outbox_sent", crash)
    try:  # a claim that lasts no time: the crashed sender's row is due again at once
        await drain_outbox(h.ctx, slack(h), retry_sending_after=timedelta(0))
    except RuntimeError:
        pass
    monkeypatch.setattr(outbox.crud, "mark_outbox_sent", real)
    assert len(texts(h, w)) == 1  # posted, but the row is still "sending"
    stats = await drain_outbox(h.ctx, slack(h), retry_sending_after=timedelta(0))
    assert stats.recovered == 1
    assert len(texts(h, w)) == 1
    rows = await h.ctx.db(lambda s: s.exec(select(OutboxMessage).where(col(OutboxMessage.watch_id) == w.id)).all())
    assert {r.status for r in rows} == {OutboxStatus.SENT.value}


async def test_the_scheduler_runs_both_jobs_and_reports_it(harness: Harness) -> None:
    from bot.jobs.scheduler import start_scheduler

    h = harness
    assert not h.ctx.scheduler_running()
    scheduler = start_scheduler(h.ctx, slack(h))
    try:
        assert h.ctx.scheduler_running()
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"poll", "outbox", "approvals", "subscriptions", "digests", "retention"}
        assert jobs["poll"].max_instances == 1 and jobs["poll"].coalesce
        assert jobs["poll"].misfire_grace_time >= h.ctx.settings.poll_interval_seconds
    finally:
        scheduler.shutdown(wait=False)
    await asyncio.sleep(0)
    assert not h.ctx.scheduler_running()


async def test_a_missing_scope_pauses_the_watch_names_the_scope_and_resumes_in_order(
    harness: Harness, monkeypatch: Any, caplog: Any
) -> None:
    """A row sent again reads the thread first; without the history scope it is paused, never dead."""
    from datetime import timedelta

    from bot.notify import outbox

    h = harness
    w = await watch(h, f"wholesale:{W}")
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    await admin(h, f"/_sandbox/orders/wholesale/{W}/errors", {"message": "Site closed", "reason": "ORT"})
    await due(h)
    await run_cycle(h.ctx, owner=OWNER)
    h.fake.inject("chat.postMessage", None, status=503, count=1)  # ambiguous: the next attempt reads the thread
    await drain_outbox(h.ctx, slack(h))
    h.fake.scopes.discard("channels:history")
    monkeypatch.setattr(outbox, "MAX_BACKOFF", 0.0)

    await h.ctx.db(lambda s: s.exec(update(OutboxMessage).values(next_attempt_at=OutboxMessage.created_at)))  # type: ignore[call-overload]
    with caplog.at_level("ERROR", logger="bot.notify.outbox"):
        await drain_outbox(h.ctx, slack(h))
    paused = await reload(h, w)
    assert paused.paused_at is not None
    assert paused.paused_reason == "cannot post: missing_scope (needs channels:history)"
    assert any("channels:history" in r.getMessage() for r in caplog.records), caplog.records
    assert {r.status for r in _rows(h, w)} == {OutboxStatus.PENDING.value}  # nothing dead, nothing lost
    assert texts(h, w) == []

    # The operator grants the scope; the paused watch's first row is tried again and the rest follows, once.
    h.fake.scopes.add("channels:history")
    monkeypatch.setattr(outbox, "PAUSED_RETRY", timedelta(0))
    await h.ctx.db(lambda s: s.exec(update(OutboxMessage).values(next_attempt_at=OutboxMessage.created_at)))  # type: ignore[call-overload]
    stats = await drain_outbox(h.ctx, slack(h))
    assert stats.resumed == 1
    resumed = await reload(h, w)
    assert resumed.paused_at is None and resumed.paused_reason is None
    shown = texts(h, w)
    assert len(shown) == 1 and shown[0].index("Held") < shown[0].index("Error opened"), shown
    assert {r.status for r in _rows(h, w)} == {OutboxStatus.SENT.value}


async def test_a_revoked_token_pauses_watches_instead_of_killing_their_posts(harness: Harness) -> None:
    h = harness
    w = await watch(h, "carrier:11")
    h.fake.inject("chat.postMessage", "token_revoked", count=None)
    await admin(h, "/_sandbox/orders/carrier/11/state", {"state": "inProgress"})
    try:
        await cycle(h)
    finally:
        h.fake.clear_faults()
    paused = await reload(h, w)
    assert paused.paused_reason == "cannot post: token_revoked"
    assert {r.status for r in _rows(h, w)} - {OutboxStatus.SENT.value} == {OutboxStatus.PENDING.value}


def _rows(h: Harness, w: Watch) -> list[OutboxMessage]:
    with Session(h.ctx.engine) as s:
        return list(
            s.exec(
                select(OutboxMessage).where(
                    col(OutboxMessage.watch_id) == w.id, col(OutboxMessage.kind) != "root_update"
                )
            ).all()
        )
