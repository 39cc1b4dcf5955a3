"""What Orange writes on a request as it goes: notes (error notes on a rejected order) and past state changes."""

from __future__ import annotations

from pydantic import Field

from .dates import Timestamp
from .model import Id, OrangeModel

__all__ = ["Note", "StateChange"]


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


class StateChange(OrangeModel):
    """A past state or status change."""

    change_date: Timestamp | None = None
    """When it changed."""
    change_reason: str | None = None
    """Why, e.g. `FULL_AUTO_NEW_SERVICE`."""
    state: str | None = None
    status: str | None = None
