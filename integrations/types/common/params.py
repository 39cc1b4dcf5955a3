"""Value types of the list query parameters: TMF attribute filters, date filters, attribute selections."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TypeAlias

__all__ = ["DateFilter", "Fields", "FilterValue"]

FilterValue: TypeAlias = str | Sequence[str]
"""A TMF attribute filter value; several values mean "any of" (sent comma-separated)."""
DateFilter: TypeAlias = str | date | datetime
"""A date filter value (`orderDate.gt`), as text or a date; datetimes are sent in UTC."""
Fields: TypeAlias = str | Sequence[str]
"""An attribute selection (`fields=id,state`); `id` and `href` always come back."""
