"""Measure: database bytes per watched order per month, before and after retention (`OUTBOX_KEEP_DAYS`,
`HISTORY_KEEP_DAYS`).

    .venv/bin/python bench/retention.py [--orders 20] [--items 10] [--days 30] [--changes 4] [--one-read-a-day]
        [--pg URL] [--json FILE]

A month of a watched order through the real path: the sandbox in-process (its clock moved through the day),
`start_watch` (root post, baseline snapshot, first history row, audit), then each day `--changes` changes per order
through the sandbox's admin API (a milestone, an error opened, the error closed, an item's state: in turn), each
followed by a poll cycle (`run_cycle`: diff, snapshot, outbox rows, a history row per read that changed something;
changes hours apart are each seen by a read of their own at any poll interval) and the outbox drained into the
Slack simulator; `--one-read-a-day`: the day's changes, then one cycle (one change set a day). Then:

  live, month done      nothing pruned yet (what the bot kept forever before retention)
  live, month past      the same order 31 days later: retention pruned its sent rows (what a live order keeps for
                        good; add the last OUTBOX_KEEP_DAYS of rows for the steady state)
  ended, month past     the orders completed (final post, watch ended), 31 days later: what is left until
                        HISTORY_KEEP_DAYS (the history, the watch row, the audit trail)
  ended, history past   HISTORY_KEEP_DAYS + 1 days after: the history pruned too (a whole order at a time)

Bytes are the database's own: SQLite after VACUUM (page count × page size, and `dbstat` per table), PostgreSQL
`pg_total_relation_size` per table after VACUUM FULL; each figure is the difference from the database before any
order was watched, divided by the number of orders.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from bot.commands.references import Reference  # noqa: E402
from bot.context import BotContext  # noqa: E402
from bot.jobs.poll import run_cycle  # noqa: E402
from bot.jobs.retention import prune  # noqa: E402
from bot.notify.outbox import drain_outbox  # noqa: E402
from bot.notify.pace import ChannelPacer  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.simulator import FakeSlack  # noqa: E402
from bot.slack import Where  # noqa: E402
from bot.watching import start_watch  # noqa: E402
from integrations.client import OrangeClient  # noqa: E402
from integrations.sandbox import create_app as create_sandbox  # noqa: E402
from storage.columns import utcnow  # noqa: E402
from storage.db import make_engine, normalize_url  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

TOKEN = "xoxb-bench"
CHANNEL = "C_GENERAL"
DAY = 86_400.0
TABLES = (
    "watch",
    "order_snapshot",
    "outbox_message",
    "audit_event",
    "processed_delivery",
    "subscription_order",
    "approval",
    "order_history",
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class PostingTime:
    """The simulator's per-channel post limit and the bot's pacer on one virtual clock: posts are paced as against
    Slack (one a second per channel) without the bench waiting for it (a month of replies would take an hour)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


def _sizes(engine: Any) -> dict[str, int]:
    """Bytes of the whole database ("total") and of each table with its indexes."""
    if engine.dialect.name == "sqlite":  # its own connection: the engine's transactions begin IMMEDIATE, VACUUM can't
        conn = sqlite3.connect(str(engine.url.database), isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            size = conn.execute("PRAGMA page_size").fetchone()[0]
            owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE name IS NOT NULL").fetchall())
            found: dict[str, int] = dict.fromkeys(TABLES, 0)
            for name, bytes_ in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall():
                if owner.get(name) in found:
                    found[owner[name]] += int(bytes_)
            return {"total": int(pages) * int(size), **found}
        finally:
            conn.close()
    with engine.connect() as pg:
        pg = pg.execution_options(isolation_level="AUTOCOMMIT")
        for table in TABLES:
            pg.exec_driver_sql(f"VACUUM FULL {table}")
        found = {t: int(pg.execute(text("SELECT pg_total_relation_size(:t)"), {"t": t}).scalar_one()) for t in TABLES}
        return {"total": sum(found.values()), **found}


def _outbox_kinds(engine: Any) -> dict[str, dict[str, int]]:
    """Per outbox kind: rows, and the mean size of a row's payload (its JSON text)."""
    cast = "payload::text" if engine.dialect.name == "postgresql" else "payload"
    sql = f"SELECT kind, COUNT(*), AVG(LENGTH({cast})) FROM outbox_message GROUP BY kind ORDER BY kind"
    with engine.connect() as conn:
        return {k: {"rows": int(n), "payload_bytes": round(float(b))} for k, n, b in conn.exec_driver_sql(sql).all()}


def _history_kinds(engine: Any) -> dict[str, dict[str, int]]:
    """Per history kind: rows, and the mean size of a row's marks and moves (their JSON text)."""
    cast = "::text" if engine.dialect.name == "postgresql" else ""
    sql = (
        f"SELECT kind, COUNT(*), AVG(LENGTH(marks{cast})), AVG(LENGTH(moves{cast})) FROM order_history"
        " GROUP BY kind ORDER BY kind"
    )
    with engine.connect() as conn:
        return {
            k: {"rows": int(n), "marks_bytes": round(float(m)), "moves_bytes": round(float(v))}
            for k, n, m, v in conn.exec_driver_sql(sql).all()
        }


def _counts(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar_one()) for t in TABLES}


