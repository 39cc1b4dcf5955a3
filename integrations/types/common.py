"""Building blocks shared by every backend's wire models.

The carriers send MEF Sonata (carrier) and TM Forum (wholesale) JSON, both in camelCase with
`@type`-style meta fields. Models here are tolerant: unknown fields are kept and re-serialised,
every collection field is optional (a `fields=` selection returns partial objects), ids arrive as
numbers or strings and are normalised to `str`, and a date we cannot parse stays a raw string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, PlainValidator
from pydantic.alias_generators import to_camel

__all__ = [
    "Amount",
    "AttachmentRef",
    "Characteristic",
    "CharacteristicChoiceValue",
    "CharacteristicValue",
    "DateFilter",
    "Duration",
    "EntityRef",
    "ExternalIdentifier",
    "Fields",
    "FilterValue",
    "GeographicAddressValue",
    "GeographicLocation",
    "GeographicSubAddress",
    "Id",
    "ItemRelationship",
    "Money",
    "Note",
    "OrangeModel",
    "OrderPrice",
    "Price",
    "ProductConfiguration",
    "ProductOfferingRef",
    "ProductRef",
    "ProductRelationship",
    "ProductSpecificationRef",
    "RelatedParty",
    "RelatedPlace",
    "StateChange",
    "SubUnit",
    "Term",
    "TimePeriod",
    "Timestamp",
    "TypedModel",
    "as_datetime",
    "coerce_id",
    "parse_timestamp",
]


class OrangeModel(BaseModel):
    """Base of every wire model: camelCase aliases, unknown fields kept, serialised by alias."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        frozen=False,
        alias_generator=to_camel,
        serialize_by_alias=True,
    )


class TypedModel(OrangeModel):
    """A model that may carry the TM Forum / MEF polymorphism fields."""

    type_: str | None = Field(default=None, alias="@type")
    base_type: str | None = Field(default=None, alias="@baseType")
    schema_location: str | None = Field(default=None, alias="@schemaLocation")


# --- ids ---------------------------------------------------------------------------------------


def coerce_id(value: object) -> str:
    """Normalise an id sent as a JSON number (carrier orders and quotes) or string to `str`."""
    # bool is an int subclass: `"id": true` is a carrier bug, not an id.
    if isinstance(value, bool) or value is None:
        raise ValueError("an id must be a string or an integer")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    raise ValueError(f"an id must be a string or an integer, not {type(value).__name__}")


Id = Annotated[str, BeforeValidator(coerce_id)]
"""An identifier: accepts `11` or `"11"`, gives `"11"`; refuses bool, float and null."""


# --- query parameters --------------------------------------------------------------------------

FilterValue: TypeAlias = str | Sequence[str]
"""A TMF attribute filter value; several values mean "any of" (sent comma-separated)."""
DateFilter: TypeAlias = str | date | datetime
"""A date filter value (`orderDate.gt`), as text or a date; datetimes are sent in UTC."""
Fields: TypeAlias = str | Sequence[str]
"""An attribute selection (`fields=id,state`); `id` and `href` always come back."""


# --- dates -------------------------------------------------------------------------------------

_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_timestamp(value: object) -> datetime | date | str | None:
    """Parse an ISO 8601 date-time (aware; naive means UTC) or a plain date; keep anything else raw.

    Accepts `Z`, `+02:00` and `+0200` offsets (the TMF620 catalog sends `2000-12-31T23:00:00.000+0000`).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return str(value)
    text = value.strip()
    if _PLAIN_DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return value
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


Timestamp = Annotated[datetime | date | str, PlainValidator(parse_timestamp)]
"""A date-time (aware), a plain date, or the raw string when it cannot be parsed."""


def as_datetime(value: datetime | date | str | None) -> datetime | None:
    """The aware UTC datetime of a `Timestamp` value (a plain date is midnight UTC), else None."""
    if isinstance(value, str):
        parsed = parse_timestamp(value)
        if isinstance(parsed, str):
            return None
        value = parsed
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


# --- money -------------------------------------------------------------------------------------


def _decimal_to_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _to_decimal(value: object) -> object:
    # Through str() so that 28.1 stays 28.1 rather than the binary float's expansion.
    if isinstance(value, float):
        return Decimal(str(value))
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    PlainSerializer(_decimal_to_json, return_type=int | float, when_used="json"),
]
"""A decimal amount; written back to JSON as a number, as the carriers send it."""


class Money(OrangeModel):
    """An amount in a currency. MEF spells the currency `unit`, Orange's TMF620 catalog `units`."""

    value: Amount | None = None
    """The amount."""
    unit: str | None = None
    """Currency (MEF, TMF622), e.g. `EUR`."""
    units: str | None = None
    """Currency as the TMF620 catalog spells it, e.g. `eur`."""

    @property
    def currency(self) -> str | None:
        """The currency code, upper case, whichever spelling was used."""
        raw = self.unit or self.units
        return raw.upper() if raw else None


class Price(OrangeModel):
    """A price: MEF `preTaxAmount`, TMF `dutyFreeAmount`/`taxIncludedAmount`."""

    pre_tax_amount: Money | None = None
    """MEF amount before tax."""
    duty_free_amount: Money | None = None
    """TMF amount before tax."""
    tax_included_amount: Money | None = None
    """Amount including tax."""
    tax_rate: Amount | None = None
    """Tax rate in percent."""
    percentage: Amount | None = None
    """TMF percentage (for price alterations)."""
    unit_of_mesure: str | None = None
    """MEF r4 spelling (sic) of the unit of measure."""
    type_: str | None = Field(default=None, alias="@type")


