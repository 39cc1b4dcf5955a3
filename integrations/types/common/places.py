"""Addresses and places: a fielded address (MEF `FieldedAddress`, TMF `GeographicAddress`), its sub-address and
coordinates, and a place linked to a product."""

from __future__ import annotations

from pydantic import Field

from .model import Id, OrangeModel, TypedModel

__all__ = ["GeographicAddressValue", "GeographicLocation", "GeographicSubAddress", "RelatedPlace", "SubUnit"]


class SubUnit(OrangeModel):
    """A sub-unit of an address (MEF)."""

    sub_unit_number: str | None = None
    sub_unit_type: str | None = None


class GeographicSubAddress(OrangeModel):
    """Building, staircase, floor, or (wholesale) the trading name."""

    building_name: str | None = None
    level_type: str | None = None
    """`staircase`, `floor`…"""
    level_number: str | None = None
    sub_unit: list[SubUnit] = []
    sub_unit_number: str | None = None
    """Wholesale: the trading name when `subUnitType` is `tradingName`."""
    sub_unit_type: str | None = None
    private_street_number: str | None = None
    private_street_name: str | None = None
    type_: str | None = Field(default=None, alias="@type")


class GeographicLocation(OrangeModel):
    """Coordinates of an address."""

    geo_code_x: str | None = Field(default=None, alias="geoCodeX")
    geo_code_y: str | None = Field(default=None, alias="geoCodeY")
    type_: str | None = Field(default=None, alias="@type")
    base_type: str | None = Field(default=None, alias="@baseType")


class GeographicAddressValue(TypedModel):
    """A fielded address (MEF `FieldedAddress`, TMF `GeographicAddress`)."""

    id: Id | None = None
    country: str | None = None
    street_type: str | None = None
    postcode_extension: str | None = None
    city: str | None = None
    street_nr: str | None = None
    locality: str | None = None
    postcode: str | None = None
    street_nr_last: str | None = None
    street_nr_suffix: str | None = None
    street_name: str | None = None
    state_or_province: str | None = None
    street_nr_last_suffix: str | None = None
    street_suffix: str | None = None
    city_code: str | None = None
    """Wholesale: INSEE city code."""
    street_code: str | None = None
    """Wholesale: RIVOLI street code."""
    geographic_sub_address: GeographicSubAddress | list[GeographicSubAddress] | None = None
    """MEF sends one object, TMF a list."""
    geographic_location: GeographicLocation | None = None


class RelatedPlace(GeographicAddressValue):
    """A place linked to a product: a MEF `PlaceRef` to a site, a TMF `GeographicSiteBuilding`, an address."""

    href: str | None = None
    name: str | None = None
    role: str | None = None
    """`ENNI Site`, `deliveryAddress`, `shippingAddress`…"""
    referred_type: str | None = Field(default=None, alias="@referredType")
    """`GeographicSite` for a MEF site reference."""
    building_code: str | None = None
    """Wholesale building code (`IMB/69149/C/ZJU1`)."""
    geographic_address: list[GeographicAddressValue] = []
    """Wholesale: the address of a `GeographicSiteBuilding`."""
