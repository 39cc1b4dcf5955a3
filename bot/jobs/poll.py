"""The poll job: fetch every due watch's order, diff it against its snapshot, owe the changes to the outbox.

One cycle (`run_cycle`) claims due watches in batches (a lease in the database, so replicas sharing PostgreSQL
never poll the same watch at once; `SKIP LOCKED` spreads them), fetches their orders grouped by backend, and
commits each batch in ONE transaction: the lease releases (a compare-and-set on the owner: a watch whose lease
was lost has its results dropped), the new snapshots, one outbox row per event plus a `root_update` row, and
the end of watches whose order reached a final state. The outbox's `(watch, fingerprint)` key makes a replay
(a crash before the commit, a second replica) owe nothing twice; `bot/jobs/outbox.py` posts.

A watch whose order cannot be read (an `APIError`: a 5xx, malformed JSON…) is released with `ok=False`; at
`FAILURES_BEFORE_NOTICE` consecutive failures its thread gets ONE `polling_failing` message, and ONE
`polling_recovered` when a poll next succeeds (both fingerprinted by the streak: the last success before it).

Fetching:

Each backend's `OrderSource` (integrations) says what its list can do, so no backend is named here:

* a source that `lists_by_id` (wholesale): ONE list request per page of watched orders, `ids` with
  `fields=FIELDS_COMPARED`, walking the pages the server actually returns (the sandbox caps a page at 50); a
  failed list falls back to one GET per order, so one bad order never stops the others.
* a source whose `list_has_state` (carrier `GET /productOrder` summaries `{id, orderDate, state, externalId}`,
  business `GET /requests` with `step`): a batch with at least
  `SUMMARY_MIN_WATCHES` watches of that backend walks the WHOLE list once per cycle (every order of the account,
  at most `SUMMARY_MAX_ITEMS`, every page a counted, rate-capped request; the real carrier API may not filter by
  id) and GETs only the watched orders that need it (`_needs_detail`): no stored snapshot, not in the list, a
  listed state other than the snapshot's, or a detail refresh due (`_refresh_due`: item states, milestones, notes
  change without the order state moving). The others keep their stored view, so they owe nothing. A failed list
  falls back to one GET per order for the rest of the cycle; a smaller batch just GETs each order.

Requests run under a semaphore (bounded concurrency) and a per-backend token bucket (request-rate cap).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.blocks.events import polling_failing_text, polling_recovered_text, render_event_text
from bot.blocks.states import label
from bot.context import BotContext
from bot.diff import FIELDS_COMPARED, Event, EventKind, NoticeKind, OutboxKind, Snapshot, diff
from integrations import BACKENDS, APIError
from integrations.states import OrderState, is_final
from integrations.views import (
    OrderView,
)
from storage import crud
from storage.columns import utcnow
from storage.digest import short_digest
from storage.enums import WatchFilter
from storage.models import Watch

__all__ = [
    "CLAIM_BATCH",
    "DETAIL_EVERY",
    "FAILURES_BEFORE_NOTICE",
    "SUMMARY_MAX_ITEMS",
    "SUMMARY_MIN_WATCHES",
    "CycleStats",
    "TokenBucket",
    "poll_batch",
    "run_cycle",
]

log = logging.getLogger("bot.jobs.poll")

CLAIM_BATCH = 500
"""Watches claimed (and committed) together."""
ID_PAGE = 50
"""Ids per list request, where a backend lists by id (Orange caps a page at 50)."""
CONCURRENCY = 16
"""Carrier requests in flight at once, per cycle."""
RATE_PER_SECOND: dict[str, float] = {"wholesale": 25.0, "carrier": 20.0, "business": 20.0}
"""Request-rate cap per backend (token bucket refill rate; the burst is the same number)."""
FAILURES_BEFORE_NOTICE = 3
"""Consecutive failed polls before the thread is told polling is failing."""
SUMMARY_MIN_WATCHES = 3
"""Fewer watches of a summary backend in a batch: one GET each. The list walk pages through EVERY order of the
account, so it only pays from a few watches on (and its cost is then shared by the whole cycle)."""
SUMMARY_MAX_ITEMS = 10_000
"""At most this many list entries are read per backend and cycle; a watched order beyond them gets its GET."""
SUMMARY_PAGE = 50
"""Entries asked per list page (Orange caps a page at 50 anyway)."""
DETAIL_EVERY = 12
"""A watch polled from the list still gets a full GET once every `DETAIL_EVERY` poll intervals (`_refresh_due`)."""


@dataclass
class CycleStats:
    """What one `run_cycle` did."""

    claimed: int = 0
    polled: int = 0
    failed: int = 0
    lost: int = 0
    events: int = 0
    ended: int = 0
    requests: int = 0
    seconds: float = 0.0
    by_backend: dict[str, int] = field(default_factory=dict)


class TokenBucket:
    """At most `rate` acquisitions per second on average, bursts of `burst`."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(rate, 1.0)
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)


