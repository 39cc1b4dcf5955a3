"""Everything the sandbox remembers: resources, tokens, faults, request counts and the clock."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .hubs import HubDeliveries
from .lifecycle import Lifecycle

Record = dict[str, Any]

FINAL_STATES = frozenset({"completed", "cancelled", "rejected", "failed", "partial", "done", "closed", "terminated"})


def is_final(state: Any) -> bool:
    return isinstance(state, str) and state.casefold() in FINAL_STATES


def iso_seconds(moment: datetime) -> str:
    """``2021-03-30T14:46:53Z``: the carrier's date format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_millis(moment: datetime) -> str:
    """``2021-07-22T09:27:22.000Z``: the United Way date format (in UTC)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Store:
    """Resources of one kind, by id (as a string), in insertion order.

    A resource may have an explicit ``summary`` (what a list shows, when the documents show a
    list item that differs from the detail); otherwise lists show the detail, projected on
    ``summary_keys`` when those are set.
    """

    def __init__(self, *, summary_keys: tuple[str, ...] | None = None) -> None:
        self.records: dict[str, Record] = {}
        self.summaries: dict[str, Record] = {}
        self.position: dict[str, int] = {}
        self.summary_keys = summary_keys
        self._next_position = 0
        self.listed_from: dict[str, float] = {}
        """Keys lists leave out until this sandbox clock reading (late indexing); a GET by id finds them."""

    def put(self, record: Record, *, summary: Record | None = None, listed_from: float | None = None) -> Record:
        key = str(record["id"])
        if key not in self.position:
            self.position[key] = self._next_position
            self._next_position += 1
        if listed_from is not None:
            self.listed_from[key] = listed_from
        self.records[key] = record
        if summary is not None:
            self.summaries[key] = summary
        else:
            self.summaries.pop(key, None)
        return record

    def get(self, key: Any) -> Record | None:
        return self.records.get(str(key))

    def listed(self, key: str, now: float) -> bool:
        """Whether lists show `key` yet."""
        since = self.listed_from.get(key)
        if since is None:
            return True
        if since <= now:
            del self.listed_from[key]
            return True
        return False

    def remove(self, key: Any) -> Record | None:
        self.summaries.pop(str(key), None)
        self.listed_from.pop(str(key), None)
        self.position.pop(str(key), None)
        return self.records.pop(str(key), None)

    def changed(self, key: Any) -> None:
        """Forget an explicit summary once the resource changed, so lists follow the detail."""
        self.summaries.pop(str(key), None)

    def summary(self, key: str) -> Record:
        explicit = self.summaries.get(key)
        if explicit is not None:
            return explicit
        record = self.records[key]
        if self.summary_keys is None:
            return record
        return {name: record[name] for name in self.summary_keys if name in record}

    def filter_view(self, key: str) -> Record:
        """What filters look at: the detail, overridden by an explicit summary."""
        explicit = self.summaries.get(key)
        record = self.records[key]
        return {**record, **explicit} if explicit is not None else record

    def keys(self) -> Iterator[str]:
        return iter(self.records)

    def values(self) -> Iterator[Record]:
        return iter(self.records.values())

    def __len__(self) -> int:
        return len(self.records)

    def __contains__(self, key: object) -> bool:
        return str(key) in self.records


@dataclass
class Token:
    value: str
    client_id: str
    scopes: list[str]
    issued_at: float
    expires_at: float


@dataclass
class Fault:
    id: str
    path: re.Pattern[str]
    method: str | None
    status: int | None
    body: Any
    headers: dict[str, str]
    latency: float
    remaining: int
    hits: int = 0
    after: bool = False
    """Do the work first, then answer with this fault (Orange's gateway failing after the order was created)."""

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path.pattern,
            "method": self.method,
            "status": self.status,
            "body": self.body,
            "headers": self.headers,
            "latency": self.latency,
            "count": self.remaining,
            "hits": self.hits,
            "after": self.after,
        }


@dataclass
class Config:
    step_seconds: float = 5.0
    token_ttl: float = 3600.0
    max_page_size: int = 50
    latency: float = 0.0
    api_key: str | None = None
    clients: Mapping[str, str] | None = None
    synthetic_business_requests: int = 30
    index_delay: float = 0.0
    """Seconds (sandbox clock) before a created order or cancellation shows in lists: Orange indexes late."""


@dataclass
class Counters:
    requests: Counter[str] = field(default_factory=Counter)
    token_requests: Counter[str] = field(default_factory=Counter)

    def snapshot(self) -> dict[str, Any]:
        return {
            "counts": dict(sorted(self.requests.items())),
            "token_requests": dict(sorted(self.token_requests.items())),
            "total": sum(self.requests.values()),
        }

    def clear(self) -> None:
        self.requests.clear()
        self.token_requests.clear()


