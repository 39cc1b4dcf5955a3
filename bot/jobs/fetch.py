"""Fetching what a poll batch needs, the fewest requests first: each backend's `OrderSource` says what its list
can do (see `bot.jobs.poll` for the strategy), under a semaphore and a per-backend request-rate cap.

A backend whose list fails with an outage (`bot.backend_health.is_outage`: unreachable, 5xx, throttled, refused) is
down: nothing more is asked of it, no GET per order, and its watches are `DEFERRED` (released as they were). A down
backend gets one probe request when its back-off step comes (`Fetcher.ready`); the first list request of each
backend in a cycle goes alone, so an outage found mid-cycle costs that request (and the client's retries), not one
per batch in flight.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot.backend_health import BackendHealth, health_of, is_outage
from bot.commands import CommandError
from bot.context import BotContext
from bot.jobs.outages import announce_down, announce_up
from bot.notify.diff import FIELDS_COMPARED
from bot.queries import fetch_product
from integrations import APIError, ListedOrder, Page
from integrations.states import OrderState
from integrations.views import OrderView, ProductView
from storage import crud
from storage.crud import ClaimedWatch
from storage.enums import WatchKind

__all__ = [
    "CONCURRENCY",
    "DETAIL_EVERY",
    "ID_PAGE",
    "SUMMARY_MAX_ITEMS",
    "SUMMARY_MIN_WATCHES",
    "SUMMARY_PAGE",
    "DEFERRED",
    "Claimed",
    "CycleStats",
    "Deferred",
    "Fetcher",
    "Polled",
    "UNCHANGED",
    "Unchanged",
    "fetch_all",
    "new_fetcher",
]

log = logging.getLogger("bot.jobs.poll")

T = TypeVar("T")


ID_PAGE = 50
"""Ids per list request, where a backend lists by id (Orange caps a page at 50)."""


CONCURRENCY = 16
"""Carrier requests in flight at once, per cycle."""


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
    unchanged: int = 0
    """Polled watches whose order's list entry was the one seen last (nothing read, diffed or written)."""
    failed: int = 0
    deferred: int = 0
    """Watches of a down backend, left for when it answers again (not polled, not failed)."""
    lost: int = 0
    events: int = 0
    ended: int = 0
    requests: int = 0
    seconds: float = 0.0
    by_backend: dict[str, int] = field(default_factory=dict)
    """Requests per backend."""
    events_by_backend: dict[str, int] = field(default_factory=dict)


class Unchanged:
    """The order's list entry is the one the last poll saw (the same digest, or the same listed state while no
    detail refresh is due): no model is built, nothing is diffed, nothing is written but the lease."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = Unchanged()


class Deferred:
    """The watch's backend is down: nothing was asked about its order. Its lease is released as it was (no failure
    counted, its schedule kept), and it is polled when the backend answers again."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DEFERRED"


DEFERRED = Deferred()

Polled = OrderView | ProductView | Unchanged | Deferred | Exception | None
"""What one watch's fetch gave: its order or product, UNCHANGED, DEFERRED, the failure, or None (no root yet:
nothing to do)."""


class _BackendDown(Exception):
    """Inside a fetch: the backend is down (this request found it so, or another one did)."""


@dataclass
class Claimed:
    """A claimed watch and what its snapshot row says, without the stored view (loaded only for a changed order)."""

    watch: ClaimedWatch
    snapshot: dict[str, Any] | None = None
    """The stored view; loaded at commit, for the watches whose order changed."""
    has_snapshot: bool = False
    source_digest: str | None = None
    """The digest of the list entry the stored view was read from (None: read by a GET, or never)."""
    snapshot_state: str | None = None
    """The stored view's order state (None: an older row; the order is then read in full once)."""
    fresh_digest: str | None = None
    """The digest of the list entry this poll read, to store with the new snapshot."""


