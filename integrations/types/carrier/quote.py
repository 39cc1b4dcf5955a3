"""Carrier quotes (`quoteManagement/v1`). Orange sends quote ids as numbers (`"id": 34`)."""

from __future__ import annotations

from typing import TypedDict

from pydantic import Field

from ..common import (
    DateFilter,
    EntityRef,
    Fields,
    FilterValue,
    Id,
    ItemRelationship,
    Note,
    OrangeModel,
    OrderPrice,
    ProductOfferingRef,
    RelatedParty,
    Term,
    TimePeriod,
    Timestamp,
    TypedModel,
)
from .product_value import ProductValue

__all__ = [
    "Quote",
    "QuoteCreate",
    "QuoteItem",
    "QuoteItemCreate",
    "QuoteListParams",
    "QuoteStateChangeRequest",
]


class QuoteItem(OrangeModel):
    """One priced item of a quote."""

    id: Id | None = None
    """Item id, unique within the quote."""
    state: str | None = None
    """Item state, e.g. `approved`."""
    action: str | None = None
    """`add` or `modify`."""
    product_offering: ProductOfferingRef | None = None
    """`Intense` or `AccessInterface`."""
    product: ProductValue | None = None
    """The product quoted."""
    quote_item_price: list[OrderPrice] = []
    """Prices: a recurring charge and/or a one-off charge."""
    requested_quote_item_term: Term | None = None
    """The term asked for."""
    quote_item_term: Term | None = None
    """The term quoted."""
    quote_item_relationship: list[ItemRelationship] = []
    """Links an EVPL item to its ENNI items."""
    qualification: list[EntityRef] = []
    """POQs this item relies on."""
    note: list[Note] = []
    related_party: list[RelatedParty] = []
    type_: str | None = Field(default=None, alias="@type")
    schema_location: str | None = Field(default=None, alias="@schemaLocation")


class Quote(TypedModel):
    """A quote (`POST` answer, list entry, or `GET /quote/{id}`)."""

    id: Id | None = None
    """Quote id (a number on the wire, normalised to `str`)."""
    href: str | None = None
    external_id: Id | None = None
    """The buyer's reference."""
    project_id: Id | None = None
    description: str | None = None
    state: str | None = None
    """`approved`, `inProgress`, `rejected`… as sent."""
    quote_level: str | None = None
    """`firm`, `budgetary`…"""
    instant_sync_quoting: bool | None = None
    quote_date: Timestamp | None = None
    """When the quote was made."""
    requested_quote_completion_date: Timestamp | None = None
    expected_quote_completion_date: Timestamp | None = None
    expected_fulfillment_start_date: Timestamp | None = None
    effective_quote_completion_date: Timestamp | None = None
    valid_for: TimePeriod | None = None
    """Validity of the quote: order before `endDate`."""
    request_currency: str | None = None
    requested_currency: str | None = None
    agreement: list[EntityRef] = []
    note: list[Note] = []
    related_party: list[RelatedParty] = []
    quote_item: list[QuoteItem] = []
    """The items."""


class QuoteItemCreate(OrangeModel):
    """One item of a quote request."""

    id: Id
    """Item id of your choice."""
    action: str = "add"
    """`add` or `modify`."""
    product: ProductValue
    """The product to quote."""
    product_offering: ProductOfferingRef | None = None
    requested_quote_item_term: Term | None = None
    """E.g. one year."""
    quote_item_relationship: list[ItemRelationship] = []


class QuoteCreate(OrangeModel):
    """Body of `POST /quote`."""

    quote_item: list[QuoteItemCreate]
    """What to quote."""
    external_id: str | None = None
    """Your reference."""
    project_id: str | None = None
    quote_level: str = "firm"
    instant_sync_quoting: bool = False
    description: str | None = None
    requested_currency: str | None = None
    expected_fulfillment_start_date: Timestamp | None = None
    related_party: list[RelatedParty] = []
    """At least `{"role": "buyer"}`."""


class QuoteStateChangeRequest(OrangeModel):
    """Body of `POST /quote/requestStateChange` (cancel or reject a quote)."""

    id: Id
    state: str
    """`CANCELLED` or `REJECTED` (MEF r4)."""
    cancellation_reason: str | None = None


QuoteListParams = TypedDict(
    "QuoteListParams",
    {
        "offset": int,
        "limit": int,
        "fields": Fields,
        "sort": str,
        "state": FilterValue,
        "externalId": FilterValue,
        "projectId": FilterValue,
        "quoteLevel": FilterValue,
        "quoteDate.gt": DateFilter,
        "quoteDate.gte": DateFilter,
        "quoteDate.lt": DateFilter,
        "quoteDate.lte": DateFilter,
    },
    total=False,
)
"""Query of `GET /quote`."""
