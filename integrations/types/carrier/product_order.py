"""Carrier product orders (`productOrderManagement/v1`). Orange sends order ids as numbers (`"id": 11`)."""

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
    StateChange,
    Term,
    Timestamp,
    TypedModel,
)
from .product_value import ProductValue, QuoteRef

__all__ = [
    "BillingAccount",
    "BillingContact",
    "CarrierProductOrder",
    "CarrierProductOrderCreate",
    "CarrierProductOrderItem",
    "CarrierProductOrderItemCreate",
    "OrderMessage",
    "ProductOrderListParams",
]


class BillingContact(OrangeModel):
    """Who receives the invoices."""

    contact_name: str | None = None
    contact_first_name: str | None = None
    contact_last_name: str | None = None
    phone_number: str | None = None
    email_address: str | None = None
    street_address: str | None = None
    title: str | None = None
    company_name: str | None = None
    post_code: str | None = None
    city: str | None = None
    country: str | None = None
    vat_number: str | None = None
    invoices_recipient_email: str | None = None


class BillingAccount(OrangeModel):
    """The account billed for the order."""

    id: Id | None = None
    href: str | None = None
    name: str | None = None
    billing_contact: BillingContact | None = None


class OrderMessage(OrangeModel):
    """A message from Orange about the order (MEF r4)."""

    code: str | None = None
    message: str | None = None
    severity: str | None = None
    correction_required: bool | None = None
    field: str | None = None


class CarrierProductOrderItem(OrangeModel):
    """One item of a carrier order: an EVPL or an ENNI."""

    id: Id | None = None
    """Item id, unique within the order."""
    action: str | None = None
    """`add` or `modify`."""
    state: str | None = None
    """Item state as sent (`pending`, `inProgress`, `assesssingCancellation` (sic)…)."""
    product_offering: ProductOfferingRef | None = None
    """`Intense` or `AccessInterface`."""
    product: ProductValue | None = None
    """The product, with its inventory id once known."""
    order_item_price: list[OrderPrice] = []
    """Prices of this item."""
    order_item_relationship: list[ItemRelationship] = []
    """Links an EVPL item to its ENNI items."""
    requested_order_item_term: Term | None = None
    """Commitment asked for."""
    quote: QuoteRef | None = None
    """The quote this item was ordered against."""
    qualification: EntityRef | None = None
    billing_account: BillingAccount | None = None
    related_party: list[RelatedParty] = []
    state_change: list[StateChange] = []
    type_: str | None = Field(default=None, alias="@type")
    schema_location: str | None = Field(default=None, alias="@schemaLocation")


class CarrierProductOrder(TypedModel):
    """A carrier order (`POST` answer, list entry, or `GET /productOrder/{id}`)."""

    id: Id | None = None
    """Order id (a number on the wire, normalised to `str`)."""
    href: str | None = None
    external_id: Id | None = None
    """The buyer's reference."""
    order_date: Timestamp | None = None
    """When Orange took the order."""
    state: str | None = None
    """Order state as sent (`pending`, `inProgress`…)."""
    buyer_request_date: Timestamp | None = None
    requested_start_date: Timestamp | None = None
    requested_completion_date: Timestamp | None = None
    expected_completion_date: Timestamp | None = None
    completion_date: Timestamp | None = None
    cancellation_date: Timestamp | None = None
    cancellation_reason: str | None = None
    order_activity: str | None = None
    """`install`, `change`, `disconnect`."""
    desired_response: str | None = None
    """`confirmationAndEngineeringDesign`…"""
    order_version: str | None = None
    project_id: Id | None = None
    related_buyer_pon: str | None = Field(default=None, alias="relatedBuyerPON")
    """The buyer's purchase order number."""
    priority: int | str | None = None
    request_currency: str | None = None
    billing_account: BillingAccount | None = None
    related_party: list[RelatedParty] = []
    """Contacts; the `buyer` party carries the buyer's id."""
    product_order_item: list[CarrierProductOrderItem] = []
    """The items."""
    note: list[Note] = []
    order_message: list[OrderMessage] = []
    state_change: list[StateChange] = []


class CarrierProductOrderItemCreate(OrangeModel):
    """One item of an order request."""

    id: Id
    """Item id of your choice."""
    action: str = "add"
    product: ProductValue
    product_offering: ProductOfferingRef | None = None
    order_item_relationship: list[ItemRelationship] = []
    requested_order_item_term: Term | None = None
    quote: QuoteRef | None = None
    """Order against a quote: `{"id": "10"}`."""


class CarrierProductOrderCreate(OrangeModel):
    """Body of `POST /productOrder`."""

    product_order_item: list[CarrierProductOrderItemCreate]
    """What to order."""
    external_id: str | None = None
    """Your reference; use it to find the order again after a lost response (no idempotency keys)."""
    buyer_request_date: Timestamp | None = None
    requested_completion_date: Timestamp | None = None
    related_buyer_pon: str | None = Field(default=None, alias="relatedBuyerPON")
    project_id: str | None = None
    order_activity: str = "install"
    desired_response: str = "confirmationAndEngineeringDesign"
    order_version: str = "1"
    billing_account: BillingAccount | None = None
    related_party: list[RelatedParty] = []
    note: list[Note] = []


ProductOrderListParams = TypedDict(
    "ProductOrderListParams",
    {
        "offset": int,
        "limit": int,
        "fields": Fields,
        "sort": str,
        "state": FilterValue,
        "externalId": FilterValue,
        "projectId": FilterValue,
        "relatedBuyerPON": FilterValue,
        "orderDate.gt": DateFilter,
        "orderDate.gte": DateFilter,
        "orderDate.lt": DateFilter,
        "orderDate.lte": DateFilter,
        "buyerRequestDate.gt": DateFilter,
        "buyerRequestDate.lt": DateFilter,
        "requestedCompletionDate.gt": DateFilter,
        "requestedCompletionDate.lt": DateFilter,
    },
    total=False,
)
"""Query of `GET /productOrder` (carrier)."""
