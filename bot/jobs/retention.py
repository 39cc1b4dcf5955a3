"""Retention: what nothing needs any more is deleted after `OUTBOX_KEEP_DAYS` (the order history after
`HISTORY_KEEP_DAYS`, a whole order at a time), in small batches, every hour.

    deleted = await prune(ctx)        # {"outbox": 500, "snapshots": 12, ...}

What goes: outbox rows sent or given up, snapshots of watches that ended, the orders dealt with by rules that ended
(watched or left out), Slack delivery keys, digest schedules turned off, each once older than the limit. What
stays: every row still owed (pending, or being sent), a live watch's snapshot and its "polling is failing" notice
(the one fingerprint it may owe again), a live rule's rows, the watches themselves, approvals and the audit trail.

Each batch is one statement of at most `BATCH` rows in a transaction of its own, so SQLite's write lock is held
for one batch at a time, with a pause between batches for the other writers; a kind stops at a short batch or
after `MAX_BATCHES`, and the next run takes the rest. Two replicas pruning at once delete each row once between
them (a DELETE of a row already gone deletes nothing): harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.context import BotContext
from storage import crud
from storage.models import ReportSchedule

__all__ = ["BATCH", "MAX_BATCHES", "PRUNERS", "prune"]

log = logging.getLogger("bot.jobs.retention")

BATCH = 500
"""Rows one statement deletes at most."""
MAX_BATCHES = 10
"""Batches of one kind per run."""
PAUSE = 0.1
"""Seconds between two batches: other writers get the database in between."""

Pruner = Callable[..., int]


def _report_schedules(*, session: Session, older_than: datetime, limit: int) -> int:
    return crud.prune_ended_schedules(ReportSchedule, session=session, older_than=older_than, limit=limit)


PRUNERS: tuple[tuple[str, Pruner, str], ...] = (
    ("outbox", crud.prune_outbox, "outbox_keep_days"),
    ("snapshots", crud.prune_ended_snapshots, "outbox_keep_days"),
    ("subscription_orders", crud.prune_ended_subscription_orders, "outbox_keep_days"),
    ("deliveries", crud.prune_processed_deliveries, "outbox_keep_days"),
    ("digest_schedules", crud.prune_ended_digest_schedules, "outbox_keep_days"),
    ("report_schedules", _report_schedules, "outbox_keep_days"),
    ("history", crud.prune_history, "history_keep_days"),
)
"""Each takes `session=`, `older_than=`, `limit=` and returns how many rows it deleted (the history: the rows of up
to `limit` orders whose last row is older), after the number of days its setting says."""


async def prune(
    ctx: BotContext,
    *,
    now: datetime | None = None,
    batch: int = BATCH,
    max_batches: int = MAX_BATCHES,
    pause: float = PAUSE,
) -> dict[str, int]:
    """One run: up to `max_batches` batches of `batch` rows of each kind older than its setting (`OUTBOX_KEEP_DAYS`,
    `HISTORY_KEEP_DAYS`); what went."""
    moment = now or ctx.now()
    deleted: dict[str, int] = {}
    for name, pruner, setting in PRUNERS:
        older_than = moment - timedelta(days=float(getattr(ctx.settings, setting)))

        def one_batch(session: Session, pruner: Pruner = pruner) -> int:
            return pruner(session=session, older_than=older_than, limit=batch)

        total = 0
        for n in range(max_batches):
            if n:
                await asyncio.sleep(pause)
            count = await ctx.db(one_batch)
            total += count
            if count < batch:
                break
        deleted[name] = total
    if any(deleted.values()):
        log.info("pruned what its setting let go: %s", deleted)
    return deleted
