"""TM Forum (TMF630) attribute filters as Orange's lists decide them, in one place for the sandbox and the bot.

    matches(order_json, [filter_of("orderDate.gt", "2026-01-01"), filter_of("state", "held,failed")])

`attr=v`, `attr.eq=v`, `.ne`, `.gt`, `.gte`, `.lt`, `.lte` on dotted paths that descend into lists: a record passes
when any value found at the path matches any of the given values (`a=x,y` means x OR y; `ne`: none of the values
equals any found). An object compares by its `id`; strings without case, ISO dates as instants (a bare day equals
any time of that day), numbers as numbers; `null` matches an absent value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import Any

__all__ = [
    "OPERATORS",
    "Extractor",
    "Filter",
    "Wanted",
    "as_number",
    "filter_of",
    "fold",
    "matches",
    "parse_datetime",
    "scalar",
    "value_matches",
    "values_at",
]

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Filter:
    path: str
    op: str
    values: tuple[str, ...]

    @cached_property
    def prepared(self) -> tuple[Wanted, ...]:
        return tuple(Wanted.of(value) for value in self.values)


def filter_of(key: str, raw: str) -> Filter:
    """The filter a query pair `key=raw` names (`orderDate.gt`, `state`): its path, operator and values."""
    path, dot, last = key.rpartition(".")
    if not (dot and last in OPERATORS):
        path, last = key, "eq"
    values = tuple(part.strip() for part in raw.split(",")) if raw else ("",)
    return Filter(path, last, values)


def values_at(record: Any, path: str) -> list[Any]:
    """Every value found at a dotted path, descending into lists."""
    current: list[Any] = [record]
    for part in path.split("."):
        found: list[Any] = []
        for node in current:
            if isinstance(node, dict) and part in node:
                value = node[part]
                if isinstance(value, list):
                    found.extend(value)
                else:
                    found.append(value)
        current = found
        if not current:
            break
    return current


@lru_cache(maxsize=16384)
def parse_datetime(text: str) -> datetime | None:
    if not _DATE.match(text):
        return None
    candidate = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    # "+0000" (no colon), as in the catalog examples.
    candidate = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", candidate)
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a string."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


def scalar(value: Any) -> Any:
    # A filter on an object attribute (`externalIdentifier=x`) compares its id.
    if isinstance(value, dict):
        return value.get("id")
    return value


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value)
    return None


@dataclass(frozen=True)
class Wanted:
    """A filter value, pre-parsed once per request rather than once per record."""

    raw: str
    folded: str
    number: float | None
    moment: datetime | None
    day: str | None

    @classmethod
    def of(cls, value: str) -> Wanted:
        stripped = value.strip()
        return cls(
            raw=value,
            folded=value.casefold(),
            number=as_number(stripped),
            moment=parse_datetime(stripped),
            day=stripped if _DATE_ONLY.match(stripped) else None,
        )


def _equals(actual: Any, wanted: Wanted) -> bool:
    actual = scalar(actual)
    if actual is None:
        return wanted.folded.strip() in ("null", "none")
    if isinstance(actual, bool):
        return str(actual).lower() == wanted.folded.strip()
    if isinstance(actual, int | float):
        return wanted.number is not None and float(actual) == wanted.number
    text = actual if isinstance(actual, str) else str(actual)
    if wanted.number is not None:
        number = as_number(text)
        if number is not None:
            return number == wanted.number
    if wanted.day is not None and _DATE.match(text):
        return text[:10] == wanted.day
    if wanted.moment is not None and _DATE.match(text):
        moment = parse_datetime(text)
        if moment is not None:
            return moment == wanted.moment
    return text.casefold() == wanted.folded


def _compare(actual: Any, wanted: Wanted) -> int | None:
    """-1/0/1 comparing a record value with a filter value, None when they cannot be ordered."""
    actual = scalar(actual)
    if actual is None or isinstance(actual, bool | dict | list):
        return None
    if wanted.number is not None:
        number = float(actual) if isinstance(actual, int | float) else as_number(str(actual))
        if number is not None:
            return (number > wanted.number) - (number < wanted.number)
    text = str(actual)
    if wanted.moment is not None:
        moment = parse_datetime(text)
        if moment is not None:
            return (moment > wanted.moment) - (moment < wanted.moment)
    folded = text.casefold()
    return (folded > wanted.folded) - (folded < wanted.folded)


def _matches_one(actual: Any, op: str, wanted: Wanted) -> bool:
    if op == "eq":
        return _equals(actual, wanted)
    if op == "ne":
        return not _equals(actual, wanted)
    result = _compare(actual, wanted)
    if result is None:
        return False
    if op == "gt":
        return result > 0
    if op == "gte":
        return result >= 0
    if op == "lt":
        return result < 0
    return result <= 0


def value_matches(actual: Any, op: str, wanted: str) -> bool:
    return _matches_one(actual, op, Wanted.of(wanted))


Extractor = Callable[[Any, str], list[Any]]


def matches(record: Any, filters: Sequence[Filter], extract: Extractor = values_at) -> bool:
    for flt in filters:
        found = extract(record, flt.path)
        wanted = flt.prepared
        if flt.op == "ne":
            # "not equal": no value at the path equals any of the given values.
            if any(_equals(value, each) for value in found for each in wanted):
                return False
            continue
        if not any(_matches_one(value, flt.op, each) for value in found for each in wanted):
            return False
    return True
