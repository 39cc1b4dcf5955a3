"""Carrier geographic address validation (`geographicAddressManagement/v1`, MEF Billie shape)."""

from __future__ import annotations

from pydantic import Field

from ..common import GeographicAddressValue, Id, OrangeModel

__all__ = [
    "AddressValidationCreate",
    "FieldedAddress",
    "GeographicAddress",
    "GeographicAddressValidation",
    "SubmittedGeographicAddress",
]


class FieldedAddress(GeographicAddressValue):
    """Street, number, postcode, city, country (the `associatedGeographicAddress`)."""


class SubmittedGeographicAddress(OrangeModel):
    """The address as the buyer submitted it."""

    associated_geographic_address: FieldedAddress | None = None
    """The fielded address."""
    type_: str | None = Field(default=None, alias="@type")
    """`FieldedAddress`."""
    schema_location: str | None = Field(default=None, alias="@schemaLocation")


class GeographicAddress(OrangeModel):
    """An address known to Orange (`GET /geographicAddress/{id}`, or a validation match)."""

    id: Id | None = None
    """Orange's address id, e.g. `22482972`."""
    href: str | None = None
    has_public_site: bool | None = None
    """Whether a public Orange site (POP) is at this address."""
    allows_new_site: bool | None = None
    """Whether a new site can be built at this address."""
    associated_geographic_address: FieldedAddress | None = None
    """The fielded address."""
    type_: str | None = Field(default=None, alias="@type")
    """`FieldedAddress` or `GeographicAddress`."""
    schema_location: str | None = Field(default=None, alias="@schemaLocation")


class GeographicAddressValidation(OrangeModel):
    """Result of `POST /geographicAddressValidation`."""

    id: Id | None = None
    href: str | None = None
    validation_result: str | None = None
    """`success`, `partial` or `fail`."""
    provide_alternative: bool | None = None
    """Whether alternatives were asked for."""
    submitted_geographic_address: SubmittedGeographicAddress | None = None
    """The address as submitted."""
    best_match_geographic_address: GeographicAddress | None = None
    """The best match, when there is one."""
    alternate_geographic_address: list[GeographicAddress] = []
    """Other candidates."""
    type_: str | None = Field(default=None, alias="@type")
    """`GeographicAddressValidation`."""


class AddressValidationCreate(OrangeModel):
    """Body of `POST /geographicAddressValidation`."""

    submitted_geographic_address: SubmittedGeographicAddress
    """The address to validate."""
    provide_alternative: bool = True
    """Ask for alternatives when there is no exact match."""
    type_: str | None = Field(default="GeographicAddressValidation", alias="@type")