@dataclass
class _Claimed:
    watch: Watch
    snapshot: dict[str, Any] | None


@dataclass
class _Fetcher:
    ctx: BotContext
    stats: CycleStats
    semaphore: asyncio.Semaphore
    buckets: dict[str, TokenBucket]
    _summaries: dict[str, asyncio.Task[dict[str, OrderState] | None]] = field(default_factory=dict)

    async def call(self, backend: str, work: Callable[[], Awaitable[Any]]) -> Any:
        async with self.semaphore:
            await self.buckets[backend].acquire()
            self.stats.requests += 1
            self.stats.by_backend[backend] = self.stats.by_backend.get(backend, 0) + 1
            return await work()

    async def one(self, backend: str, order_id: str) -> OrderView | Exception:
        source = self.ctx.orange.orders(backend)
        try:
            view: OrderView = await self.call(backend, lambda: source.get(order_id, fields=FIELDS_COMPARED))
            return view
        except APIError as err:
            return err
        except Exception as err:  # an order the mapping cannot read must not stop the others
            log.warning("%s:%s could not be read: %r", backend, order_id, err)
            return err

    async def by_ids(self, backend: str, ids: Sequence[str]) -> dict[str, OrderView | Exception]:
        """One list request per page the server returns for these ids; a failed list falls back to GETs."""
        found: dict[str, OrderView | Exception] = {}
        source = self.ctx.orange.orders(backend)
        pages = source.list(ids=ids, fields=FIELDS_COMPARED, limit=len(ids)).pages()
        try:
            while True:
                try:
                    page = await self.call(backend, lambda: anext(pages))
                except StopAsyncIteration:
                    break
                for view in page.items:
                    found[view.id] = view
                if page.next_offset is None or len(found) >= len(ids):
                    break
        except Exception as err:  # APIError, or an entry the mapping cannot read
            log.info("%s list of %d orders failed (%s); one GET each", backend, len(ids), err)
            return dict(zip(ids, await asyncio.gather(*(self.one(backend, i) for i in ids)), strict=True))
        missing = [i for i in ids if i not in found]
        if missing:  # not listed: ask for each, so a gone order gets its own 404
            found.update(zip(missing, await asyncio.gather(*(self.one(backend, i) for i in missing)), strict=True))
        return found

    async def summaries(self, backend: str) -> dict[str, OrderState] | None:
        """Order id -> state from the backend's list, walked once per cycle (its batches share it); None: it failed."""
        task = self._summaries.get(backend)
        if task is None:
            task = self._summaries[backend] = asyncio.create_task(self._walk(backend))
        return await task

    async def _walk(self, backend: str) -> dict[str, OrderState] | None:
        pages = self.ctx.orange.orders(backend).list(limit=SUMMARY_PAGE, max_items=SUMMARY_MAX_ITEMS).pages()
        states: dict[str, OrderState] = {}
        seen = 0
        try:
            while seen < SUMMARY_MAX_ITEMS:
                try:
                    page = await self.call(backend, lambda: anext(pages))
                except StopAsyncIteration:
                    break
                for view in page.items:
                    states[view.id] = view.state
                seen += len(page.items)
                if page.next_offset is None:
                    break
        except Exception as err:  # APIError, or an entry the mapping cannot read
            log.info("%s list failed (%s); one GET per watched order this cycle", backend, err)
            return None
        return states


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _refresh_due(watch: Watch, now: datetime, interval: float) -> bool:
    """Whether a watch polled from the list is due its full GET anyway (item-level changes move no order state).

    Deterministic, the same on every replica: a watch has a refresh point every `DETAIL_EVERY` intervals, shifted
    by `watch.id.int % DETAIL_EVERY` intervals (so the watches' refreshes spread evenly over the cycles), counted
    in seconds since the epoch. The refresh is due when a refresh point lies in (last successful poll — or the
    watch's creation, when its baseline was fetched —, now]: at least one GET per `DETAIL_EVERY` intervals, even if
    cycles are late or polls fail in between (a failed poll does not move `last_polled_at`).
    """
    period = DETAIL_EVERY * interval
    if period <= 0:
        return True
    shift = (watch.id.int % DETAIL_EVERY) * interval
    last = _aware(watch.last_polled_at or watch.created_at).timestamp()
    return math.floor((_aware(now).timestamp() - shift) / period) > math.floor((last - shift) / period)


