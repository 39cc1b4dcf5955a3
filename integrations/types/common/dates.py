"""Dates and spans of time: `Timestamp` (aware date-times, plain dates, or the raw text), validity periods,
durations and commitment terms."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import Field, PlainValidator

from .model import OrangeModel

__all__ = ["Duration", "Term", "TimePeriod", "Timestamp", "as_datetime", "parse_timestamp"]

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


class TimePeriod(OrangeModel):
    """A validity period."""

    start_date: Timestamp | None = None
    """Start of the period."""
    end_date: Timestamp | None = None
    """End of the period."""


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