async def _everything_due(ctx: BotContext) -> None:
    def work(session: Any) -> None:
        session.exec(text("UPDATE watch SET next_poll_at = NULL WHERE ended_at IS NULL"))

    await ctx.db(work)


async def _prune_all(ctx: BotContext, *, at: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    while True:
        done = await prune(ctx, now=at, pause=0)
        for kind, count in done.items():
            total[kind] = total.get(kind, 0) + count
        if not any(done.values()):
            return total


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.pg or f"sqlite:///{Path(tmp) / 'retention.db'}"
        if args.pg:  # a schema of its own, dropped at the end
            schema = f"bench_{uuid.uuid4().hex[:12]}"
            admin = make_engine(args.pg)
            with admin.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            db_url = normalize_url(args.pg).update_query_dict({"options": f"-csearch_path={schema}"})
            db_url = db_url.render_as_string(hide_password=False)
        engine = make_engine(db_url)
        upgrade(engine)
        clock = Clock()
        sandbox = create_sandbox(clock=clock, step_seconds=5.0)
        posting = PostingTime()
        try:
            async with FakeSlack.serve(bot_token=TOKEN, clock=posting) as fake:
                settings = Settings(
                    _env_file=None,  # type: ignore[call-arg]
                    slack_bot_token=TOKEN,
                    slack_signing_secret="bench",
                    slack_api_url=fake.api_url,
                    orange_sandbox_url="http://sandbox.test",
                    database_url=db_url,
                )
                transport = httpx.ASGITransport(app=sandbox)
                async with (
                    httpx.AsyncClient(transport=transport) as orange_http,
                    httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as admin_http,
                ):
                    orange = OrangeClient(settings, http_client=orange_http)
                    pacer = ChannelPacer(clock=posting, sleep=posting.sleep)
                    ctx = BotContext(settings=settings, orange=orange, engine=engine, pacer=pacer)
                    slack = fake_client(fake)
                    return await _month(args, ctx, slack, admin_http, sandbox, clock, engine, posting)
        finally:
            engine.dispose()
            if args.pg:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                admin.dispose()


def fake_client(fake: FakeSlack) -> Any:
    from slack_sdk.web.async_client import AsyncWebClient

    return AsyncWebClient(token=TOKEN, base_url=fake.api_url)


async def _month(
    args: argparse.Namespace,
    ctx: BotContext,
    slack: Any,
    admin: httpx.AsyncClient,
    sandbox: Any,
    clock: Clock,
    engine: Any,
    posting: PostingTime,
) -> dict[str, Any]:
    base = _sizes(engine)
    made = await admin.post(
        "/_sandbox/bulk", json={"backend": "wholesale", "count": args.orders, "state": "inProgress"}
    )
    ids = made.json()["ids"]
    store = sandbox.state.sandbox.wholesale_orders
    for order_id in ids:  # `--items` items each, as a real multi-site order
        order = store.get(order_id)
        first = order["productOrderItem"][0]
        order["productOrderItem"] = [
            {**json.loads(json.dumps(first)), "id": f"{first['id']}-{n:02d}"} for n in range(args.items)
        ]
    where = Where(team_id="T1", channel_id=CHANNEL, user_id="U_ALICE")
    for order_id in ids:
        posting.now += 1.0  # a `watch` command a second: its root is posted at once, not through the pacer
        answer = await start_watch(ctx, slack, where, Reference("wholesale", order_id), errors_only=False)
        assert "Watching" in answer.text, answer.text
    steps = ("milestone", "error", "close", "item")
    for day in range(args.days):
        for n in range(args.changes):
            clock.now += DAY / args.changes
            step = steps[(day * args.changes + n) % len(steps)]
            for order_id in ids:
                path = f"/_sandbox/orders/wholesale/{order_id}"
                message = f"Day {day + 1} change {n + 1}"
                if step == "milestone":
                    body: dict[str, Any] = {"message": message}
                    response = await admin.post(f"{path}/milestones", json=body)
                elif step == "error":
                    response = await admin.post(f"{path}/errors", json={"message": f"Open: {message}", "reason": "ORT"})
                elif step == "close":
                    opened = _opened(store.get(order_id))
                    response = await admin.post(f"{path}/errors/close", json={"message": opened})
                else:
                    item = store.get(order_id)["productOrderItem"][(day + n) % args.items]["id"]
                    state = "held" if day % 2 == 0 else "inProgress"
                    response = await admin.post(f"{path}/state", json={"state": state, "item": item})
                assert response.status_code < 300, response.text
            if not args.one_read_a_day or n == args.changes - 1:
                await _everything_due(ctx)
                await run_cycle(ctx, owner="bench")
                await drain_outbox(ctx, slack, max_rounds=1_000)

    keep = timedelta(days=ctx.settings.outbox_keep_days)
    stages: dict[str, Any] = {}
    kinds = _outbox_kinds(engine)
    history = _history_kinds(engine)
    stages["live, month done"] = (_sizes(engine), _counts(engine), {})
    month_past = utcnow() + keep + timedelta(days=1)
    pruned = await _prune_all(ctx, at=month_past)
    stages["live, month past"] = (_sizes(engine), _counts(engine), pruned)

    for order_id in ids:
        await admin.post(f"/_sandbox/orders/wholesale/{order_id}/state", json={"state": "completed", "cascade": True})
    await _everything_due(ctx)
    await run_cycle(ctx, owner="bench")
    await drain_outbox(ctx, slack, max_rounds=1_000)
    pruned = await _prune_all(ctx, at=utcnow() + keep + timedelta(days=1))
    stages["ended, month past"] = (_sizes(engine), _counts(engine), pruned)
    history_past = utcnow() + timedelta(days=ctx.settings.history_keep_days + 1)
    pruned = await _prune_all(ctx, at=history_past)
    stages["ended, history past"] = (_sizes(engine), _counts(engine), pruned)

    report: dict[str, Any] = {
        "orders": args.orders,
        "items": args.items,
        "days": args.days,
        "changes_a_day": args.changes,
        "reads_with_changes_a_day": 1 if args.one_read_a_day else args.changes,
        "database": engine.dialect.name,
        "outbox_kinds_in_the_month": kinds,
        "history_kinds_in_the_month": history,
        "stages": {},
    }
    for name, (sizes, counts, pruned) in stages.items():
        report["stages"][name] = {
            "bytes_per_order": {k: round((sizes[k] - base[k]) / args.orders) for k in sizes},
            "rows": counts,
            "pruned": pruned,
        }
    return report


def _opened(order: dict[str, Any]) -> str:
    for target in [order, *(order.get("productOrderItem") or [])]:
        for entry in reversed(target.get("errorMessage") or []):
            if entry.get("status") == "opened":
                return str(entry["message"])
    raise AssertionError("no opened error to close")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--changes", type=int, default=4, help="changes a day per order")
    parser.add_argument("--one-read-a-day", action="store_true", help="the day's changes seen by one read")
    parser.add_argument("--pg", default=None, help="a PostgreSQL URL (a schema of its own is made and dropped)")
    parser.add_argument("--json", default=None, help="write the report here too")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    text_report = json.dumps(report, indent=2)
    print(text_report)
    if args.json:
        Path(args.json).write_text(text_report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