def _streak_key(watch: Watch) -> str:
    """Identifies a failure streak: the last success before it (or the watch's creation)."""
    moment = watch.last_polled_at or watch.created_at
    return f"{watch.id}:{moment.isoformat()}"


def _event_payload(event: Event, seq: int) -> dict[str, Any]:
    return {"text": render_event_text(event), "event": event.model_dump(mode="json"), "seq": seq}


def _notice(text: str, seq: int) -> dict[str, Any]:
    return {"text": text, "seq": seq}


def _record(
    session: Session,
    claimed: _Claimed,
    result: OrderView | Exception | None,
    *,
    kept: bool,
    owner: str,
    now: datetime,
    interval: timedelta,
    stats: CycleStats,
    update_root: bool = True,
) -> None:
    """Commit one watch's poll (inside the caller's transaction): snapshot, outbox rows, end.

    A successful poll's lease was released already (`kept`: it was still ours); a failed one is released here.
    """
    watch = claimed.watch
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
    ref = f"{watch.backend}:{watch.order_id}"
    seq = 0

    def owe(fingerprint: str, kind: OutboxKind, payload: dict[str, Any], *, broadcast: bool = False) -> None:
        nonlocal seq
        if crud.enqueue_outbox(
            session=session,
            watch_id=watch.id,
            fingerprint=fingerprint,
            kind=kind,
            payload=payload,
            broadcast=broadcast,
        ):
            seq += 1

    if result is None:
        return
    if not isinstance(result, OrderView):
        stats.failed += 1
        if failures >= FAILURES_BEFORE_NOTICE:
            owe(
                "polling_failing:" + short_digest(_streak_key(watch)),
                NoticeKind.polling_failing,
                _notice(polling_failing_text(ref, type(result).__name__), 0),
            )
        return

    stats.polled += 1
    view = result
    if watch.consecutive_failures >= FAILURES_BEFORE_NOTICE:
        owe(
            "polling_recovered:" + short_digest(_streak_key(watch)),
            NoticeKind.polling_recovered,
            _notice(polling_recovered_text(ref), 0),
        )
    previous = Snapshot.from_json(claimed.snapshot) if claimed.snapshot is not None else None
    events, snapshot = diff(previous, view, errors_only=watch.filter == WatchFilter.ERRORS)
    for event in events:
        owe(
            event.fingerprint,
            event.kind,
            _event_payload(event, seq),
            broadcast=event.kind is EventKind.final,
        )
    stats.events += len(events)
    # A watch started by an approval hangs off the approval card: the card keeps who decided, so it is not rewritten.
    if update_root and (previous is None or previous.transitions != snapshot.transitions):
        owe(
            "root:" + short_digest(snapshot.transitions),
            NoticeKind.root_update,
            {"view": view.model_dump(mode="json"), "errors_only": watch.filter == WatchFilter.ERRORS, "seq": seq},
        )
    stored = snapshot.to_json()
    if stored != claimed.snapshot:  # most polls change nothing: no write
        crud.save_snapshot(session=session, watch_id=watch.id, view=stored)
    if is_final(view.state):
        if crud.end_watch(session=session, watch_id=watch.id, reason=f"order reached {label(view.state).lower()}"):
            stats.ended += 1


def _kept_view(claimed: _Claimed, states: dict[str, OrderState], now: datetime, interval: float) -> OrderView | None:
    """The stored view, when the list shows the order unchanged and no refresh is due; None: GET the details."""
    listed = states.get(claimed.watch.order_id)
    if claimed.snapshot is None or listed is None or _refresh_due(claimed.watch, now, interval):
        return None
    try:
        previous = Snapshot.from_json(claimed.snapshot).view
    except Exception:  # a snapshot we cannot read back: fetch afresh
        return None
    return previous if previous.state == listed else None


