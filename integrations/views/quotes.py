"""Carrier quotes: `QuoteView` and its priced items."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from integrations.states import ORDERABLE_QUOTE_STATES, QuoteState, normalize_quote_state
from integrations.types.carrier import Quote, QuoteItem
from integrations.types.carrier.product_value import ProductValue
from integrations.types.common import as_datetime

from ._common import (
    Backend,
    PriceView,
    TermView,
    View,
    as_model,
    canonical,
    configuration,
    id_key,
    place_ids,
    price_views,
    term_view,
    unique,
)

__all__ = [
    "QuoteItemView",
    "QuoteView",
    "quote_view_from_carrier",
]


class QuoteItemView(View):
    """One priced item of a quote."""

    id: str
    action: str | None = None
    state: QuoteState = QuoteState.unknown
    state_raw: str | None = None
    offering_id: str | None = None
    specification_id: str | None = None
    product_id: str | None = None
    bandwidth: str | None = None
    class_of_service: str | None = None
    term: TermView | None = None
    prices: tuple[PriceView, ...] = ()
    site_ids: tuple[str, ...] = ()
    related_product_ids: tuple[str, ...] = ()
    """Existing products (ENNI ports) the item relies on."""


class QuoteView(View):
    """A carrier quote."""

    backend: Backend = "carrier"
    id: str
    reference: str
    state: QuoteState = QuoteState.unknown
    state_raw: str | None = None
    level: str | None = None
    description: str | None = None
    external_id: str | None = None
    quote_date: datetime | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    items: tuple[QuoteItemView, ...] = ()
    prices: tuple[PriceView, ...] = ()

    def is_orderable(self, now: datetime | None = None) -> bool:
        """Approved (or ready, or accepted) and still valid at `now` (default: the current time).

        A quote without an end of validity is not orderable: the list entries lack it, fetch the quote.
        """
        if self.state not in ORDERABLE_QUOTE_STATES or self.valid_until is None:
            return False
        moment = now if now is not None else datetime.now(UTC)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return self.valid_until > moment


def _quote_item(item: QuoteItem) -> QuoteItemView:
    item_id = item.id
    product = item.product or ProductValue()
    offering = item.product_offering or product.product_offering
    bandwidth, cos = configuration(product.product_configuration)
    return QuoteItemView(
        id=item_id or "",
        action=item.action,
        state=normalize_quote_state(item.state),
        state_raw=item.state,
        offering_id=offering.id if offering else None,
        specification_id=product.product_specification.id if product.product_specification else None,
        product_id=product.id,
        bandwidth=bandwidth,
        class_of_service=cos,
        term=term_view(item.quote_item_term or item.requested_quote_item_term),
        prices=price_views(item.quote_item_price, item_id),
        site_ids=place_ids(product.place),
        related_product_ids=unique(r.product.id for r in product.product_relationship if r.product),
    )


def quote_view_from_carrier(quote: Quote | Mapping[str, Any]) -> QuoteView:
    """A carrier quote: full, or a list entry."""
    q = as_model(Quote, quote)
    items = canonical((_quote_item(i) for i in q.quote_item), lambda v: id_key(v.id))
    quote_id = q.id or ""
    return QuoteView(
        backend="carrier",
        id=quote_id,
        reference=f"carrier:{quote_id}",
        state=normalize_quote_state(q.state),
        state_raw=q.state,
        level=q.quote_level,
        description=q.description,
        external_id=q.external_id,
        quote_date=as_datetime(q.quote_date),
        valid_from=as_datetime(q.valid_for.start_date) if q.valid_for else None,
        valid_until=as_datetime(q.valid_for.end_date) if q.valid_for else None,
        items=items,
        prices=canonical((p for i in items for p in i.prices), lambda v: (id_key(v.item_id), v.kind, v.amount)),
    )
