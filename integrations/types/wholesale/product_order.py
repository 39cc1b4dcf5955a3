"""Wholesale product orders (United Way, TMF622 `productOrderingManagement`, Orange's `/v1`).

Orange adds to TMF622 v4: `milestone[]`, `errorMessage[]` and `jeopardyAlert[]` on each item,
`itemTerm[]` (commitment), notes typed `errorNote`/`OrderTakingNote`, and the states
`inProgress.accepted` (also on items) and, in prose and filters, `AKNOWLEGDED.INIT`/`INPROGRESS`.
"""

from __future__ import annotations

from typing import Any, TypedDict

from pydantic import Field

from ..common import (
    Characteristic,
    DateFilter,
    EntityRef,
    ExternalIdentifier,
    Fields,
    FilterValue,
    Id,
    ItemRelationship,
    Note,
    OrangeModel,
    OrderPrice,
    ProductOfferingRef,
    ProductRelationship,
    ProductSpecificationRef,
    RelatedParty,
    RelatedPlace,
    Term,
    Timestamp,
    TypedModel,
)

__all__ = [
    "AgreementRef",
    "AppointmentRef",
    "ErrorMessage",
    "JeopardyAlert",
    "Milestone",
    "OrderItemProduct",
    "WholesaleProductOrder",
    "WholesaleProductOrderCreate",
    "WholesaleProductOrderItem",
    "WholesaleProductOrderItemCreate",
    "WholesaleProductOrderListParams",
]


class AgreementRef(EntityRef):
    """The contract the order falls under (`{"id": "TESTFTTHAcess1", "@type": "AgreementItemRef"}`)."""


class AppointmentRef(EntityRef):
    """A technician appointment (`IOC-BOA-…-ERDV`)."""


class Milestone(OrangeModel):
    """A delivery step reached; Orange's milestones are informational and always `completed`."""

    id: Id | None = None
    name: str | None = None
    """Product line, e.g. `FTTH`."""
    message: str | None = None
    """Short text, e.g. `En cours de production`."""
    description: str | None = None
    """Longer text."""
    milestone_date: Timestamp | None = None
    """When it was reached."""
    status: str | None = None
    """`completed`."""
    type_: str | None = Field(default=None, alias="@type")
    """`Milestone`."""


class ErrorMessage(OrangeModel):
    """A delivery issue: `opened` while active, `closed` once solved. It has no id."""

    code: str | None = None
    message: str | None = None
    """What happened."""
    reason: str | None = None
    """Who must act: `OWF` (Orange), `ORT` (the operator)…"""
    status: str | None = None
    """`opened` or `closed`."""
    timestamp: Timestamp | None = None
    """When it was raised."""
    reference_error: str | None = None
    type_: str | None = Field(default=None, alias="@type")
    """`ErrorMessage`."""


class JeopardyAlert(OrangeModel):
    """A risk on the delivery date (Orange does not use them yet)."""

    id: Id | None = None
    name: str | None = None
    message: str | None = None
    jeopardy_type: str | None = None
    alert_date: Timestamp | None = None
    type_: str | None = Field(default=None, alias="@type")


class OrderItemProduct(OrangeModel):
    """The product of an order item: an offering with its characteristics, place and relationships."""

    id: Id | None = None
    """Inventory id of an existing product (modification and termination)."""
    href: str | None = None
    name: str | None = None
    is_bundle: bool | None = None
    product_offering: ProductOfferingRef | None = None
    """The catalog offering, e.g. `GOC40140084001`."""
    product_specification: ProductSpecificationRef | None = None
    product_characteristic: list[Characteristic] = []
    """The chosen characteristics."""
    product_relationship: list[ProductRelationship] = []
    """Links to inventory products (`reliesOn` a collect)."""
    place: list[RelatedPlace] = []
    """Delivery or shipping address (`GeographicSiteBuilding`, `GeographicAddress`)."""
    related_party: list[RelatedParty] = []
    agreement: list[AgreementRef] = []
    type_: str | None = Field(default=None, alias="@type")


class WholesaleProductOrderItem(OrangeModel):
    """One item of a wholesale order (also `GET /productOrder/{id}/productOrderItem/{itemId}`)."""

    id: Id | None = None
    """Item id, unique within the order."""
    action: str | None = None
    """`add`, `modify`, `noChange` or `delete`."""
    state: str | None = None
    """Item state as sent (`inProgress.accepted`, `pending`, `held`…)."""
    quantity: int | None = None
    is_bundle: bool | None = None
    product: OrderItemProduct | None = None
    """The product."""
    product_offering: ProductOfferingRef | None = None
    product_order_item_relationship: list[ItemRelationship] = []
    """Bundled items (`bundles`)."""
    appointment: AppointmentRef | None = None
    milestone: list[Milestone] = []
    """Steps reached."""
    error_message: list[ErrorMessage] = []
    """Issues, opened and closed."""
    jeopardy_alert: list[JeopardyAlert] = []
    item_term: list[Term] = []
    """Commitment (`OrderTerm`)."""
    item_total_price: list[OrderPrice] = []
    """Prices of this item."""
    item_price: list[OrderPrice] = []
    note: list[Note] = []
    type_: str | None = Field(default=None, alias="@type")
    """`ProductOrderItem`."""


