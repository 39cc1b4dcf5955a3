"""The poll job: fetch every due watch's order, diff it against its snapshot, owe the changes to the outbox.

One cycle (`run_cycle`) claims due watches in batches, one backend at a time (a lease in the database, so
replicas sharing PostgreSQL never poll the same watch at once; `SKIP LOCKED` spreads them), fetches their orders,
and commits each batch in ONE transaction while the next batch is claimed and fetched: the lease releases (a
compare-and-set on the owner: a watch whose lease was lost has its results dropped), the new snapshots, ONE
outbox row for all the events of each order read (a change set: `bot.notify.owe`) plus a `root_update` row, and
the end of watches whose order reached a final state. The outbox's `(watch, fingerprint)` key makes a replay (a
crash before the commit, a second replica) owe nothing twice; `bot/notify/outbox.py` posts.

A watch whose order cannot be read (an `APIError`: a 5xx, malformed JSON…) is released with `ok=False`; at
`FAILURES_BEFORE_NOTICE` consecutive failures its thread gets ONE `polling_failing` message, and ONE
`polling_recovered` when a poll next succeeds (both fingerprinted by the streak: the last success before it).

Fetching:

Each backend's `OrderSource` (integrations) says what its list can do, so no backend is named here:

* a source that `lists_by_id` (wholesale): ONE list request per page of watched orders, `ids` with
  `fields=FIELDS_COMPARED` (what the diff compares, and the dates the thread root and the digest show from the
  stored snapshot), walking the pages the server actually returns (the sandbox caps a page at 50); a
  list we cannot read falls back to one GET per order, so one bad order never stops the others (a list that
  fails with an outage does not: see below).
* a source whose `list_has_state` (carrier `GET /productOrder` summaries `{id, orderDate, state, externalId}`,
  business `GET /requests` with `step`): when at least `SUMMARY_MIN_WATCHES` watches of that backend are due at
  the start of a cycle (or a batch holds that many), the WHOLE list is walked once per cycle, from the cycle's
  start (every order of the account, at most `SUMMARY_MAX_ITEMS`, every page a counted, rate-capped request; the
  real carrier API may not filter by id), and only the watched orders that need it get a GET (`_needs_detail`): no
  stored snapshot, not in the list, a listed state other than the snapshot's, or a detail refresh due
  (`_refresh_due`: item states, milestones, notes change without the order state moving). The others keep their
  stored view, so they owe nothing. A list we cannot read falls back to one GET per order for the rest of the
  cycle; a smaller batch, with no walk under way, just GETs each order.

Requests run under a semaphore (bounded concurrency) and a per-backend token bucket (request-rate cap).

An outage is not a failure of each watch: a list that fails with one (`bot.backend_health`: unreachable, 5xx,
throttled, refused) marks its backend down for this process. Nothing more is asked of it, no GET per order; its
watches claimed already are released as they were (`DEFERRED`: no failure counted, still due), and the cycles
after leave them unclaimed, until one probe request, 1, 2, 4 … intervals later (at most 8, at most an hour), is
answered: then the backend is polled as usual and every change meanwhile is found and posted once. The outage is
logged when it starts and when it ends, not per watch, and no thread is told "polling is failing" for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.blocks.states import label
from bot.context import BotContext
from bot.history.keep import keep_read
from bot.jobs.fetch import (
    CONCURRENCY,
    DETAIL_EVERY,
    SUMMARY_MAX_ITEMS,
    SUMMARY_MIN_WATCHES,
    Claimed,
    CycleStats,
    Deferred,
    Fetcher,
    Polled,
    Unchanged,
    fetch_all,
    new_fetcher,
)
from bot.notify.diff import FINAL_PRODUCT_STATUSES, ProductSnapshot, Snapshot, diff, only_errors, product_diff
from bot.notify.owe import Owed
from integrations.states import is_final
from integrations.views import OrderView, ProductView
from storage import crud
from storage.crud import ClaimedWatch
from storage.enums import WatchFilter

__all__ = [
    "CLAIM_BATCH",
    "DETAIL_EVERY",
    "FAILURES_BEFORE_NOTICE",
    "SUMMARY_MAX_ITEMS",
    "SUMMARY_MIN_WATCHES",
    "CycleStats",
    "poll_batch",
    "poll_watches",
    "run_cycle",
]

log = logging.getLogger("bot.jobs.poll")

CLAIM_BATCH = 500
"""Watches claimed (and committed) together."""
FAILURES_BEFORE_NOTICE = 3
"""Consecutive failed polls before the thread is told polling is failing."""


def _streak_key(watch: ClaimedWatch) -> str:
    """Identifies a failure streak: the last success before it (or the watch's creation)."""
    moment = watch.last_polled_at or watch.created_at
    return f"{watch.id}:{moment.isoformat()}"


def _record(
    session: Session,
    claimed: Claimed,
    result: Polled,
    *,
    kept: bool,
    owner: str,
    now: datetime,
    interval: timedelta,
    stats: CycleStats,
    update_root: bool = True,
) -> None:
    """Commit one watch's poll (inside the caller's transaction): snapshot, outbox rows, end.

    A successful poll's lease was released already (`kept`: it was still ours); a failed one is released here; a
    DEFERRED one (its backend is down) was released as it was, and owes nothing.
    """
    watch = claimed.watch
    if isinstance(result, Deferred):
        stats.deferred += 1
        return
    failures = 0
    if isinstance(result, Exception):
        released = crud.release_watch(
            session=session, watch_id=watch.id, owner=owner, next_poll_at=now + interval, ok=False, now=now
        )
        kept = released is not None
        failures = released.consecutive_failures if released is not None else 0
    if not kept:  # the lease expired and another poller took the watch: its results win
        stats.lost += 1
        return
    owed = Owed(session, watch, now=now)
    if result is None:
        return
    if isinstance(result, Exception):
        stats.failed += 1
        if failures >= FAILURES_BEFORE_NOTICE:
            owed.failing(type(result).__name__, streak=_streak_key(watch))
        return

    stats.polled += 1
    if watch.consecutive_failures >= FAILURES_BEFORE_NOTICE:
        owed.recovered(streak=_streak_key(watch))
    if isinstance(result, Unchanged):
        stats.unchanged += 1
        return
    if isinstance(result, ProductView):
        _record_product(session, claimed, result, owed, stats=stats)
        return
    view = result
    previous = Snapshot.from_json(claimed.snapshot) if claimed.snapshot is not None else None
    everything, snapshot = diff(previous, view)
    # The history keeps every change of the read; an `errors` watch's thread shows its errors and final state.
    before = previous.view if previous is not None else None
    keep_read(session, team_id=watch.team_id, view=view, events=everything, previous=before, now=now)
    events = only_errors(everything) if watch.filter == WatchFilter.ERRORS else everything
    if previous is not None and previous.view.state != view.state:
        crud.set_state_since(session=session, watch_id=watch.id, at=now)
    owed.changes(events, view)  # every event of this read: one reply
    stats.events += len(events)
    stats.events_by_backend[watch.backend] = stats.events_by_backend.get(watch.backend, 0) + len(events)
    # A watch started by an approval hangs off the approval card: the card keeps who decided, so it is not rewritten.
    if update_root and (previous is None or previous.transitions != snapshot.transitions):
        owed.root(view, transitions=snapshot.transitions, errors_only=watch.filter == WatchFilter.ERRORS)
    # Writes only what moved (the view, or just the entry's digest and state, so that the next poll stops early).
    crud.save_snapshot(
        session=session,
        watch_id=watch.id,
        view=snapshot.to_json(),
        source_digest=claimed.fresh_digest,
        state=view.state.value,
    )
    if is_final(view.state):
        if crud.end_watch(session=session, watch_id=watch.id, reason=f"order reached {label(view.state).lower()}"):
            stats.ended += 1
            owed.final(view)  # an approval that placed or cancelled the order shows where it ended


def _record_product(session: Session, claimed: Claimed, view: ProductView, owed: Owed, *, stats: CycleStats) -> None:
    """A product watch's poll: its status change, the root edited, the watch ended at a final status."""
    watch = claimed.watch
    previous = ProductSnapshot.from_json(claimed.snapshot) if claimed.snapshot is not None else None
    events, snapshot = product_diff(previous, view)
    owed.changes(events, view)
    stats.events += len(events)
    if events:
        owed.root(view, transitions=snapshot.transitions)
    crud.save_snapshot(session=session, watch_id=watch.id, view=snapshot.to_json())  # writes only what moved
    if view.status in FINAL_PRODUCT_STATUSES:
        if crud.end_watch(session=session, watch_id=watch.id, reason=f"product {view.status.value}"):
            stats.ended += 1


async def _claim_and_fetch(
    ctx: BotContext,
    fetcher: Fetcher,
    *,
    owner: str,
    limit: int,
    interval: timedelta,
    lease: timedelta,
    ids: Sequence[uuid.UUID] | None = None,
    backend: str | None = None,
    skip_backends: Sequence[str] = (),
) -> tuple[list[Claimed], dict[uuid.UUID, Polled]]:
    """Claim up to `limit` due watches (or the watches `ids`; only `backend`'s, if given; none of `skip_backends`,
    left to the replica walking their list) and fetch their orders."""
    now = ctx.now()

    def claim(session: Session) -> list[Claimed]:
        watches = crud.claim_due_watches(
            session=session,
            owner=owner,
            lease=lease,
            limit=limit,
            now=now,
            ids=ids,
            backend=backend,
            skip_backends=skip_backends,
        )
        marks = crud.load_poll_marks(session=session, watch_ids=[w.id for w in watches])
        return [
            Claimed(w, has_snapshot=w.id in marks, source_digest=digest, snapshot_state=state)
            for w in watches
            for digest, state in [marks.get(w.id, (None, None))]
        ]

    batch = await ctx.db(claim)
    if not batch:
        return [], {}
    fetcher.stats.claimed += len(batch)
    return batch, await fetch_all(fetcher, batch, now=now, interval=interval.total_seconds())


async def _commit(
    ctx: BotContext,
    batch: list[Claimed],
    results: dict[uuid.UUID, Polled],
    *,
    owner: str,
    interval: timedelta,
    stats: CycleStats,
) -> None:
    """One transaction for the batch: the leases released, then each watch's snapshot, outbox rows and end."""
    done = ctx.now()

    def commit(session: Session) -> None:
        ok = [c.watch.id for c in batch if not isinstance(results.get(c.watch.id), Exception | Deferred)]
        waiting = [c.watch.id for c in batch if isinstance(results.get(c.watch.id), Deferred)]
        crud.release_watches_unpolled(session=session, watch_ids=waiting, owner=owner)
        kept = crud.release_watches_ok(
            session=session, watch_ids=ok, owner=owner, next_poll_at=done + interval, now=done
        )
        read = [c for c in batch if c.watch.id in kept and isinstance(results.get(c.watch.id), OrderView | ProductView)]
        # Only a changed order needs its stored view (to diff); the rows stay loaded for save_snapshot.
        snapshots = crud.load_snapshots(session=session, watch_ids=[c.watch.id for c in read])
        for c in read:
            c.snapshot = snapshots.get(c.watch.id)
        cards = crud.approval_cards_among(
            session=session, message_ts=[c.watch.thread_ts for c in batch if c.watch.thread_ts]
        )
        for c in batch:
            _record(
                session,
                c,
                results.get(c.watch.id),
                kept=c.watch.id in kept,
                update_root=c.watch.thread_ts not in cards,
                owner=owner,
                now=done,
                interval=interval,
                stats=stats,
            )

    await ctx.db(commit)


async def poll_batch(
    ctx: BotContext,
    *,
    owner: str,
    fetcher: Fetcher,
    limit: int,
    interval: timedelta,
    lease: timedelta,
    ids: Sequence[uuid.UUID] | None = None,
) -> int:
    """Claim up to `limit` due watches (or the watches `ids`), poll them, commit; returns how many were claimed."""
    batch, results = await _claim_and_fetch(
        ctx, fetcher, owner=owner, limit=limit, interval=interval, lease=lease, ids=ids
    )
    if batch:
        await _commit(ctx, batch, results, owner=owner, interval=interval, stats=fetcher.stats)
    return len(batch)


def _passes(enabled: Sequence[str], others: set[str]) -> list[tuple[str | None, list[str]]]:
    """(backend, backends to skip) for each run of batches in a cycle.

    One backend at a time, so a batch fills whole list pages (500 wholesale watches: 10 requests of 50 ids; a
    mixed batch of 417 wholesale watches needs 9, the last part-filled); a backend whose list another replica
    walks is left to it; a last pass takes whatever else is due (a backend no longer enabled: its polls fail,
    and the thread is told).
    """
    mine = [b for b in enabled if b not in others]
    return [(b, []) for b in mine] + [(None, sorted({*enabled, *others}))]


async def _run_pass(
    ctx: BotContext,
    fetcher: Fetcher,
    *,
    owner: str,
    batch: int,
    interval: timedelta,
    lease: timedelta,
    backend: str | None,
    skip_backends: Sequence[str],
) -> None:
    """Batches until a claim comes back short, pipelined: batch n+1 is claimed and fetched while batch n commits
    (the commit runs in a thread; the fetch waits on Orange). Commits stay in order, one at a time. A backend that
    is down (and not answering its probe) is not claimed; one found down stops its pass."""
    if backend is not None and not await fetcher.ready(backend):
        return
    committing: asyncio.Task[None] | None = None
    try:
        while True:
            claimed, results = await _claim_and_fetch(
                ctx,
                fetcher,
                owner=owner,
                limit=batch,
                interval=interval,
                lease=lease,
                backend=backend,
                skip_backends=skip_backends,
            )
            if not claimed:
                break
            if committing is not None:
                await committing
            committing = asyncio.create_task(
                _commit(ctx, claimed, results, owner=owner, interval=interval, stats=fetcher.stats)
            )
            if len(claimed) < batch or (backend is not None and fetcher.down(backend)):
                break
    finally:
        if committing is not None:
            await committing


async def run_cycle(
    ctx: BotContext,
    *,
    owner: str,
    batch: int = CLAIM_BATCH,
    concurrency: int = CONCURRENCY,
    rates: dict[str, float] | None = None,
    lease: timedelta | None = None,
) -> CycleStats:
    """Poll every due watch once (claimed in batches of `batch`); the outbox job posts what this owes.

    `lease` (default: two intervals, at least a minute) is how long a claimed watch stays ours if we die.
    """
    started = time.monotonic()
    interval, lease = _interval_and_lease(ctx, lease)
    stats = CycleStats()
    now = ctx.now()
    fetcher = new_fetcher(ctx, stats, concurrency=concurrency, rates=rates, now=now, interval=interval)
    walks = [b for b in ctx.enabled if ctx.orange.orders(b).list_has_state]

    def take(session: Session) -> tuple[list[str], set[str], list[str]]:
        mine = [
            b for b in walks if crud.claim_walk(session=session, backend=b, owner=owner, until=now + lease, now=now)
        ]
        due = crud.backends_due(session=session, backends=mine, at_least=SUMMARY_MIN_WATCHES, now=now)
        return mine, crud.walks_of_others(session=session, owner=owner, now=now), due

    mine, others, walk_now = await ctx.db(take)
    for walked in walk_now:  # walked while the backends before it are polled: its batches find the list read
        fetcher.start_walk(walked)
    try:
        for backend, skip in _passes(ctx.enabled, others):
            await _run_pass(
                ctx,
                fetcher,
                owner=owner,
                batch=batch,
                interval=interval,
                lease=lease,
                backend=backend,
                skip_backends=skip,
            )
    finally:
        await fetcher.close()
        if mine:
            await ctx.db(lambda s: crud.release_walks(session=s, owner=owner, backends=mine, now=ctx.now()))
    stats.seconds = time.monotonic() - started
    ctx.metrics.poll_cycle(stats.seconds)
    log.info(
        "poll cycle: %d claimed, %d polled, %d failed, %d deferred, %d lost, %d events, %d ended, %d requests in %.2fs",
        stats.claimed,
        stats.polled,
        stats.failed,
        stats.deferred,
        stats.lost,
        stats.events,
        stats.ended,
        stats.requests,
        stats.seconds,
    )
    return stats


def _interval_and_lease(ctx: BotContext, lease: timedelta | None) -> tuple[timedelta, timedelta]:
    interval = timedelta(seconds=ctx.settings.poll_interval_seconds)
    # Two expected cycles, and never under a minute: a slow Orange must not let a second poller in.
    return interval, lease if lease is not None else max(2 * interval, timedelta(minutes=1))


async def poll_watches(ctx: BotContext, watch_ids: Sequence[uuid.UUID], *, owner: str) -> CycleStats:
    """Poll these watches now, whatever their schedule (an event from Orange said their order moved).

    The same claim, fetch, diff and commit as a cycle: a watch another poller holds is left to it, and what was
    posted already is not owed again, so a repeated or stale event changes nothing.
    """
    stats = CycleStats()
    if not watch_ids:
        return stats
    interval, lease = _interval_and_lease(ctx, None)
    fetcher = new_fetcher(ctx, stats, concurrency=CONCURRENCY, rates=None, now=ctx.now(), interval=interval)
    try:
        await poll_batch(
            ctx, owner=owner, fetcher=fetcher, limit=len(watch_ids), interval=interval, lease=lease, ids=watch_ids
        )
    finally:
        await fetcher.close()  # a probe this re-read started and left
    return stats
