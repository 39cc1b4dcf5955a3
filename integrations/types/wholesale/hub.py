"""Notification subscriptions (`POST /hub`, `DELETE /hub/{id}`; there is no `GET`)."""

from __future__ import annotations

from ..common import Id, OrangeModel

__all__ = ["Hub", "HubCreate"]


class Hub(OrangeModel):
    """A listener registration; keep its id, Orange cannot list them."""

    id: Id | None = None
    callback: str | None = None
    """Where events are posted."""
    query: str | None = None
    """Event filter, e.g. `eventType = ProductOrderCreateEvent`."""


class HubCreate(OrangeModel):
    """Body of `POST /hub`."""

    callback: str
    """Where events are posted."""
    query: str | None = None
    """Event filter, e.g. `eventType = ProductOrderStateChangeEvent`."""
