"""Carrier geographic sites (`geographicSiteManagement/v1`): Orange's POPs where ENNIs live."""

from __future__ import annotations

from typing import TypedDict

from pydantic import Field

from ..common import Fields, FilterValue, GeographicLocation, Id, OrangeModel, RelatedParty

__all__ = [
    "FormattedAddress",
    "GeographicSite",
    "GeographicSiteListParams",
    "SiteGeographicAddress",
]


class FormattedAddress(OrangeModel):
    """An address as lines."""

    id: Id | None = None
    addr_line1: str | None = None
    """First line, e.g. `7, avenue Gambetta`."""
    addr_line2: str | None = None
    """Second line."""
    locality: str | None = None
    """Locality (the metro area: `Paris` for Bagnolet)."""
    city: str | None = None
    state_or_province: str | None = None
    """State or zone, e.g. `EUROPE_ZONE1`."""
    postcode: str | None = None
    postcode_extension: str | None = None
    country: str | None = None


class SiteGeographicAddress(OrangeModel):
    """The address of a site in the site list (`geographicAddress.formattedAddress`)."""

    id: Id | None = None
    formatted_address: FormattedAddress | None = None
    """The address lines."""


class GeographicSite(OrangeModel):
    """A site. The list puts its address under `geographicAddress`, `GET /{id}` at top level."""

    id: Id | None = None
    """Site id, e.g. `105740`."""
    href: str | None = None
    status: str | None = None
    """`existing`, `planned`…"""
    site_name: str | None = None
    """Name, e.g. `Bagnolet`."""
    site_type: str | None = None
    """`public` or `private`."""
    description: str | None = None
    site_company_name: str | None = None
    site_customer_name: str | None = None
    geographic_address: SiteGeographicAddress | None = None
    """Address, as the list sends it."""
    formatted_address: FormattedAddress | None = None
    """Address, as `GET /geographicSite/{id}` sends it."""
    formatted_adress: FormattedAddress | None = None
    """MEF r4's spelling (sic) of `formattedAddress`."""
    geographic_location: GeographicLocation | None = None
    related_party: list[RelatedParty] = []
    type_: str | None = Field(default=None, alias="@type")
    schema_location: str | None = Field(default=None, alias="@schemaLocation")

    @property
    def address(self) -> FormattedAddress | None:
        """The address wherever it was put."""
        if self.formatted_address is not None:
            return self.formatted_address
        if self.geographic_address is not None and self.geographic_address.formatted_address is not None:
            return self.geographic_address.formatted_address
        return self.formatted_adress


GeographicSiteListParams = TypedDict(
    "GeographicSiteListParams",
    {
        "offset": int,
        "limit": int,
        "fields": Fields,
        "siteName": FilterValue,
        "siteType": FilterValue,
        "status": FilterValue,
        "geographicAddress.city": FilterValue,
        "geographicAddress.country": FilterValue,
        "geographicAddress.postcode": FilterValue,
        "geographicAddress.streetName": FilterValue,
    },
    total=False,
)
"""Query of `GET /geographicSite`, e.g. `{"geographicAddress.city": "Paris"}`."""
