"""Carrier sites and address validation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from integrations.types.carrier import GeographicAddress, GeographicAddressValidation, GeographicSite
from integrations.types.carrier.address import FieldedAddress

from ._common import View, as_model, canonical

__all__ = [
    "AddressMatchView",
    "AddressValidationView",
    "SiteView",
    "address_match_view",
    "address_validation_view",
    "site_view_from_carrier",
]


class SiteView(View):
    """A carrier site (POP)."""

    id: str
    name: str | None = None
    type: str | None = None
    status: str | None = None
    address_lines: tuple[str, ...] = ()
    city: str | None = None
    locality: str | None = None
    postcode: str | None = None
    country: str | None = None
    state_or_province: str | None = None

    @property
    def one_line(self) -> str:
        """`7, avenue Gambetta, 93177 Bagnolet, France`."""
        town = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (*self.address_lines, town, self.country) if p)


class AddressMatchView(View):
    """An address Orange knows."""

    id: str | None = None
    line: str = ""
    """One line: `12 rue des fleurs, 95870 bezons, France`."""
    allows_new_site: bool | None = None
    has_public_site: bool | None = None


class AddressValidationView(View):
    """Result of an address validation."""

    result: str | None = None
    """`success`, `partial` or `fail`."""
    submitted: str = ""
    best_match: AddressMatchView | None = None
    alternatives: tuple[AddressMatchView, ...] = ()


def site_view_from_carrier(site: GeographicSite | Mapping[str, Any]) -> SiteView:
    """A carrier site, from the list (`geographicAddress.formattedAddress`) or `GET /{id}` (`formattedAddress`)."""
    s = as_model(GeographicSite, site)
    address = s.address
    lines: tuple[str, ...] = ()
    if address is not None:
        lines = tuple(line.strip() for line in (address.addr_line1, address.addr_line2) if line and line.strip())
    return SiteView(
        id=s.id or "",
        name=s.site_name,
        type=s.site_type,
        status=s.status,
        address_lines=lines,
        city=address.city if address else None,
        locality=address.locality if address else None,
        postcode=address.postcode if address else None,
        country=address.country if address else None,
        state_or_province=address.state_or_province if address else None,
    )


def _address_line(address: FieldedAddress | None) -> str:
    if address is None:
        return ""
    number = "".join(p for p in (address.street_nr, address.street_nr_suffix) if p)
    if address.street_nr_last:
        number = f"{number}-{address.street_nr_last}{address.street_nr_last_suffix or ''}"
    street = " ".join(p for p in (number, address.street_type, address.street_name, address.street_suffix) if p)
    town = " ".join(p for p in (address.postcode, address.city) if p)
    return ", ".join(p for p in (street, town, address.locality, address.state_or_province, address.country) if p)


def address_match_view(address: GeographicAddress | Mapping[str, Any]) -> AddressMatchView:
    """An address Orange knows (a validation match, or `GET /geographicAddress/{id}`)."""
    a = as_model(GeographicAddress, address)
    return AddressMatchView(
        id=a.id,
        line=_address_line(a.associated_geographic_address),
        allows_new_site=a.allows_new_site,
        has_public_site=a.has_public_site,
    )


def address_validation_view(validation: GeographicAddressValidation | Mapping[str, Any]) -> AddressValidationView:
    """The answer of an address validation: result, best match, alternatives."""
    v = as_model(GeographicAddressValidation, validation)
    submitted = v.submitted_geographic_address
    best = v.best_match_geographic_address
    return AddressValidationView(
        result=v.validation_result,
        submitted=_address_line(submitted.associated_geographic_address if submitted else None),
        best_match=address_match_view(best) if best is not None else None,
        alternatives=canonical(
            (address_match_view(a) for a in v.alternate_geographic_address), lambda m: (m.id or "", m.line)
        ),
    )
