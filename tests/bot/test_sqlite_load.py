"""SQLite, the default database, under load: 300 slash commands answered while a 2,000-watch first cycle commits
its batches, and `orange-bot audit` run on the live file while the bot holds the write lock.

SQLite's busy_timeout is cut to 0.25 s here (5 s in production). On this machine one batch of the poll holds the
write lock for 1 to 4 s; the outside audit measured failures where it held it past 5 s. Nothing of the bot may wait
for SQLite's lock at all, so any wait shows as "database is locked" at once, whatever the machine.
"""

from __future__ import annotations

import asyncio
import io
import logging
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from bot_harness import Harness
from sqlalchemy import func
from sqlmodel import Session, col, select
from test_notifier import OWNER

import storage.db
from bot.audit import write_csv
from bot.cli import main
from bot.jobs.poll import run_cycle
from storage import crud
from storage.columns import utcnow
from storage.db import session_scope
from storage.enums import AuditAction
from storage.models import Watch

log = logging.getLogger("tests.sqlite_load")

WATCHES = 2_000
BULK = "C_BULK"  # the cycle's watches: a channel of their own, so `watches` lists a few
CHANNEL = "C_GENERAL"


@pytest.fixture(autouse=True)
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.db, "SQLITE_BUSY_TIMEOUT_MS", 250)


def seed(h: Harness, channel: str, order_ids: list[str]) -> None:
    """Watches of wholesale orders with a root and no snapshot yet (the first cycle reads each in full)."""
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "team_id": "T_SIM",
            "channel_id": channel,
            "backend": "wholesale",
            "order_id": order_id,
            "filter": "all",
            "created_by": "U_ALICE",
            "kind": "order",
            "thread_ts": f"1600000000.{n:06d}",
            "created_at": now,
            "state_since": now,
            "consecutive_failures": 0,
        }
        for n, order_id in enumerate(order_ids)
    ]
    with h.ctx.engine.begin() as conn:
        conn.execute(Watch.__table__.insert(), rows)  # type: ignore[attr-defined]


async def test_300_commands_during_a_2000_watch_first_cycle_all_answered(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    caplog.set_level(logging.INFO, logger="storage.db")
    created = await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": WATCHES + 20})
    ids: list[str] = created.json()["ids"]
    seed(h, BULK, ids[:WATCHES])
    seed(h, CHANNEL, ids[WATCHES:])  # unwatched below
    commands = (
        ["watches"] * 100
        + [f"order wholesale:{i}" for i in ids[100:180]]
        + ["help"] * 80
        + [f"watch wholesale:{i}" for i in ids[:20]]  # watched in C_BULK already: new in this channel
        + [f"unwatch wholesale:{i}" for i in ids[WATCHES:]]
    )
    assert len(commands) == 300
    commands = commands[::3] + commands[1::3] + commands[2::3]  # the writes among the reads

    answers: list[str] = []
    latencies: list[float] = []

    async def command(text: str) -> None:
        sent = time.monotonic()
        ack = await h.user.command(text, channel=CHANNEL)
        assert ack.status == 200 and ack.response_url
        posts = await h.fake.wait_for_responses(ack.response_url, timeout=120)
        latencies.append(time.monotonic() - sent)
        answers.append(str(h.user.render(posts[-1].body)))

    cycle = asyncio.create_task(run_cycle(h.ctx, owner=OWNER))
    await asyncio.sleep(0)  # the cycle's first claim is under way: every command arrives during the cycle
    await asyncio.gather(*(command(text) for text in commands))
    answered = time.monotonic()
    stats = await cycle
    log.info(
        "300 commands during a %d-watch first cycle of %.1f s (ended %.1f s after the last answer): "
        "answered in %.2f s median, %.2f s max",
        WATCHES,
        stats.seconds,
        time.monotonic() - answered,
        statistics.median(latencies),
        max(latencies),
    )

    oops = [a for a in answers if "Something went wrong" in a]
    assert len(answers) == 300 and oops == [], f"{len(oops)} of 300 went wrong: {oops[:1]}"
    assert sum("Watching" in a and "wholesale:" in a for a in answers) == 20
    assert sum("Stopped watching" in a for a in answers) == 20
    assert stats.polled >= WATCHES and stats.failed == 0, stats
    locked = [r.getMessage() for r in caplog.records if "locked" in r.getMessage()]
    assert locked == []  # no unit of work even met the lock: the writers took turns, the readers never asked

    def count(s: Session) -> tuple[int, int]:
        live = select(func.count()).select_from(Watch).where(col(Watch.ended_at).is_(None))
        polled = select(func.count()).where(col(Watch.channel_id) == BULK, col(Watch.last_polled_at).is_not(None))
        return s.exec(live).one(), s.exec(polled).one()

    assert await h.ctx.read(count) == (WATCHES + 20, WATCHES)


@pytest.fixture
def writer_holding_the_lock(harness: Harness) -> Iterator[Callable[[], None]]:
    """A unit of work of the running bot that has written and not committed yet; call the fixture to commit it."""
    release, holding = threading.Event(), threading.Event()

    def work(s: Session) -> None:
        crud.record_audit(session=s, actor="U_BOB", action=AuditAction.WATCH_CREATED, subject="wholesale:late")
        holding.set()
        release.wait(30)

    def run() -> None:
        with session_scope(harness.ctx.engine) as session:
            work(session)

    thread = threading.Thread(target=run)
    thread.start()
    assert holding.wait(10)

    def commit() -> None:
        release.set()
        thread.join()

    try:
        yield commit
    finally:
        commit()


def test_audit_reads_the_live_file_while_the_bot_holds_the_write_lock(
    db_url: str,
    writer_holding_the_lock: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`orange-bot audit` beside the running bot: a process of its own (its own engine) on the same file."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    for _ in range(5):
        assert main(["audit"]) == 0
        assert capsys.readouterr().out.splitlines() == [",".join(crud.AUDIT_CSV_FIELDS)]  # the open write unseen
    writer_holding_the_lock()
    out = io.StringIO()
    assert write_csv(db_url, out) == 0
    assert "wholesale:late" in out.getvalue()