@dataclass
class Fetcher:
    ctx: BotContext
    stats: CycleStats
    semaphore: asyncio.Semaphore
    health: BackendHealth
    now: datetime
    """The cycle's moment: outages start, and probes fall due, by it."""
    interval: timedelta
    _summaries: dict[str, asyncio.Task[dict[str, OrderState] | None]] = field(default_factory=dict)
    _probes: dict[str, asyncio.Task[bool]] = field(default_factory=dict)
    _first_list: dict[str, asyncio.Event] = field(default_factory=dict)

    async def call(self, backend: str, work: Callable[[], Awaitable[Any]]) -> Any:
        async with self.semaphore:  # the rate cap is the client's own (every attempt passes it, retries too)
            self.stats.requests += 1
            self.stats.by_backend[backend] = self.stats.by_backend.get(backend, 0) + 1
            return await work()

    def down(self, backend: str) -> bool:
        """Whether the backend is down (nothing is asked of it but its probe)."""
        return self.health.is_down(backend)

    async def ready(self, backend: str) -> bool:
        """Whether the backend is polled this cycle: it is up, or it is down, its probe is due and succeeds (one
        list request, at most once per cycle)."""
        if not self.health.is_down(backend):
            return True
        probe = self._probes.get(backend)
        if probe is None:
            if not self.health.probe_due(backend, self.now):
                return False
            probe = self._probes[backend] = asyncio.create_task(self._probe(backend), name=f"{backend} probe")
        return await probe

    async def _probe(self, backend: str) -> bool:
        source = self.ctx.orange.orders(backend)
        try:
            await self.call(backend, lambda: source.list(limit=1))
        except Exception as err:
            if is_outage(err):
                self.health.failed(backend, now=self.now, interval=self.interval, err=err)
                return False
            # Anything else is an answer (one we could not read, say): the backend is there.
        if self.health.recovered(backend, now=self.now) is not None:
            await announce_up(self.ctx, backend)
        return True

    async def list_page(self, backend: str, pages: AsyncIterator[Page[T]]) -> Page[T] | None:
        """The next page of a list (None: there is none); `_BackendDown` when the backend is or goes down.

        The backend's first list request of the cycle goes alone: when it finds an outage, the lists waiting
        behind it (the other batches of ids, the walk) ask nothing.
        """
        first = self._first_list.get(backend)
        mine = first is None
        if first is None:
            first = self._first_list[backend] = asyncio.Event()
        else:
            await first.wait()
        try:
            if self.health.is_down(backend):
                raise _BackendDown(backend)
            try:
                page: Page[T] = await self.call(backend, lambda: anext(pages))
            except StopAsyncIteration:
                return None
            except Exception as err:
                if not is_outage(err):
                    raise
                # Requests in flight together find one outage: the first starts it and tells the channels.
                if not self.health.is_down(backend):
                    started = self.health.failed(backend, now=self.now, interval=self.interval, err=err)
                    if started is not None:
                        await announce_down(self.ctx, backend, started)
                raise _BackendDown(backend) from err
            if mine:
                await self._end_recorded_outage(backend)
            return page
        finally:
            if mine:
                first.set()

    async def _end_recorded_outage(self, backend: str) -> None:
        """The backend answered this cycle's first list: an outage still recorded in the database (every replica that
        saw it restarted, or another one has it down) is over, and the channels are told once."""
        if await self.ctx.read(lambda s: crud.current_outage(session=s, backend=backend)) is not None:
            await announce_up(self.ctx, backend)

    async def one(self, backend: str, order_id: str) -> OrderView | Deferred | Exception:
        if self.health.is_down(backend):
            return DEFERRED
        source = self.ctx.orange.orders(backend)
        try:
            view: OrderView = await self.call(backend, lambda: source.get(order_id, fields=FIELDS_COMPARED))
            return view
        except APIError as err:
            return err
        except Exception as err:  # an order the mapping cannot read must not stop the others
            log.warning("%s:%s could not be read: %r", backend, order_id, err)
            return err

    async def product(self, backend: str, product_id: str) -> ProductView | Deferred | Exception:
        if self.health.is_down(backend):
            return DEFERRED
        try:
            view: ProductView = await self.call(backend, lambda: fetch_product(self.ctx, backend, product_id))
            return view
        except (APIError, CommandError) as err:
            return err

    async def by_ids(
        self, backend: str, ids: Sequence[str]
    ) -> dict[str, ListedOrder | OrderView | Deferred | Exception]:
        """One list request per page the server returns for these ids: each order's entry, unread (`ListedOrder`);
        the backend down: DEFERRED for each order the list did not give; a list we could not read: one GET each
        (an `OrderView` or the failure)."""
        found: dict[str, ListedOrder | OrderView | Deferred | Exception] = {}
        source = self.ctx.orange.orders(backend)
        pages = source.entries(ids=ids, fields=FIELDS_COMPARED, limit=len(ids)).pages()
        try:
            while (page := await self.list_page(backend, pages)) is not None:
                for entry in page.items:
                    found[entry.id] = entry
                if page.next_offset is None or len(found) >= len(ids):
                    break
        except _BackendDown:
            return {i: found.get(i, DEFERRED) for i in ids}
        except Exception as err:  # an answer we could not read (a page that is not a list of objects…)
            log.info("%s list of %d orders unreadable (%s); one GET each", backend, len(ids), err)
            return dict(zip(ids, await asyncio.gather(*(self.one(backend, i) for i in ids)), strict=True))
        missing = [i for i in ids if i not in found]
        if missing:  # not listed: ask for each, so a gone order gets its own 404
            found.update(zip(missing, await asyncio.gather(*(self.one(backend, i) for i in missing)), strict=True))
        return found

    def start_walk(self, backend: str) -> asyncio.Task[dict[str, OrderState] | None]:
        """The walk of the backend's list for this cycle, started now if it is not under way."""
        task = self._summaries.get(backend)
        if task is None:
            task = self._summaries[backend] = asyncio.create_task(self._walk(backend), name=f"{backend} list walk")
        return task

    def walking(self, backend: str) -> bool:
        """Whether this cycle reads (or has read) the backend's list: a small batch then uses it too."""
        return backend in self._summaries

    async def summaries(self, backend: str) -> dict[str, OrderState] | None:
        """Order id -> state from the backend's list, walked once per cycle (its batches share it); None: it failed
        (the backend down, or a page we could not read)."""
        return await self.start_walk(backend)

    async def close(self) -> None:
        """The cycle is over: a walk or probe no batch waited for stops."""
        tasks = [*self._summaries.values(), *self._probes.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _walk(self, backend: str) -> dict[str, OrderState] | None:
        if not await self.ready(backend):
            return None
        pages = self.ctx.orange.orders(backend).states(limit=SUMMARY_PAGE, max_items=SUMMARY_MAX_ITEMS).pages()
        states: dict[str, OrderState] = {}
        seen = 0
        try:
            while seen < SUMMARY_MAX_ITEMS and (page := await self.list_page(backend, pages)) is not None:
                for order_id, state in page.items:
                    states[order_id] = state
                seen += len(page.items)
                if page.next_offset is None:
                    break
        except _BackendDown:
            return None
        except Exception as err:  # an answer we could not read, or an entry the mapping cannot read
            log.info("%s list unreadable (%s); one GET per watched order this cycle", backend, err)
            return None
        return states


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _refresh_due(watch: ClaimedWatch, now: datetime, interval: float) -> bool:
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


def _kept(claimed: Claimed, states: dict[str, OrderState], now: datetime, interval: float) -> bool:
    """Whether the list shows the order in the state of its snapshot and no refresh is due (else: GET it)."""
    listed = states.get(claimed.watch.order_id)
    if not claimed.has_snapshot or claimed.snapshot_state is None or listed is None:
        return False
    return listed.value == claimed.snapshot_state and not _refresh_due(claimed.watch, now, interval)


async def fetch_all(
    fetcher: Fetcher, batch: list[Claimed], *, now: datetime | None = None, interval: float | None = None
) -> dict[uuid.UUID, Polled]:
    now = now or fetcher.ctx.now()
    if interval is None:
        interval = fetcher.ctx.settings.poll_interval_seconds
    results: dict[uuid.UUID, Polled] = {}
    by_backend: dict[str, list[Claimed]] = {}
    products: list[Claimed] = []
    for c in batch:
        if c.watch.kind == WatchKind.PRODUCT and c.watch.thread_ts is not None:
            products.append(c)
            continue
        if c.watch.thread_ts is None:  # the root is not posted yet: nothing to diff against
            results[c.watch.id] = None
            continue
        by_backend.setdefault(c.watch.backend, []).append(c)

    async def listed(backend: str, chunk: list[Claimed]) -> None:
        source = fetcher.ctx.orange.orders(backend)
        found = await fetcher.by_ids(backend, sorted({c.watch.order_id for c in chunk}))
        views: dict[str, OrderView] = {}  # an order two channels watch is read once
        unread: list[Claimed] = []
        for c in chunk:
            entry = found[c.watch.order_id]
            if not isinstance(entry, ListedOrder):  # DEFERRED (backend down), or after an unreadable list its GET
                results[c.watch.id] = entry
                continue
            c.fresh_digest = entry.digest
            if c.has_snapshot and c.source_digest == entry.digest:
                results[c.watch.id] = UNCHANGED
                continue
            if entry.id not in views:
                try:
                    views[entry.id] = source.view(entry)
                except Exception as err:  # an entry the mapping cannot read: its own GET says more
                    log.info("%s:%s list entry unreadable (%s); one GET", backend, entry.id, err)
                    unread.append(c)
                    continue
            results[c.watch.id] = views[entry.id]
        if unread:
            got = await asyncio.gather(*(fetcher.one(backend, c.watch.order_id) for c in unread))
            for c, view in zip(unread, got, strict=True):
                c.fresh_digest = None
                results[c.watch.id] = view

    async def single(c: Claimed) -> None:
        results[c.watch.id] = await fetcher.one(c.watch.backend, c.watch.order_id)

    async def summarized(backend: str, claimed: list[Claimed]) -> None:
        states = await fetcher.summaries(backend)
        fetch: list[Claimed] = []
        for c in claimed:
            if states is not None and _kept(c, states, now, interval):
                results[c.watch.id] = UNCHANGED
            else:
                fetch.append(c)
        await asyncio.gather(*(single(c) for c in fetch))

    async def product(c: Claimed) -> None:
        results[c.watch.id] = await fetcher.product(c.watch.backend, c.watch.order_id)

    # A down backend is asked nothing (its probe aside, when due): its watches wait for it.
    backends = sorted({c.watch.backend for c in products} | set(by_backend))
    ready = dict(zip(backends, await asyncio.gather(*(fetcher.ready(b) for b in backends)), strict=True))
    for c in [*products, *(c for claimed in by_backend.values() for c in claimed)]:
        if not ready[c.watch.backend]:
            results[c.watch.id] = DEFERRED

    jobs: list[Awaitable[None]] = [product(c) for c in products if ready[c.watch.backend]]
    for backend, claimed in by_backend.items():
        if not ready[backend]:
            continue
        source = fetcher.ctx.orange.orders(backend)
        if source.lists_by_id:
            jobs.extend(listed(backend, chunk) for chunk in _id_chunks(claimed))
        elif source.list_has_state and (len(claimed) >= SUMMARY_MIN_WATCHES or fetcher.walking(backend)):
            jobs.append(summarized(backend, claimed))
        else:
            jobs.extend(single(c) for c in claimed)
    await asyncio.gather(*jobs)
    return results


def _id_chunks(claimed: list[Claimed]) -> list[list[Claimed]]:
    """The watches in groups of at most `ID_PAGE` distinct orders (one list request each)."""
    chunks: list[list[Claimed]] = []
    chunk: list[Claimed] = []
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


def new_fetcher(
    ctx: BotContext,
    stats: CycleStats,
    *,
    concurrency: int,
    rates: dict[str, float] | None,
    now: datetime | None = None,
    interval: timedelta | None = None,
) -> Fetcher:
    """`rates` per backend (benchmarks) change the client's request-rate caps; else POLL_REQUESTS_PER_SECOND.

    `now` is the cycle's moment and `interval` its poll interval (outages are timed by them); the backends' health
    is the process's own (`health_of`), kept across cycles.
    """
    if rates:
        ctx.orange.set_rates(rates)
    return Fetcher(
        ctx,
        stats,
        asyncio.Semaphore(concurrency),
        health_of(ctx.orange),
        now or ctx.now(),
        interval if interval is not None else timedelta(seconds=ctx.settings.poll_interval_seconds),
    )
