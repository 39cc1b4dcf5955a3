"""One read model across Orange's backends: what the bot renders and what the notifier diffs.

Views are frozen pydantic models built from the wire models of `integrations.types` by the
`*_view*` functions of this package (one module per resource). They are deterministic: lists are
sorted canonically (items by id, error messages by item, timestamp and message, …), amounts are
normalised decimals and dates are aware UTC datetimes, so two fetches of the same order give equal
views whatever the order of the lists in the responses. They round-trip through
`model_dump(mode="json")` / `model_validate`. Every mapping is total over partial objects: a
`fields=state` list entry maps too, and each accepts a wire model or its decoded JSON.
"""

from __future__ import annotations

from ._common import Backend, NoteView, PartyView, PriceKind, PriceView, TermView, price_view
from .catalog import CharacteristicSpecView, OfferingRefView, OfferingView, offering_view, price_view_from_catalog
from .orders import (
    BusinessRequestView,
    ErrorMessageView,
    JeopardyAlertView,
    MilestoneView,
    OrderItemView,
    OrderView,
    label_view,
    order_item_view_from_carrier,
    order_item_view_from_wholesale,
    order_label,
    order_view_from_business,
    order_view_from_carrier,
    order_view_from_wholesale,
)
from .products import ProductView, product_view_from_carrier, product_view_from_wholesale
from .qualification import IntervalView, PoqItemView, PoqView, poq_view
from .quotes import QuoteItemView, QuoteView, quote_view_from_carrier
from .sites import (
    AddressMatchView,
    AddressValidationView,
    SiteView,
    address_match_view,
    address_validation_view,
    site_view_from_carrier,
)

__all__ = [
    "AddressMatchView",
    "AddressValidationView",
    "Backend",
    "BusinessRequestView",
    "CharacteristicSpecView",
    "ErrorMessageView",
    "IntervalView",
    "JeopardyAlertView",
    "MilestoneView",
    "NoteView",
    "OfferingRefView",
    "OfferingView",
    "OrderItemView",
    "OrderView",
    "PartyView",
    "PoqItemView",
    "PoqView",
    "PriceKind",
    "PriceView",
    "ProductView",
    "QuoteItemView",
    "QuoteView",
    "SiteView",
    "TermView",
    "address_match_view",
    "address_validation_view",
    "offering_view",
    "order_item_view_from_carrier",
    "order_item_view_from_wholesale",
    "label_view",
    "order_label",
    "order_view_from_business",
    "order_view_from_carrier",
    "order_view_from_wholesale",
    "poq_view",
    "price_view",
    "price_view_from_catalog",
    "product_view_from_carrier",
    "product_view_from_wholesale",
    "quote_view_from_carrier",
    "site_view_from_carrier",
]
