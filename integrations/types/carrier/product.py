"""Carrier product inventory (`productInventoryManagement/v1`): EVPLs and ENNI ports in service."""

from __future__ import annotations

from typing import TypedDict

from pydantic import Field

from ..common import (
    DateFilter,
    EntityRef,
    Fields,
    FilterValue,
    Id,
    OrangeModel,
    OrderPrice,
    ProductConfiguration,
    ProductOfferingRef,
    ProductRelationship,
    ProductSpecificationRef,
    RelatedParty,
    RelatedPlace,
    StateChange,
    Term,
    Timestamp,
)
from .product_order import BillingAccount

__all__ = ["CarrierProduct", "CarrierProductListParams"]


class CarrierProduct(OrangeModel):
    """A product in the inventory (list entry or `GET /product/{id}`)."""

    id: Id | None = None
    """Product id, e.g. `LDD30114`."""
    href: str | None = None
    status: str | None = None
    """`active`, `pending` (Orange; not a MEF value)…"""
    buyer_product_id: str | None = None
    product_order_id: Id | None = None
    """The order that created it (a number on the wire)."""
    start_date: Timestamp | None = None
    termination_date: Timestamp | None = None
    last_update_date: Timestamp | None = None
    """Last change."""
    product_configuration: ProductConfiguration | None = None
    """EVPL bandwidth and class of service."""
    product_offering: ProductOfferingRef | None = None
    product_specification: ProductSpecificationRef | None = None
    product_relationship: list[ProductRelationship] = []
    """The ENNI ports of an EVPL (`hasENNIEndPoint`)."""
    site: list[RelatedPlace] = []
    place: list[RelatedPlace] = []
    billing_account: BillingAccount | None = None
    related_party: list[RelatedParty] = []
    product_order: list[EntityRef] = []
    """MEF r4 order references."""
    product_price: list[OrderPrice] = []
    """Current prices."""
    product_term: list[Term] = []
    """Commitment terms."""
    agreement: list[EntityRef] = []
    status_change: list[StateChange] = []
    """Status history."""
    type_: str | None = Field(default=None, alias="@type")
    """`MEFProduct`."""
    base_type: str | None = Field(default=None, alias="@baseType")
    schema_location: str | None = Field(default=None, alias="@schemaLocation")


CarrierProductListParams = TypedDict(
    "CarrierProductListParams",
    {
        "offset": int,
        "limit": int,
        "fields": Fields,
        "sort": str,
        "status": FilterValue,
        "productOrderId": FilterValue,
        "buyerProductId": FilterValue,
        "productOffering.id": FilterValue,
        "productSpecification.id": FilterValue,
        "startDate.gt": DateFilter,
        "startDate.lt": DateFilter,
        "lastUpdateDate.gt": DateFilter,
        "lastUpdateDate.lt": DateFilter,
    },
    total=False,
)
"""Query of `GET /product` (carrier)."""
