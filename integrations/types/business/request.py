"""Orange Business ordering requests (`/ordering/b2b/v2/requests`).

Not a TM Forum API: a request has a `step` (e.g. `REQUEST`) instead of a state, a free `type`
(`R_BVPN_S1A`, `C_GENERIC_S1`) and `properties` that depend on the type. The example of
`GET /requests/{id}` spells `isArchived` as `isAchived`; both are read.
"""

from __future__ import annotations

from typing import Any, TypedDict

from pydantic import Field

from ..common import EntityRef, FilterValue, Id, OrangeModel, Timestamp

__all__ = [
    "BusinessAddress",
    "BusinessContact",
    "BusinessCustomer",
    "BusinessLocation",
    "BusinessRequest",
    "BusinessRequestListParams",
    "BusinessRequestProperties",
]


class BusinessCustomer(OrangeModel):
    """The customer account."""

    id: Id | None = None
    """Account id, e.g. `33-01257052`."""
    name: str | None = None


class BusinessAddress(OrangeModel):
    """A postal address."""

    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    """ISO country code, e.g. `FR`."""


class BusinessContact(OrangeModel):
    """A contact person at the site."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None


class BusinessLocation(OrangeModel):
    """The site of the request."""

    id: Id | None = None
    name: str | None = None
    address: BusinessAddress | None = None
    primary_contact: BusinessContact | None = None


class BusinessRequestProperties(OrangeModel):
    """Type-dependent details of a request."""

    service_point: EntityRef | None = None
    """The service point, e.g. `{"id": "5-0022276237"}`."""
    domain: str | None = None
    """`DATA`, `VOICE`…"""
    installation_planned_at: Timestamp | None = None
    """Planned installation date (a plain date, `2021-05-23`)."""
    location: BusinessLocation | None = None


class BusinessRequest(OrangeModel):
    """An ordering request (list entry or `GET /requests/{id}`)."""

    id: Id | None = None
    """Request id, e.g. `W05VL130721`, `3-00286023`."""
    href: str | None = None
    customer_reference: str | None = None
    """The customer's own reference."""
    step: str | None = None
    """Where the request stands, e.g. `REQUEST`."""
    status: str | None = None
    priority: str | None = None
    """`LOW`, `MEDIUM`, `HIGH`."""
    customer: BusinessCustomer | None = None
    comment: str | None = None
    category: str | None = None
    """`NEW`, or a code such as `R_BVPN_S1A`."""
    request_type: str | None = Field(default=None, alias="type")
    """The plain `type` field: `R_BVPN_S1A`, `C_GENERIC_S1`…"""
    properties: BusinessRequestProperties | None = None
    attachments: list[dict[str, Any]] = []
    is_archived: bool | None = None
    is_achived: bool | None = None
    """The misspelling of `isArchived` used by `GET /requests/{id}`."""
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None

    @property
    def archived(self) -> bool | None:
        """`isArchived`, whichever spelling was used."""
        return self.is_archived if self.is_archived is not None else self.is_achived


class BusinessRequestListParams(TypedDict, total=False):
    """Query of `GET /requests`, e.g. `{"type": "C_GENERIC_S1", "sort": "-createdAt"}`."""

    offset: int
    limit: int
    sort: str
    """Comma-separated fields, `-` for descending, e.g. `-createdAt`."""
    type: FilterValue
    category: FilterValue
    step: FilterValue
    priority: FilterValue
    customerReference: FilterValue
    isArchived: bool
