"""Wholesale product catalog (United Way, TMF620 `productCatalogManagement`, Orange's `/v1`)."""

from __future__ import annotations

from typing import TypedDict

from pydantic import Field

from ..common import (
    DateFilter,
    EntityRef,
    ExternalIdentifier,
    FilterValue,
    Id,
    OrangeModel,
    Price,
    ProductSpecificationRef,
    TimePeriod,
)

__all__ = [
    "BundledProductOffering",
    "Category",
    "CategoryLinks",
    "CategoryRef",
    "CategoryRetrieveParams",
    "OtherProperty",
    "ProductOffering",
    "ProductOfferingCatalog",
    "ProductOfferingPrice",
    "ProductOfferingRelationship",
    "ProductOfferingRetrieveParams",
    "ProductSpecCharacteristic",
    "ProductSpecCharacteristicValue",
    "ProductSpecification",
    "Property",
]


class CategoryRef(EntityRef):
    """A category an offering belongs to (`AERO`, `FTTH`)."""


class BundledProductOffering(EntityRef):
    """A child offering of a bundle."""


class Property(OrangeModel):
    """A named property with one or several values."""

    id: Id | None = None
    name: str | None = None
    simple_value: str | None = None
    """One value."""
    multiples_values: list[str] = []
    """Several values (Orange's spelling)."""


class OtherProperty(Property):
    """A general property of an offering: `apiQuotable`, `apiOrderable`, `priceFrom`,
    `operationSpecification.<type>` with the `expected*` rules."""


class ProductOfferingRelationship(EntityRef):
    """A dependency of an offering on another (`reliesOn` a collect)."""

    relationship_type: str | None = None
    valid_for: TimePeriod | None = None


class ProductOffering(OrangeModel):
    """A catalog offering (`GET /productOffering/{id}`)."""

    id: Id | None = None
    """Offering id, e.g. `GOC40150084001`."""
    href: str | None = None
    name: str | None = None
    short_name: str | None = None
    description: str | None = None
    version: str | None = None
    lifecycle_status: str | None = None
    category: list[CategoryRef] = []
    bundled_product_offering: list[BundledProductOffering] = []
    """Children of a bundle."""
    visible: bool | str | None = None
    """`"true"` (a string, as Orange sends it)."""
    selectable: bool | str | None = None
    is_top_level: bool | None = None
    is_bundle: bool | None = None
    is_fulfillable: bool | None = None
    is_installable: bool | None = None
    product_offering_type: str | None = None
    """`contract`, `play`, `set`, `atomicOffer`."""
    marketing_weight: str | None = None
    external_identifier: list[ExternalIdentifier] = []
    view_property: dict[str, object] = {}
    """Display hints, kept as sent."""
    other_property: list[OtherProperty] = []
    product_offering_relationship: list[ProductOfferingRelationship] = []
    product_specification: ProductSpecificationRef | None = None
    product_offering_price: list[EntityRef] = []
    valid_for: TimePeriod | None = None
    type_: str | None = Field(default=None, alias="@type")

    def property_value(self, name: str) -> str | None:
        """The simple value of an `otherProperty`, e.g. `apiOrderable` → `"false"`."""
        for prop in self.other_property:
            if prop.id == name or prop.name == name:
                return prop.simple_value
        return None


class ProductOfferingPrice(OrangeModel):
    """A price of an offering (`GET /productOfferingPrice/{id}`)."""

    id: Id | None = None
    """Price id, e.g. `TAR40150084003`."""
    href: str | None = None
    name: str | None = None
    description: str | None = None
    kind: str | None = Field(default=None, alias="type")
    """Orange's plain `type` field (`productOfferingPrice`)."""
    price_type: str | None = None
    """`one time`, `recurring`…"""
    recurring_charge_period_type: str | None = None
    """`immediate`, `month`…"""
    recurring_charge_period_length: int | None = None
    unit_of_measure: str | None = None
    is_bundle: bool | None = None
    lifecycle_status: str | None = None
    version: str | None = None
    valid_for: TimePeriod | None = None
    price: Price | None = None
    """`taxIncludedAmount` and `dutyFreeAmount` (`units: eur`)."""
    type_: str | None = Field(default=None, alias="@type")


class ProductSpecCharacteristicValue(OrangeModel):
    """An allowed value of a characteristic."""

    system_value_code: str | None = None
    """Code to send in orders, e.g. `VF0000140140084004`."""
    value: str | None = None
    """Label, e.g. `300M/300M`."""
    is_default: bool | None = None
    external_identifier: list[ExternalIdentifier] = []
    property: Property | None = None


class ProductSpecCharacteristic(OrangeModel):
    """A configurable attribute (`GET /productSpecCharacteristic/{id}`)."""

    id: Id | None = None
    """Characteristic id, e.g. `FONC40140084004`."""
    href: str | None = None
    name: str | None = None
    visible: bool | str | None = None
    configurable: bool | str | None = None
    public_key: str | None = None
    value_type: str | None = None
    min_value: str | None = None
    max_value: str | None = None
    validation_pattern: str | None = None
    is_display_in_synthesis_view: bool | None = None
    property: list[Property] | Property | None = None
    product_spec_characteristic_value: list[ProductSpecCharacteristicValue] = []
    """Allowed values."""


class ProductSpecification(OrangeModel):
    """A specification with its characteristics (`GET /productSpecification/{id}`)."""

    id: Id | None = None
    href: str | None = None
    version: str | None = None
    name: str | None = None
    product_spec_characteristic: list[ProductSpecCharacteristic] = []


class CategoryLinks(OrangeModel):
    """Sub-categories."""

    child: list[EntityRef] = []
    parent: list[EntityRef] = []


class Category(OrangeModel):
    """A category (`GET /category/{id}`)."""

    id: Id | None = None
    href: str | None = None
    name: str | None = None
    description: str | None = None
    is_root: bool | None = None
    links: CategoryLinks | None = None


class ProductOfferingCatalog(OrangeModel):
    """Everything needed to order an offer (`GET /productOffering/{id}/catalog`)."""

    categories: list[Category] = []
    product_offerings: list[ProductOffering] = []
    product_specifications: list[ProductSpecification] = []
    product_offering_prices: list[ProductOfferingPrice] = []


class ProductOfferingRetrieveParams(TypedDict, total=False):
    """Query of `GET /productOffering/{id}`."""

    categoryId: FilterValue
    catalogContractualDate: DateFilter
    externalReferentielId: FilterValue
    externalId: FilterValue


class CategoryRetrieveParams(TypedDict, total=False):
    """Query of `GET /category/{id}`."""

    isRoot: bool
    catalogContractualDate: DateFilter