class SandboxState:
    """The sandbox's memory. ``app.state.sandbox`` is one of these."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] | None = None,
        start: datetime | None = None,
        config: Config,
        seed: Callable[[SandboxState], None] | None = None,
    ) -> None:
        """`seed` fills the empty stores, at first and on every `reset()` (`create_app` passes `seed_state`)."""
        self._clock = clock or time.monotonic
        self.config = config
        self._seed = seed
        self.offset = 0.0
        self.t0 = self._clock()
        self.start = (start or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        self.tokens: dict[str, Token] = {}
        self.counters = Counters()
        self.faults: list[Fault] = []
        self.fault_seq = 0
        self._dates: dict[tuple[Callable[[datetime], str], float, timedelta], str] = {}
        self.deliveries = HubDeliveries(self)
        """The events POSTed to the callbacks of registered hubs (`hubs.py`)."""
        self.reset()

    # ------------------------------------------------------------------ time

    def now(self) -> float:
        """The sandbox clock: the injected clock plus the admin offset (``/_sandbox/advance``)."""
        return self._clock() + self.offset

    def wall(self, at: float | None = None) -> datetime:
        """The calendar time of a sandbox clock reading (default: now)."""
        moment = self.now() if at is None else at
        return self.start + timedelta(seconds=moment - self.t0)

    def carrier_date(self, at: float | None = None, *, plus: timedelta = timedelta(0)) -> str:
        return self._date(iso_seconds, at, plus)

    def tmf_date(self, at: float | None = None, *, plus: timedelta = timedelta(0)) -> str:
        return self._date(iso_millis, at, plus)

    def _date(self, fmt: Callable[[datetime], str], at: float | None, plus: timedelta) -> str:
        # Thousands of bulk orders step at the same instant: format each instant once.
        key = (fmt, self.now() if at is None else at, plus)
        text = self._dates.get(key)
        if text is None:
            if len(self._dates) > 4096:
                self._dates.clear()
            text = self._dates[key] = fmt(self.wall(key[1]) + plus)
        return text

    def tick(self) -> None:
        self.lifecycle.tick(self.now())

    def listed_from(self) -> float | None:
        """When a resource created now appears in lists (None: at once)."""
        delay = self.config.index_delay
        return self.now() + delay if delay > 0 else None

    # ------------------------------------------------------------------ data

    def reset(self) -> None:
        """Forget every resource and go back to the seed (tokens and counters are kept)."""
        self.lifecycle = Lifecycle()
        self.faults.clear()
        self.deliveries.faults.clear()
        # carrier (MEF Sonata)
        self.addresses = Store()
        self.sites = Store()
        self.poqs = Store()
        self.quotes = Store(summary_keys=("id", "state", "quoteLevel", "quoteDate", "effectiveQuoteCompletionDate"))
        self.carrier_orders = Store(summary_keys=("id", "orderDate", "state", "externalId"))
        self.carrier_products = Store(summary_keys=("id", "status", "productOffering", "productSpecification"))
        # wholesale (United Way)
        self.wholesale_orders = Store()
        self.cancellations = Store()
        self.ordering_hubs = Store()
        self.inventory = Store()
        self.inventory_hubs = Store()
        self.catalog: dict[str, Store] = {
            name: Store()
            for name in (
                "productOffering",
                "productOfferingPrice",
                "productSpecification",
                "productSpecCharacteristic",
                "category",
            )
        }
        # business
        self.business_requests = Store()
        # the account's parties, which the carrier copies onto every POQ, quote and order
        self.account_parties: list[Record] = []
        # id generators and indexes
        self.wholesale_external_ids: set[str] = set()
        self.next_carrier_order_id = 1
        self.next_quote_id = 1
        self.next_cancel_id = 1
        self.next_product_number = 30200
        self.bulk_seq = 0
        if self._seed is not None:
            self._seed(self)
        self._renumber()

    def _renumber(self) -> None:
        def after(store: Store) -> int:
            numbers = [int(key) for key in store.keys() if key.isdigit()]
            return max(numbers, default=0) + 1

        self.next_carrier_order_id = after(self.carrier_orders)
        self.next_quote_id = after(self.quotes)
        self.next_cancel_id = after(self.cancellations)
        self.wholesale_external_ids = {
            ext for order in self.wholesale_orders.values() for ext in customer_identifiers(order)
        }

    def orders(self, backend: str) -> Store | None:
        """The order store of a backend, for the admin API."""
        return {
            "carrier": self.carrier_orders,
            "wholesale": self.wholesale_orders,
            "business": self.business_requests,
        }.get(backend)


def customer_identifiers(order: Mapping[str, Any]) -> list[str]:
    """The ``customerIdentifier`` external ids of a United Way order."""
    found: list[str] = []
    identifiers = order.get("externalIdentifier")
    if not isinstance(identifiers, list):
        return found
    for ident in identifiers:
        if not isinstance(ident, dict) or "id" not in ident:
            continue
        kind = str(ident.get("externalIdentifierType", "customerIdentifier")).casefold()
        if kind == "customeridentifier":
            found.append(str(ident["id"]))
    return found
