"""APScheduler 3.11 jobs: the poll cycle every `POLL_INTERVAL_SECONDS`, the outbox sender every few seconds, and
the approvals' check (look-ups of lost carrier answers, cards to redraw) every `APPROVALS_INTERVAL_SECONDS`.

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
from bot.context import BotContext
from bot.jobs.outbox import send_outbox
from bot.jobs.poll import run_cycle

__all__ = ["APPROVALS_INTERVAL_SECONDS", "OUTBOX_INTERVAL_SECONDS", "replica_owner", "start_scheduler"]

log = logging.getLogger("bot.jobs.scheduler")

OUTBOX_INTERVAL_SECONDS = 2.0
APPROVALS_INTERVAL_SECONDS = 10.0


def replica_owner() -> str:
    """This process's lease owner name: host, pid and a random suffix (a restart is a new owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def start_scheduler(ctx: BotContext, client: AsyncWebClient) -> AsyncIOScheduler:
    """Start the poll and outbox jobs on the running event loop; `ctx.scheduler_running` reports them."""
    owner = replica_owner()
    interval = float(ctx.settings.poll_interval_seconds)

    async def poll() -> None:
        try:
            await run_cycle(ctx, owner=owner)
        except Exception:  # the next run tries again; a job must not die
            log.exception("poll cycle failed")

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
    scheduler.start()
    ctx.scheduler_running = lambda: bool(scheduler.running)
    log.info("scheduler started: poll every %.0fs as %s, outbox every %.0fs", interval, owner, OUTBOX_INTERVAL_SECONDS)
    return scheduler
