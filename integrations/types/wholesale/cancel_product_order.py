"""Wholesale order cancellation (`POST /cancelProductOrder`)."""

from __future__ import annotations

from pydantic import Field

from ..common import EntityRef, Id, OrangeModel, Timestamp

__all__ = ["CancelProductOrder", "CancelProductOrderCreate", "ProductOrderRef"]


class ProductOrderRef(EntityRef):
    """The order to cancel."""


class CancelProductOrder(OrangeModel):
    """A cancellation request, as Orange returns it."""

    id: Id | None = None
    href: str | None = None
    state: str | None = None
    """State of the cancellation request."""
    cancellation_reason: str | None = None
    effective_cancellation_date: Timestamp | None = None
    requested_cancellation_date: Timestamp | None = None
    creation_date: Timestamp | None = None
    product_order: ProductOrderRef | None = None
    type_: str | None = Field(default=None, alias="@type")
    """`cancelProductOrder`."""


class CancelProductOrderCreate(OrangeModel):
    """Body of `POST /cancelProductOrder`.

    Orange's example sends `effectiveCancellationDate`, where TMF622 v4's create body has
    `requestedCancellationDate`; both are accepted.
    """

    product_order: ProductOrderRef
    """The order, by id."""
    cancellation_reason: str | None = None
    effective_cancellation_date: Timestamp | None = None
    requested_cancellation_date: Timestamp | None = None
    type_: str | None = Field(default="cancelProductOrder", alias="@type")
