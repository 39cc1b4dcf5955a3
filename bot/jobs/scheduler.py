"""APScheduler 3.11 jobs: the poll cycle and the subscriptions' scan every `POLL_INTERVAL_SECONDS`, the outbox
sender every few seconds, the approvals' check (look-ups of lost carrier answers, cards to redraw, reminders and
expiries: `bot.approvals.reminders`) every `APPROVALS_INTERVAL_SECONDS`, the daily digests (a cron job every
minute: each schedule's time comes, and the day's digest is owed to the outbox), retention (every hour: what is
older than `OUTBOX_KEEP_DAYS` and needed by nothing, in small batches), and, with `HUB_CALLBACK_URL`, the hubs'
registration (at start, then whenever one is missing).

Both jobs are `max_instances=1` (a slow cycle is never overlapped by the next), `coalesce=True` (missed runs
collapse into one) and `misfire_grace_time` at least one interval (a late run still runs); the poll job has
some jitter so replicas started together do not poll in lockstep. Several replicas are safe anyway: the
database leases decide who polls a watch and who sends a row.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals.reconcile import reconcile
from bot.approvals.reminders import remind_and_expire
from bot.context import BotContext
from bot.digests import owe_due_digests
from bot.history.weekly import owe_due_reports
from bot.jobs.poll import run_cycle
from bot.jobs.retention import prune
from bot.notify.outbox import send_outbox
from bot.push import HubWatch, ensure_hubs
from bot.subscriptions import scan_due

__all__ = [
    "APPROVALS_INTERVAL_SECONDS",
    "OUTBOX_INTERVAL_SECONDS",
    "RETENTION_INTERVAL_SECONDS",
    "replica_owner",
    "start_scheduler",
]

log = logging.getLogger("bot.jobs.scheduler")

OUTBOX_INTERVAL_SECONDS = 2.0
APPROVALS_INTERVAL_SECONDS = 10.0
RETENTION_INTERVAL_SECONDS = 3600.0


def replica_owner() -> str:
    """This process's lease owner name: host, pid and a random suffix (a restart is a new owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def start_scheduler(ctx: BotContext, client: AsyncWebClient) -> AsyncIOScheduler:
    """Start the poll and outbox jobs on the running event loop; `ctx.scheduler_running` reports them."""
    owner = replica_owner()
    interval = float(ctx.settings.poll_interval_seconds)

    hubs = HubWatch()

    async def poll() -> None:
        try:
            stats = await run_cycle(ctx, owner=owner)
            await hubs.after_cycle(ctx, wholesale_events=stats.events_by_backend.get("wholesale", 0))
        except Exception:  # the next run tries again; a job must not die
            log.exception("poll cycle failed")

    async def subscriptions() -> None:
        try:
            stats = await scan_due(ctx, client, owner=owner)
            if stats.watched:
                log.info("subscriptions watched %d new orders (%d wait for room)", stats.watched, stats.waiting)
        except Exception:
            log.exception("scanning subscriptions failed")

    async def digests() -> None:
        try:
            owed = await owe_due_digests(ctx)
            owed += await owe_due_reports(ctx)  # the weekly reports: the same minute's look
            if owed:
                await send_outbox(ctx, client)  # at once rather than at the outbox job's next round
        except Exception:
            log.exception("sending digests failed")

    async def retention() -> None:
        try:
            await prune(ctx)
        except Exception:
            log.exception("pruning old rows failed")

    async def register_hubs() -> None:
        try:
            done = await ensure_hubs(ctx)
            if done:
                log.info("hubs: %s", done)
        except Exception:
            log.exception("registering hubs failed")

    async def outbox() -> None:
        try:
            await send_outbox(ctx, client)
        except Exception:
            log.exception("outbox round failed")

    async def approvals() -> None:
        try:
            settled = await reconcile(ctx, client)
            if settled:
                log.info("settled %d approvals whose carrier answer was lost: %s", len(settled), settled)
        except Exception:
            log.exception("checking approvals failed")
        try:
            run = await remind_and_expire(ctx, client)
            if run.expired or run.reminded:
                log.info("approvals expired: %s; reminded: %s (%d DMs)", run.expired, run.reminded, run.dms)
        except Exception:
            log.exception("reminding of approvals failed")

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        poll,
        "interval",
        seconds=interval,
        jitter=max(1, int(interval * 0.1)),
        id="poll",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(1, int(interval * 2)),
        replace_existing=True,
    )
    scheduler.add_job(
        outbox,
        "interval",
        seconds=OUTBOX_INTERVAL_SECONDS,
        id="outbox",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(int(OUTBOX_INTERVAL_SECONDS * 5), int(interval)),
        replace_existing=True,
    )
    scheduler.add_job(
        approvals,
        "interval",
        seconds=APPROVALS_INTERVAL_SECONDS,
        id="approvals",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=int(APPROVALS_INTERVAL_SECONDS * 5),
        replace_existing=True,
        next_run_time=datetime.now(UTC),  # at start: what a crash left behind is settled first
    )
    scheduler.add_job(
        subscriptions,
        "interval",
        seconds=interval,
        jitter=max(1, int(interval * 0.1)),
        id="subscriptions",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(1, int(interval * 2)),
        replace_existing=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(digests, "cron", minute="*", id="digests", max_instances=1, coalesce=True, misfire_grace_time=300)
    scheduler.add_job(
        retention,
        "interval",
        seconds=RETENTION_INTERVAL_SECONDS,
        jitter=60,
        id="retention",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=int(RETENTION_INTERVAL_SECONDS),
        replace_existing=True,
    )
    if ctx.settings.hub_callback_url:
        scheduler.add_job(
            register_hubs,
            "interval",
            seconds=max(interval, 60.0),
            id="hubs",
            max_instances=1,
            coalesce=True,
            replace_existing=True,
            next_run_time=datetime.now(UTC),  # at start
        )
    scheduler.start()
    ctx.scheduler_running = lambda: bool(scheduler.running)
    log.info("scheduler started: poll every %.0fs as %s, outbox every %.0fs", interval, owner, OUTBOX_INTERVAL_SECONDS)
    return scheduler