async def _fetch_all(
    fetcher: _Fetcher, batch: list[_Claimed], *, now: datetime | None = None, interval: float | None = None
) -> dict[uuid.UUID, OrderView | Exception | None]:
    now = now or utcnow()
    if interval is None:
        interval = fetcher.ctx.settings.poll_interval_seconds
    results: dict[uuid.UUID, OrderView | Exception | None] = {}
    by_backend: dict[str, list[_Claimed]] = {}
    for c in batch:
        if c.watch.thread_ts is None:  # the root is not posted yet: nothing to diff against
            results[c.watch.id] = None
            continue
        by_backend.setdefault(c.watch.backend, []).append(c)

    async def listed(backend: str, chunk: list[_Claimed]) -> None:
        found = await fetcher.by_ids(backend, sorted({c.watch.order_id for c in chunk}))
        for c in chunk:
            results[c.watch.id] = found[c.watch.order_id]

    async def single(c: _Claimed) -> None:
        results[c.watch.id] = await fetcher.one(c.watch.backend, c.watch.order_id)

    async def summarized(backend: str, claimed: list[_Claimed]) -> None:
        states = await fetcher.summaries(backend)
        fetch: list[_Claimed] = []
        for c in claimed:
            kept = _kept_view(c, states, now, interval) if states is not None else None
            if kept is None:
                fetch.append(c)
            else:
                results[c.watch.id] = kept
        await asyncio.gather(*(single(c) for c in fetch))

    jobs: list[Awaitable[None]] = []
    for backend, claimed in by_backend.items():
        source = fetcher.ctx.orange.orders(backend)
        if source.lists_by_id:
            jobs.extend(listed(backend, chunk) for chunk in _id_chunks(claimed))
        elif source.list_has_state and len(claimed) >= SUMMARY_MIN_WATCHES:
            jobs.append(summarized(backend, claimed))
        else:
            jobs.extend(single(c) for c in claimed)
    await asyncio.gather(*jobs)
    return results


def _id_chunks(claimed: list[_Claimed]) -> list[list[_Claimed]]:
    """The watches in groups of at most `ID_PAGE` distinct orders (one list request each)."""
    chunks: list[list[_Claimed]] = []
    chunk: list[_Claimed] = []
    distinct: set[str] = set()
    for c in sorted(claimed, key=lambda c: c.watch.order_id):
        if c.watch.order_id not in distinct and len(distinct) == ID_PAGE:
            chunks.append(chunk)
            chunk, distinct = [], set()
        chunk.append(c)
        distinct.add(c.watch.order_id)
    if chunk:
        chunks.append(chunk)
    return chunks


async def poll_batch(
    ctx: BotContext, *, owner: str, fetcher: _Fetcher, limit: int, interval: timedelta, lease: timedelta
) -> int:
    """Claim up to `limit` due watches, poll them, commit; returns how many were claimed."""
    now = utcnow()

    def claim(session: Session) -> list[_Claimed]:
        watches = crud.claim_due_watches(session=session, owner=owner, lease=lease, limit=limit, now=now)
        snapshots = crud.load_snapshots(session=session, watch_ids=[w.id for w in watches])
        for w in watches:
            session.expunge(w)
        return [_Claimed(w, snapshots.get(w.id)) for w in watches]

    batch = await ctx.db(claim)
    if not batch:
        return 0
    fetcher.stats.claimed += len(batch)
    results = await _fetch_all(fetcher, batch, now=now, interval=interval.total_seconds())
    done = utcnow()

    def commit(session: Session) -> None:
        ok = [c.watch.id for c in batch if not isinstance(results.get(c.watch.id), Exception)]
        kept = crud.release_watches_ok(
            session=session, watch_ids=ok, owner=owner, next_poll_at=done + interval, now=done
        )
        crud.load_snapshots(session=session, watch_ids=list(kept))  # save_snapshot then needs no query each
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
                stats=fetcher.stats,
            )

    await ctx.db(commit)
    return len(batch)


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
    interval = timedelta(seconds=ctx.settings.poll_interval_seconds)
    # Two expected cycles, and never under a minute: a slow Orange must not let a second poller in.
    if lease is None:
        lease = max(2 * interval, timedelta(minutes=1))
    stats = CycleStats()
    caps = rates or RATE_PER_SECOND
    fetcher = _Fetcher(
        ctx,
        stats,
        asyncio.Semaphore(concurrency),
        {b: TokenBucket(caps.get(b, 20.0)) for b in BACKENDS},
    )
    while await poll_batch(ctx, owner=owner, fetcher=fetcher, limit=batch, interval=interval, lease=lease) >= batch:
        pass
    stats.seconds = time.monotonic() - started
    log.info(
        "poll cycle: %d claimed, %d polled, %d failed, %d lost, %d events, %d ended, %d requests in %.2fs",
        stats.claimed,
        stats.polled,
        stats.failed,
        stats.lost,
        stats.events,
        stats.ended,
        stats.requests,
        stats.seconds,
    )
    return stats
