"""Orders of any backend as `OrderView`s: one source per backend, so a caller never branches on the backend.

    source = orange.orders("wholesale")
    view = await source.get("de76cfa1-…", fields=["state", "productOrderItem"])
    first = await source.list(states=["inProgress", "held"], limit=20)
    async for view in source.list(ids=["a", "b"], fields=["state"]):
        ...

What a backend's list can do is said by its source, so that a caller picks its strategy without naming backends:
`lists_by_id` (the list filters by `id=a,b,c`), `list_has_state` (every list entry carries the order's state, so
one walk of the list tells each order's state) and `selects_fields` (`fields=` is sent; the other backends have no
field selection, ignore `fields` and answer whole orders or their fixed list summaries).

`reference_filters` are the list filters on the buyer's own reference (`find`), and `looks_like_id` tells an
order id from such a reference where the backend's ids have a known shape.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, get_type_hints

from integrations.pagination import DEFAULT_LIMIT, AsyncPaginator
from integrations.resources import business as business_resources
from integrations.resources import carrier as carrier_resources
from integrations.resources import wholesale as wholesale_resources
from integrations.settings import Backend
from integrations.states import OrderState, normalize_business_step, normalize_order_state
from integrations.types.business import BusinessRequestListParams
from integrations.types.carrier import ProductOrderListParams
from integrations.types.wholesale import WholesaleProductOrderListParams
from integrations.views import OrderView, order_view_from_business, order_view_from_carrier, order_view_from_wholesale

__all__ = [
    "SOURCES",
    "BusinessOrderSource",
    "CarrierOrderSource",
    "ListedOrder",
    "OrderSource",
    "WholesaleOrderSource",
    "entry_digest",
]


def entry_digest(raw: Mapping[str, Any]) -> str:
    """128 bits of blake2b over the entry's JSON, keys sorted: two equal entries, one digest."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class ListedOrder:
    """One entry of an order list as Orange sent it, unread: its id, its digest and its JSON.

    A caller that knows the digest of what it saw last skips the entries that did not change without building a
    model; `OrderSource.view(entry)` reads the others.
    """

    id: str
    digest: str
    raw: dict[str, Any]


class _OrderResource(Protocol):
    """What a source needs of a backend's order resource (`carrier.orders`, `business.requests`…)."""

    async def get(self, order_id: str, /) -> Any: ...

    def list(
        self, params: Any = None, *, limit: int = ..., offset: int = ..., max_items: int | None = None
    ) -> AsyncPaginator[Any]: ...

    def list_json(
        self, params: Any = None, *, limit: int = ..., offset: int = ..., max_items: int | None = None
    ) -> AsyncPaginator[dict[str, Any]]: ...


