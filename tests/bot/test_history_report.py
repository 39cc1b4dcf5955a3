"""History kept by the notifier, `/orange history`, `/orange report` and the weekly report — through signed requests,
the Slack simulator (its file upload flow included) and the sandbox, on a clock the test moves."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

from bot_harness import Harness
from sqlmodel import Session, select
from test_notifier import W, admin, ask, cycle, slack, watch

from bot.history.weekly import REPORT_FILES, owe_due_reports
from bot.notify.outbox import drain_outbox
from storage import crud
from storage.enums import OutboxStatus
from storage.models import OrderHistory, OutboxMessage

CHANNEL = "C_GENERAL"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ITEM = "O40140084001"


class Moving:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def _lifecycle(h: Harness, clock: Moving) -> None:
    """The seeded wholesale order W watched, held with an error for a day, then completed."""
    await watch(h, f"wholesale:{W}")
    clock.at = T0 + timedelta(days=1)
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    await admin(h, f"/_sandbox/orders/wholesale/{W}/errors", {"item": ITEM, "message": "Rendez-vous", "reason": "ORT"})
    await cycle(h)
    clock.at = T0 + timedelta(days=2)
    await admin(h, f"/_sandbox/orders/wholesale/{W}/errors/close", {"item": ITEM, "message": "Rendez-vous"})
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "inProgress"})
    await cycle(h)
    clock.at = T0 + timedelta(days=4)
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "completed"})
    await cycle(h)


def _rows(h: Harness) -> list[OrderHistory]:
    with Session(h.ctx.engine) as s:
        return list(s.exec(select(OrderHistory).order_by(OrderHistory.seen_at)).all())


async def test_each_read_that_changed_something_is_kept_once_and_history_shows_the_timeline(harness: Harness) -> None:
    h = harness
    clock = Moving(T0)
    h.ctx.clock = clock
    await _lifecycle(h, clock)
    rows = _rows(h)
    assert [(r.kind, r.state) for r in rows] == [
        ("seen", "in_progress"),  # the seeded order is in progress when first watched
        ("changes", "held"),
        ("changes", "in_progress"),
        ("changes", "completed"),
    ], [(r.kind, r.state, r.seen_at) for r in rows]
    assert rows[1].marks[0][:4] == ["error_opened", ITEM, "Rendez-vous", "ORT"]
    assert rows[2].marks[0][0] == "error_closed"
    assert all(r.label and "UW-de76cfa1" in r.label for r in rows)
    await cycle(h)  # nothing new: nothing kept
    assert len(_rows(h)) == 4

    # A second channel watching the same order keeps no second history.
    shown = await ask(h, f"history wholesale:{W}")
    assert "History of UW-de76cfa1" in shown
    assert "Held" in shown and "1 d" in shown  # held for a day
    assert "Rendez-vous" in shown and "closed" in shown
    assert "Completed" in shown
    assert "Share in channel" in shown
    assert "No history" in await ask(h, "history wholesale:nope-123")

    before = len(h.fake.files)
    shown = await ask(h, f"history wholesale:{W} csv")
    assert "CSV is in your direct messages" in shown
    (file,) = list(h.fake.files.values())[before:]
    rows_csv = list(csv.DictReader(io.StringIO(file.content.decode())))
    assert [r["state"] for r in rows_csv if r["kind"] == "state"][:3] == ["in_progress", "held", "in_progress"]


async def test_a_report_counts_the_watched_orders_and_sends_its_chart_and_csv(harness: Harness) -> None:
    h = harness
    clock = Moving(T0)
    h.ctx.clock = clock
    await _lifecycle(h, clock)
    clock.at = T0 + timedelta(days=10)
    before = len(h.fake.files)
    shown = await ask(h, "report wholesale 2026-11")
    assert "Delivery report" in shown
    assert "Completed: 1" in shown and "Ordered: 1" in shown
    assert "Held: 1 d per order, 1 d in all" in shown
    assert "Lead time" in shown
    assert "Rendez-vous" in shown  # the error reason that cost time
    assert "chart and the CSV" in shown
    files = list(h.fake.files.values())[before:]
    names = sorted(f.name for f in files)
    assert names[0].endswith(".csv") and names[1].endswith(".png")
    png = next(f for f in files if f.name.endswith(".png"))
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    table = list(csv.DictReader(io.StringIO(next(f for f in files if f.name.endswith(".csv")).content.decode())))
    assert [r["reference"] for r in table] == [f"wholesale:{W}"]

    empty = await ask(h, "report wholesale 2025-01")
    assert "No watched order in this period" in empty
    assert "not a period" in await ask(h, "report soon")
    assert "ends before it starts" in await ask(h, "report 2026-11-30..2026-11-01")


async def test_the_weekly_report_is_posted_once_across_replicas_with_its_files_in_its_thread(
    harness: Harness,
) -> None:
    h = harness
    clock = Moving(T0)
    h.ctx.clock = clock
    await _lifecycle(h, clock)
    assert "Every Monday at 09:00 (Europe/Paris)" in await ask(h, "report weekly monday 09:00 Europe/Paris")
    monday = datetime(2026, 11, 9, 8, 1, tzinfo=UTC)  # 09:01 in Paris, a Monday
    assert await owe_due_reports(h.ctx, now=monday - timedelta(minutes=5)) == []
    a, b = await asyncio.gather(owe_due_reports(h.ctx, now=monday), owe_due_reports(h.ctx, now=monday))
    assert sorted(a + b) == [CHANNEL]
    clock.at = monday
    await asyncio.gather(drain_outbox(h.ctx, slack(h)), drain_outbox(h.ctx, slack(h)))
    await drain_outbox(h.ctx, slack(h))  # the files' row, owed once the report is posted
    posts = [m for m in h.fake.channel_messages(CHANNEL) if "Weekly delivery report" in str(m.get("text"))]

    assert len(posts) == 1
    thread = h.fake.thread(CHANNEL, posts[0]["ts"])
    uploaded = [f["name"] for m in thread for f in m.get("files") or []]
    assert sorted(uploaded) == ["weekly-report-2026-11-09.csv", "weekly-report-2026-11-09.png"]

    # A sender that died after uploading (its `sent` lost): the row is taken over, looked up, not uploaded again.
    def lost(s: Session) -> None:
        row = s.exec(select(OutboxMessage).where(OutboxMessage.kind == REPORT_FILES)).one()
        row.status, row.uncertain, row.next_attempt_at = OutboxStatus.PENDING.value, True, monday
        s.add(row)

    await h.ctx.db(lost)
    files = len(h.fake.files)
    await drain_outbox(h.ctx, slack(h))
    assert len(h.fake.files) == files
    with Session(h.ctx.engine) as s:
        row = s.exec(select(OutboxMessage).where(OutboxMessage.kind == REPORT_FILES)).one()
        assert row.status == OutboxStatus.SENT.value
    assert await owe_due_reports(h.ctx, now=monday + timedelta(hours=3)) == []
    assert await owe_due_reports(h.ctx, now=monday + timedelta(days=1)) == []  # Tuesday
    assert "No more weekly report" in await ask(h, "report weekly off")
    with Session(h.ctx.engine) as s:
        assert len(crud.history_of(session=s, team_id="T_SIM", backend="wholesale", order_id=W)) == 4


async def test_a_french_reader_gets_the_report_and_the_timeline_in_french(harness: Harness) -> None:
    h = harness
    clock = Moving(T0)
    h.ctx.clock = clock
    await _lifecycle(h, clock)
    h.fake.add_user("U_MARIE", "marie", locale="fr-FR")
    clock.at = T0 + timedelta(days=10)
    shown = await ask(h, "report wholesale 2026-11", user="U_MARIE")
    assert "Rapport de livraison" in shown and "Terminées : 1" in shown, shown
    timeline = await ask(h, f"history wholesale:{W}", user="U_MARIE")
    assert "Historique de UW-de76cfa1" in timeline and "ouverte le" in timeline, timeline
    assert "Chaque lundi à 09:00" in await ask(h, "report weekly lundi 09:00 Europe/Paris", user="U_MARIE")


async def test_a_report_shared_in_the_channel_is_posted_once_without_files(harness: Harness) -> None:
    h = harness
    clock = Moving(T0)
    h.ctx.clock = clock
    await _lifecycle(h, clock)
    clock.at = T0 + timedelta(days=10)
    await ask(h, "report wholesale 2026-11")
    files = len(h.fake.files)
    before = len(h.fake.channel_messages(CHANNEL))
    await h.user.click("share_in_channel")
    await h.fake.wait_for(lambda: len(h.fake.channel_messages(CHANNEL)) > before, timeout=10)
    (shared,) = h.fake.channel_messages(CHANNEL)[before:]
    assert "Delivery report" in str(shared) and "U_ALICE" in str(shared)
    assert len(h.fake.files) == files  # the files went to the requester; sharing the figures uploads nothing
