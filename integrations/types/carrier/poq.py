"""Carrier product offering qualification (`productOfferingQualificationManagement/v1`)."""

from __future__ import annotations

from typing import TypedDict

from pydantic import Field

from ..common import (
    Fields,
    FilterValue,
    Id,
    ItemRelationship,
    OrangeModel,
    ProductOfferingRef,
    RelatedParty,
    StateChange,
    Timestamp,
)
from .product_value import ProductValue

__all__ = [
    "InstallationInterval",
    "PoqCreate",
    "PoqItem",
    "PoqItemCreate",
    "PoqListParams",
    "ProductOfferingQualification",
    "TerminationError",
]


class InstallationInterval(OrangeModel):
    """How long installation takes once ordered."""

    amount: int | float | None = None
    """How many units."""
    time_unit: str | None = None
    """`businessDays`, `businessHours`, `calendarDays`…"""


class TerminationError(OrangeModel):
    """Why an item could not be qualified."""

    code: str | None = None
    value: str | None = None


class PoqItem(OrangeModel):
    """One item of a POQ: can Orange deliver this product here?"""

    id: Id | None = None
    """Item id, unique within the POQ."""
    state: str | None = None
    """`done`, `inProgress`, `terminatedWithError…`."""
    action: str | None = None
    """`add` or `modify`."""
    serviceability_confidence: str | None = None
    """`green`, `yellow` or `red`."""
    service_confidence_reason: str | None = None
    """Why the confidence is not green."""
    installation_interval: InstallationInterval | None = None
    """Lead time."""
    guaranteed_until_date: Timestamp | None = None
    """The answer holds until then."""
    product: ProductValue | None = None
    """The product."""
    product_offering: ProductOfferingRef | None = None
    """`Intense` or `AccessInterface`."""
    product_offering_qualification_item_relationship: list[ItemRelationship] = []
    """Links to the ENNI items of an EVPL item."""
    related_party: list[RelatedParty] = []
    alternate_product_proposal: list[dict[str, object]] = []
    """Alternatives, kept as sent."""
    termination_error: list[TerminationError] = []
    """Errors of a failed item."""
    state_change: list[StateChange] = []
    type_: str | None = Field(default=None, alias="@type")


class ProductOfferingQualification(OrangeModel):
    """A POQ (`POST` answer or `GET /productOfferingQualification/{id}`)."""

    id: Id | None = None
    """POQ id (a UUID)."""
    href: str | None = None
    state: str | None = None
    """`done`, `inProgress`…"""
    instant_sync_qualification: bool | None = None
    project_id: Id | None = None
    provide_alternative: bool | None = None
    requested_response_date: Timestamp | None = None
    expected_response_date: Timestamp | None = None
    effective_qualification_completion_date: Timestamp | None = None
    """When Orange answered."""
    request_currency: str | None = None
    """Currency of the answer (Orange's spelling)."""
    requested_currency: str | None = None
    """Currency asked for (the request spelling)."""
    related_party: list[RelatedParty] = []
    product_offering_qualification_item: list[PoqItem] = []
    """The items."""
    state_change: list[StateChange] = []
    type_: str | None = Field(default=None, alias="@type")
    schema_location: str | None = Field(default=None, alias="@schemaLocation")


class PoqItemCreate(OrangeModel):
    """One item of a POQ request."""

    id: Id
    """Item id of your choice, unique within the request."""
    action: str = "add"
    """`add` (new product) or `modify`."""
    product: ProductValue
    """The product: specification, configuration, place or relationships."""
    product_offering: ProductOfferingRef | None = None
    """`Intense` for an EVPL."""
    product_offering_qualification_item_relationship: list[ItemRelationship] = []
    """Links an EVPL item to its ENNI items (`hasENNIEndPoint`)."""


class PoqCreate(OrangeModel):
    """Body of `POST /productOfferingQualification`."""

    product_offering_qualification_item: list[PoqItemCreate]
    """What to qualify."""
    provide_alternative: bool = True
    requested_response_date: Timestamp | None = None
    requested_currency: str | None = None
    """E.g. `EUR`."""
    related_party: list[RelatedParty] = []
    """At least `{"role": "buyer"}`."""


class PoqListParams(TypedDict, total=False):
    """Query of `GET /productOfferingQualification`."""

    offset: int
    limit: int
    fields: Fields
    state: FilterValue