class OrderSource:
    """The orders of one backend, read as `OrderView`s; `OrangeClient.orders(backend)` gives the backend's own."""

    backend: ClassVar[Backend]
    state_filter: ClassVar[str] = "state"
    """The list's filter on the order state (business requests filter on their `step`)."""
    lists_by_id: ClassVar[bool] = False
    """Whether `list(ids=…)` works: the list filters by id."""
    list_has_state: ClassVar[bool] = False
    """Whether every list entry carries the order's state (a walk of the list summarises every order)."""
    selects_fields: ClassVar[bool] = False
    """Whether `fields` is sent to the backend; elsewhere it is ignored."""
    filter_keys: ClassVar[frozenset[str]] = frozenset()
    """The list filters the backend documents (`state`, `orderDate.gt`, …): what `list(filters=…)` accepts."""
    reference_filters: ClassVar[tuple[str, ...]] = ()
    """The documented list filters on the buyer's reference, each an exact match (TMF630 `attr=value`)."""
    id_pattern: ClassVar[re.Pattern[str] | None] = None
    """The shape of the backend's order ids, where it is known (None: any id `check_id` accepts)."""

    @classmethod
    def looks_like_id(cls, text: str) -> bool:
        """Whether `text` can be an order id of this backend (always, where the shape is unknown)."""
        return cls.id_pattern is None or cls.id_pattern.fullmatch(text) is not None

    def __init__(self, resource: _OrderResource, to_view: Callable[[Any], OrderView]) -> None:
        self._resource = resource
        self._to_view = to_view

    async def get(self, order_id: str, *, fields: Sequence[str] | None = None) -> OrderView:
        """One order; with `fields` (where `selects_fields`), only those attributes (and the id) are read."""
        return self._to_view(await self._fetch(order_id, self._fields(fields)))

    def list(
        self,
        *,
        states: Sequence[str] = (),
        ids: Sequence[str] = (),
        fields: Sequence[str] | None = None,
        filters: Mapping[str, object] | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[OrderView]:
        """Orders in any of `states` (the backend's own words), or among `ids` (where `lists_by_id`), matching
        `filters` (documented keys only: `filter_keys`).

        `await` it for the first page, `async for` it for every order, `.pages()` for every page.
        """
        unknown = sorted(set(filters or {}) - self.filter_keys)
        if unknown:
            raise ValueError(f"the {self.backend} order list has no filter {', '.join(unknown)}")
        params: dict[str, object] = dict(filters or {})
        if states:
            params[self.state_filter] = list(states)
        if ids:
            if not self.lists_by_id:
                raise ValueError(f"the {self.backend} order list cannot filter by id; get each order instead")
            params["id"] = list(ids)
        selected = self._fields(fields)
        if selected:
            params["fields"] = selected
        found = self._resource.list(params or None, limit=limit, offset=offset, max_items=max_items)
        return found.map(self._to_view)

    def entries(
        self, *, ids: Sequence[str], fields: Sequence[str] | None = None, limit: int = DEFAULT_LIMIT
    ) -> AsyncPaginator[ListedOrder]:
        """The orders among `ids` (where `lists_by_id`) as `ListedOrder`s: JSON and digest, no model yet."""
        if not self.lists_by_id:
            raise ValueError(f"the {self.backend} order list cannot filter by id; get each order instead")
        params: dict[str, object] = {"id": list(ids)}
        selected = self._fields(fields)
        if selected:
            params["fields"] = selected
        return self._resource.list_json(params, limit=limit).map(_listed)

    def states(
        self, *, limit: int = DEFAULT_LIMIT, max_items: int | None = None
    ) -> AsyncPaginator[tuple[str, OrderState]]:
        """Every order's (id, state) from the list (where `list_has_state`), read from the JSON: no model per entry
        (a walk of the whole list reads thousands of them each cycle)."""
        if not self.list_has_state:
            raise ValueError(f"the {self.backend} order list does not carry the order state")
        return self._resource.list_json(None, limit=limit, max_items=max_items).map(self._state_entry)

    def _state_entry(self, raw: dict[str, Any]) -> tuple[str, OrderState]:
        return str(raw.get("id") or ""), self.state_of(raw)

    def state_of(self, raw: Mapping[str, Any]) -> OrderState:
        """The normalized state of a list entry (what `view(entry).state` would say)."""
        value = raw.get(self.state_filter)
        return normalize_order_state(value if isinstance(value, str) else None)

    def view(self, entry: ListedOrder) -> OrderView:
        """The `OrderView` of a list entry (raises what the mapping raises on an entry it cannot read)."""
        return self._to_view(entry.raw)

    async def _fetch(self, order_id: str, fields: Sequence[str] | None) -> Any:
        return await self._resource.get(order_id)

    def _fields(self, fields: Sequence[str] | None) -> Sequence[str] | None:
        return list(fields) if fields and self.selects_fields else None


def _listed(raw: dict[str, Any]) -> ListedOrder:
    return ListedOrder(id=str(raw.get("id") or ""), digest=entry_digest(raw), raw=raw)


def _filters(params: type) -> frozenset[str]:
    """The filter keys of a list's params TypedDict (paging, sorting and field selection are not filters)."""
    return frozenset(get_type_hints(params)) - {"offset", "limit", "sort", "fields", "id"}


class CarrierOrderSource(OrderSource):
    """MEF product orders. The list answers summaries (`id`, `orderDate`, `state`, `externalId`)."""

    backend: ClassVar[Backend] = "carrier"
    list_has_state = True
    filter_keys = _filters(ProductOrderListParams)
    reference_filters = ("externalId", "relatedBuyerPON")
    id_pattern = re.compile(r"\d+")  # a number on the wire

    def __init__(self, orders: carrier_resources.Orders) -> None:
        super().__init__(orders, order_view_from_carrier)


class WholesaleOrderSource(OrderSource):
    """TMF622 product orders: listed by id and state, with `fields` selection on the list and the GET."""

    backend: ClassVar[Backend] = "wholesale"
    lists_by_id = True
    selects_fields = True
    filter_keys = _filters(WholesaleProductOrderListParams)
    reference_filters = ("externalIdentifier.id",)
    id_pattern = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")  # UUIDs

    def __init__(self, orders: wholesale_resources.Orders) -> None:
        super().__init__(orders, order_view_from_wholesale)
        self._orders = orders

    async def _fetch(self, order_id: str, fields: Sequence[str] | None) -> Any:
        return await self._orders.get(order_id, fields=fields)


class BusinessOrderSource(OrderSource):
    """Orange Business ordering requests, as orders: their `step` is the state."""

    backend: ClassVar[Backend] = "business"
    state_filter = "step"
    list_has_state = True
    filter_keys = _filters(BusinessRequestListParams) - {"isArchived"}
    reference_filters = ("customerReference",)

    def __init__(self, requests: business_resources.Requests) -> None:
        super().__init__(requests, order_view_from_business)

    def state_of(self, raw: Mapping[str, Any]) -> OrderState:
        value = raw.get("step") or raw.get("status")  # as `order_view_from_business`
        return normalize_business_step(value if isinstance(value, str) else None)


SOURCES: dict[Backend, type[OrderSource]] = {
    "carrier": CarrierOrderSource,
    "wholesale": WholesaleOrderSource,
    "business": BusinessOrderSource,
}
"""Each backend's source class: what its lists can do, before any client exists (a command's filters are checked
against `filter_keys` when it is parsed)."""
