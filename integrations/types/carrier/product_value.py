"""The product described inside a carrier POQ, quote or order item (MEF `Product`)."""

from __future__ import annotations

from pydantic import Field

from ..common import (
    EntityRef,
    Id,
    OrangeModel,
    ProductConfiguration,
    ProductOfferingRef,
    ProductRelationship,
    ProductSpecificationRef,
    RelatedPlace,
)

__all__ = ["ProductValue", "QuoteRef"]


class ProductValue(OrangeModel):
    """A product to create or change: an EVPL (`TransitELine`) or an ENNI port at a site."""

    id: Id | None = None
    """Inventory id of an existing product (`LDD01100`) or the one being built."""
    href: str | None = None
    buyer_product_id: str | None = None
    """The buyer's own name for the product."""
    product_specification: ProductSpecificationRef | None = None
    """`TransitELine` or `ENNI`."""
    product_configuration: ProductConfiguration | None = None
    """EVPL bandwidth and class of service."""
    product_offering: ProductOfferingRef | None = None
    """Some examples repeat the item's offering here."""
    place: list[RelatedPlace] = []
    """The site of an ENNI (`@referredType: GeographicSite`)."""
    product_relationship: list[ProductRelationship] = []
    """Existing ENNI ports of an EVPL (`hasENNIEndPoint`)."""
    type_: str | None = Field(default=None, alias="@type")


class QuoteRef(EntityRef):
    """The quote an order item is placed against."""
