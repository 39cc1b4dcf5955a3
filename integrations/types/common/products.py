"""What an item is about: its product offering, specification and configuration, the products it refers to, and
its relationships to other items and products."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .model import Id, OrangeModel
from .refs import EntityRef

__all__ = [
    "ItemRelationship",
    "ProductConfiguration",
    "ProductOfferingRef",
    "ProductRef",
    "ProductRelationship",
    "ProductSpecificationRef",
]


class ItemRelationship(OrangeModel):
    """A relationship between items of one request (MEF `type`, TMF `relationshipType`)."""

    id: Id | None = None
    """Id of the related item."""
    type: str | None = None
    """MEF relationship type, e.g. `hasENNIEndPoint`."""
    relationship_type: str | None = None
    """TMF relationship type, e.g. `bundles`."""
    product_order_id: Id | None = None
    """MEF: the order holding the related item, when it is another order."""

    @property
    def kind(self) -> str | None:
        """The relationship type, whichever spelling was used."""
        return self.type or self.relationship_type


class ProductOfferingRef(EntityRef):
    """A product offering (`Intense`, `AccessInterface`, a TMF620 offering id)."""

    product_offering_type: str | None = None
    """TMF620: `contract`, `play`, `set`, `atomicOffer`."""


class ProductSpecificationRef(EntityRef):
    """A product specification (`TransitELine`, `ENNI`, `PS40140084008`)."""

    version: str | None = None
    describing: dict[str, Any] | None = None
    """MEF r4 product-specific attributes, kept as sent."""


class ProductConfiguration(OrangeModel):
    """MEF product attributes: Orange sends `{@type: EVPL, bandwidth, classOfService}`."""

    type_: str | None = Field(default=None, alias="@type")
    """Product type, `EVPL`."""
    bandwidth: int | float | str | None = None
    """Bandwidth as sent (a number for EVPL)."""
    class_of_service: str | None = None
    """`GUARANTEED`, `STANDARD`…"""


class ProductRef(EntityRef):
    """A product referenced by id (an existing ENNI port, an inventory product)."""

    buyer_product_id: str | None = None
    """The buyer's own name for the product (MEF)."""


class ProductRelationship(OrangeModel):
    """A relationship to another product (MEF `type`, TMF `relationshipType`)."""

    type: str | None = None
    """MEF relationship type, e.g. `hasENNIEndPoint`."""
    relationship_type: str | None = None
    """TMF relationship type, e.g. `reliesOn`, `bundles`."""
    product: ProductRef | None = None
    """The related product."""

    @property
    def kind(self) -> str | None:
        """The relationship type, whichever spelling was used."""
        return self.type or self.relationship_type