class OrderPrice(OrangeModel):
    """A charge: MEF `orderItemPrice`/`quoteItemPrice`/`productPrice`, TMF `itemTotalPrice`/`productPrice`."""

    name: str | None = None
    """Name of the charge, e.g. `recurring charge`."""
    description: str | None = None
    """Description of the charge."""
    price_type: str | None = None
    """MEF `recurring`/`nonRecurring`/`usageBased`; TMF `recurring`/`one time`/`usage`."""
    recurring_charge_period: str | None = None
    """Period of a recurring charge (`day`, `month`…)."""
    recurring_charge_period_type: str | None = None
    """TMF spelling of the period."""
    unit_of_measure: str | None = None
    """Unit of a usage charge."""
    price: Price | None = None
    """The amounts."""
    price_alteration: list[dict[str, Any]] = []
    """TMF discounts and the like, kept as sent."""
    type_: str | None = Field(default=None, alias="@type")


# --- references and small values ---------------------------------------------------------------


class TimePeriod(OrangeModel):
    """A validity period."""

    start_date: Timestamp | None = None
    """Start of the period."""
    end_date: Timestamp | None = None
    """End of the period."""


class EntityRef(OrangeModel):
    """A reference to another entity."""

    id: Id | None = None
    """Id of the entity."""
    href: str | None = None
    """Link to the entity."""
    name: str | None = None
    """Name of the entity."""
    type_: str | None = Field(default=None, alias="@type")
    referred_type: str | None = Field(default=None, alias="@referredType")
    base_type: str | None = Field(default=None, alias="@baseType")
    schema_location: str | None = Field(default=None, alias="@schemaLocation")


class AttachmentRef(EntityRef):
    """An attachment."""

    url: str | None = None
    """Where to download it."""
    mime_type: str | None = None
    """Its MIME type."""


class RelatedParty(OrangeModel):
    """A party playing a role: the buyer, a contact (MEF inlines the contact's details)."""

    id: Id | None = None
    """Id of the party (the buyer's organisation)."""
    href: str | None = None
    role: str | None = None
    """`buyer`, `billing`, `technical`, `operatorInterlocutor`…"""
    name: str | None = None
    """Name of the party."""
    number: str | None = None
    """Phone number (MEF)."""
    number_extension: str | None = None
    email_address: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    street_address: str | None = None
    post_code: str | None = None
    city: str | None = None
    country: str | None = None
    title: str | None = None
    type_: str | None = Field(default=None, alias="@type")
    referred_type: str | None = Field(default=None, alias="@referredType")
    base_type: str | None = Field(default=None, alias="@baseType")


class ExternalIdentifier(OrangeModel):
    """An id given by someone else: the buyer's order reference, a billing id, an external catalogue id."""

    id: Id | None = None
    """The identifier."""
    external_identifier_type: str | None = None
    """`customerIdentifier`, `billingIdentifier`…"""
    owner: str | None = None
    """Who gave the identifier."""
    referential_id: str | None = None
    """External catalogue (TMF620), e.g. `eRDV`."""
    type_: str | None = Field(default=None, alias="@type")


class Note(OrangeModel):
    """A note: Orange's `errorNote` on a rejected order, or the buyer's `OrderTakingNote`."""

    id: Id | None = None
    author: str | None = None
    """Who wrote it (`System` for error notes)."""
    date: Timestamp | None = None
    """When it was written."""
    text: str | None = None
    """The note; error notes start with the business error code."""
    type_: str | None = Field(default=None, alias="@type")
    """`errorNote` or `OrderTakingNote`."""


class Duration(OrangeModel):
    """A duration (MEF `Duration`, TMF `Quantity`)."""

    amount: int | float | None = None
    """How many units."""
    units: str | None = None
    """`day`, `month`, `year`…"""
    type_: str | None = Field(default=None, alias="@type")


class Term(OrangeModel):
    """A commitment term: MEF `requestedOrderItemTerm`/`quoteItemTerm`/`productTerm`, TMF `itemTerm`."""

    name: str | None = None
    """Name of the term, e.g. `FULL_FLEXIBLE`."""
    description: str | None = None
    duration: Duration | None = None
    """Length of the term."""
    valid_for: TimePeriod | None = None
    end_of_term_action: str | None = None
    type_: str | None = Field(default=None, alias="@type")


class StateChange(OrangeModel):
    """A past state or status change."""

    change_date: Timestamp | None = None
    """When it changed."""
    change_reason: str | None = None
    """Why, e.g. `FULL_AUTO_NEW_SERVICE`."""
    state: str | None = None
    status: str | None = None


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


class CharacteristicChoiceValue(OrangeModel):
    """A value picked from a catalog list."""

    id: Id | None = None
    """Catalog value code, e.g. `VF0000140140084004`."""
    name: str | None = None
    """The value, e.g. `300M/300M`."""
    type_: str | None = Field(default=None, alias="@type")


CharacteristicValue = CharacteristicChoiceValue | bool | int | float | str | list[Any] | None


class Characteristic(OrangeModel):
    """A product characteristic (TMF)."""

    id: Id | None = None
    """Catalog characteristic id, e.g. `FONC40140084004`."""
    name: str | None = None
    """Characteristic name."""
    value_type: str | None = None
    """`object` (a choice) or `string`."""
    value: CharacteristicValue = None
    """The value: a choice object or a plain value."""
    type_: str | None = Field(default=None, alias="@type")

    @property
    def display_value(self) -> str | None:
        """The value as text: a choice's name, else the plain value."""
        value = self.value
        if value is None:
            return None
        if isinstance(value, CharacteristicChoiceValue):
            return value.name if value.name is not None else value.id
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)