class WholesaleProductOrder(TypedModel):
    """A wholesale order (`GET /productOrder/{id}`, or a list entry, often partial with `fields=`)."""

    id: Id | None = None
    """Order id (a UUID)."""
    href: str | None = None
    description: str | None = None
    state: str | None = None
    """Order state as sent (`acknowledged`, `inProgress.accepted`, `INPROGRESS`…)."""
    product_order_specification: str | None = None
    """`Acquisition`, `Termination`, `gtrModification`, `speedCosModification`."""
    category: str | None = None
    priority: str | None = None
    instant_sync_product_order: bool | None = None
    external_identifier: list[ExternalIdentifier] = []
    """The buyer's order reference (`customerIdentifier`)."""
    agreement: list[AgreementRef] = []
    related_party: list[RelatedParty] = []
    product_order_item: list[WholesaleProductOrderItem] = []
    """The items."""
    order_date: Timestamp | None = None
    requested_start_date: Timestamp | None = None
    requested_completion_date: Timestamp | None = None
    expected_fulfillment_start_date: Timestamp | None = None
    expected_completion_date: Timestamp | None = None
    completion_date: Timestamp | None = None
    cancellation_date: Timestamp | None = None
    cancellation_reason: str | None = None
    note: list[Note] = []
    """`errorNote` (why it was rejected) and `OrderTakingNote` (the buyer's comment)."""
    milestone: list[Milestone] = []
    error_message: list[ErrorMessage] = []
    jeopardy_alert: list[JeopardyAlert] = []
    order_total_price: list[OrderPrice] = []
    order_term: list[Term] = []

    @property
    def specification(self) -> str | None:
        """`productOrderSpecification`, also under Orange's misspelling `productorderSpecification`."""
        if self.product_order_specification is not None:
            return self.product_order_specification
        extra: dict[str, Any] = self.model_extra or {}
        value = extra.get("productorderSpecification")
        return value if isinstance(value, str) else None


class WholesaleProductOrderItemCreate(OrangeModel):
    """One item of an order request; items form a tree through `productOrderItemRelationship`."""

    id: Id
    """Item id: usually the offering id (new product) or the inventory product id."""
    action: str = "add"
    """`add`, `modify`, `noChange` or `delete`."""
    product: OrderItemProduct
    quantity: int | None = None
    is_bundle: bool | None = None
    product_order_item_relationship: list[ItemRelationship] = []
    appointment: AppointmentRef | None = None


class WholesaleProductOrderCreate(OrangeModel):
    """Body of `POST /productOrder`.

    Orange documents `productOrderSpecification`, `externalIdentifier`, `relatedParty` (the buyer) and
    `productOrderItem` as mandatory, but its own examples omit the external identifier and spell the
    specification `productorderSpecification`; only the items are required here, Orange judges the rest.
    """

    product_order_item: list[WholesaleProductOrderItemCreate]
    """The items, as a tree (contract > play > set > atomicOffer) through `productOrderItemRelationship`."""
    product_order_specification: str | None = None
    """`Acquisition`, `Termination`, `gtrModification`, `speedCosModification`."""
    external_identifier: list[ExternalIdentifier] = []
    """Your unique reference, `customerIdentifier`, at most 30 characters, no spaces."""
    related_party: list[RelatedParty] = []
    """At least the buyer (`@referredType: organization`)."""
    description: str | None = None
    instant_sync_product_order: bool | None = None
    agreement: list[AgreementRef] = []
    note: list[Note] = []
    """An `OrderTakingNote` comment."""

    @property
    def specification(self) -> str | None:
        """`productOrderSpecification`, also under Orange's misspelling `productorderSpecification`."""
        if self.product_order_specification is not None:
            return self.product_order_specification
        extra: dict[str, Any] = self.model_extra or {}
        value = extra.get("productorderSpecification")
        return value if isinstance(value, str) else None


WholesaleProductOrderListParams = TypedDict(
    "WholesaleProductOrderListParams",
    {
        "offset": int,
        "limit": int,
        "fields": Fields,
        "sort": str,
        "id": FilterValue,
        "description": FilterValue,
        "state": FilterValue,
        "productOrderSpecification": FilterValue,
        "orderDate": DateFilter,
        "orderDate.gt": DateFilter,
        "orderDate.gte": DateFilter,
        "orderDate.lt": DateFilter,
        "orderDate.lte": DateFilter,
        "orderDate.ne": DateFilter,
        "agreement.id": FilterValue,
        "productOrderItem.id": FilterValue,
        "productOrderItem.product.productOffering.id": FilterValue,
        "externalIdentifier.id": FilterValue,
    },
    total=False,
)
"""Query of `GET /productOrder` (wholesale).

E.g. `{"fields": "state", "state": "INPROGRESS", "orderDate.gt": "2013-04-20"}`.

Attribute filters take TMF operators as key suffixes: `.gt`, `.gte`, `.lt`, `.lte`, `.ne`.
"""
