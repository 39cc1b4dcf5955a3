"""Wholesale product inventory (United Way, TMF637 `productInventory`, Orange's `/v1`).

Products form a tree (contract > play > set > atomicOffer) through `productRelationship`
(`bundles`); `GET /product/{id}?depth=n` expands `productRelationship.product` recursively.
"""

from __future__ import annotations

from typing import TypedDict

from pydantic import Field

from ..common import (
    Characteristic,
    DateFilter,
    EntityRef,
    ExternalIdentifier,
    Fields,
    FilterValue,
    Id,
    OrangeModel,
    OrderPrice,
    ProductOfferingRef,
    ProductSpecificationRef,
    RelatedParty,
    RelatedPlace,
    Term,
    Timestamp,
)
from .product_order import AgreementRef

__all__ = [
    "RelatedProductOrderItem",
    "WholesaleProduct",
    "WholesaleProductListParams",
    "WholesaleProductRelationship",
    "WholesaleProductRetrieveParams",
]


class RelatedProductOrderItem(OrangeModel):
    """The order (item) that created or changed the product."""

    product_order_id: Id | None = None
    """Order id."""
    order_item_id: Id | None = None
    order_item_action: str | None = None
    role: str | None = None
    href: str | None = None
    type_: str | None = Field(default=None, alias="@type")


class WholesaleProductRelationship(OrangeModel):
    """A link to another product: a reference, or the product itself when expanded with `depth`."""

    relationship_type: str | None = None
    """`bundles`, `reliesOn`…"""
    type: str | None = None
    product: WholesaleProduct | None = None
    """The related product (only `id`/`href` unless expanded)."""

    @property
    def kind(self) -> str | None:
        """The relationship type, whichever spelling was used."""
        return self.relationship_type or self.type


class WholesaleProduct(OrangeModel):
    """A product in the inventory (list entry, often partial with `fields=`, or `GET /product/{id}`)."""

    id: Id | None = None
    """Product id."""
    href: str | None = None
    name: str | None = None
    """Name, e.g. `Collecte régionale`."""
    description: str | None = None
    is_bundle: bool | None = None
    is_customer_visible: bool | None = None
    status: str | None = None
    """`ACTIVE` (Orange sends upper case)…"""
    operational_status: str | None = None
    """Orange's operating status (`active`, `inDisturbance`, `pendingModification`…)."""
    creation_date: Timestamp | None = None
    order_date: Timestamp | None = None
    start_date: Timestamp | None = None
    termination_date: Timestamp | None = None
    last_update_date: Timestamp | None = None
    product_offering: ProductOfferingRef | None = None
    """The catalog offering."""
    product_specification: ProductSpecificationRef | None = None
    product_characteristic: list[Characteristic] = []
    """Configuration: VLAN, region, speed…"""
    product_relationship: list[WholesaleProductRelationship] = []
    """Bundled products."""
    product_order_item: list[RelatedProductOrderItem] = []
    """Orders behind the product."""
    related_party: list[RelatedParty] = []
    place: list[RelatedPlace] = []
    agreement: list[AgreementRef] = []
    external_identifier: list[ExternalIdentifier] = []
    """E.g. the VIA number (`billingIdentifier`)."""
    realizing_service: list[EntityRef] = []
    """Services behind the product, e.g. `Aire VPLS`."""
    realizing_resource: list[EntityRef] = []
    product_price: list[OrderPrice] = []
    product_term: list[Term] = []
    billing_account: EntityRef | None = None
    type_: str | None = Field(default=None, alias="@type")
    """`ProductValue` for expanded children."""
    base_type: str | None = Field(default=None, alias="@baseType")
    schema_location: str | None = Field(default=None, alias="@schemaLocation")


WholesaleProductRelationship.model_rebuild()


WholesaleProductListParams = TypedDict(
    "WholesaleProductListParams",
    {
        "offset": int,
        "limit": int,
        "fields": Fields,
        "sort": str,
        "id": FilterValue,
        "name": FilterValue,
        "status": FilterValue,
        "operationalStatus": FilterValue,
        "externalIdentifier.id": FilterValue,
        "externalIdentifier.externalIdentifierType": FilterValue,
        "productOffering.id": FilterValue,
        "productOffering.productOfferingType": FilterValue,
        "productRelationship.relationshipType": FilterValue,
        "productRelationship.product.id": FilterValue,
        "productCharacteristic.id": FilterValue,
        "productCharacteristic.name": FilterValue,
        "productCharacteristic.value": FilterValue,
        "productCharacteristic.value.id": FilterValue,
        "productCharacteristic.value.name": FilterValue,
        "productOrderItem.productOrderId": FilterValue,
        "realizingService.id": FilterValue,
        "realizingService.name": FilterValue,
        "relatedParty.id": FilterValue,
        "relatedParty.role": FilterValue,
        "creationDate.gt": DateFilter,
        "creationDate.lt": DateFilter,
        "startDate.gt": DateFilter,
        "startDate.lt": DateFilter,
        "terminationDate.gt": DateFilter,
        "terminationDate.lt": DateFilter,
        "lastUpdateDate.gt": DateFilter,
        "lastUpdateDate.gte": DateFilter,
        "lastUpdateDate.lt": DateFilter,
        "lastUpdateDate.lte": DateFilter,
    },
    total=False,
)
"""Query of `GET /product` (wholesale); comma-separated values mean "any of"."""


class WholesaleProductRetrieveParams(TypedDict, total=False):
    """Query of `GET /product/{id}`."""

    fields: Fields
    depth: int
    """0-4: how many levels of `productRelationship.product` to expand."""
