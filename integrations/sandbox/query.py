"""TMF630-style collection queries: ``offset``/``limit``, ``fields``, ``sort`` and attribute filters.

Filters are ``attr=v``, ``attr.eq=v``, ``.ne``, ``.gt``, ``.gte``, ``.lt``, ``.lte`` (also the raw
``attr>=v``, ``attr<v``, ``attr<>v`` spellings) on dotted paths that traverse lists: a record matches
when any value found at the path matches. ``a=x,y`` means x OR y. Strings compare case-insensitively,
ISO dates as datetimes, numbers as numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import Any

RESERVED = frozenset({"offset", "limit", "fields", "sort", "depth"})
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte")
_RAW_OPERATORS = (("<>", "ne"), (">=", "gte"), ("<=", "lte"), (">", "gt"), ("<", "lt"))
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class QueryError(ValueError):
    """A bad query string (Orange code 28)."""


@dataclass(frozen=True)
class Filter:
    path: str
    op: str
    values: tuple[str, ...]

    @cached_property
    def prepared(self) -> tuple[Wanted, ...]:
        return tuple(Wanted.of(value) for value in self.values)


@dataclass
class CollectionQuery:
    offset: int = 0
    limit: int = 50
    fields: list[str] | None = None
    sort: list[tuple[str, bool]] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)


def _int_param(name: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise QueryError(f"{name} must be a non-negative integer, got {raw!r}") from None
    if value < 0:
        raise QueryError(f"{name} must be a non-negative integer, got {raw!r}")
    return value


def _split_filter(key: str, value: str) -> tuple[str, str, str]:
    """(path, operator, raw value) of one query-string pair."""
    # `a>=b` arrives as key "a>" value "b"; `a>b` or `a<>b` arrive as key "a>b" with an empty value.
    if key.endswith((">", "<")) and not key.endswith("<>"):
        return key[:-1], "gte" if key.endswith(">") else "lte", value
    if value == "":
        for token, op in _RAW_OPERATORS:
            if token in key:
                path, _, raw = key.partition(token)
                return path, op, raw
    path, dot, last = key.rpartition(".")
    if dot and last in OPERATORS:
        return path, last, value
    return key, "eq", value


def parse_query(
    pairs: Iterable[tuple[str, str]],
    *,
    max_page_size: int,
    ignore: Iterable[str] = (),
) -> CollectionQuery:
    """Parse a collection query string; raise :class:`QueryError` on a malformed paging parameter."""
    query = CollectionQuery(limit=max_page_size)
    skip = set(ignore)
    for key, value in pairs:
        if key == "offset":
            query.offset = _int_param("offset", value)
        elif key == "limit":
            query.limit = min(_int_param("limit", value), max_page_size)
        elif key == "fields":
            names = [name.strip() for name in value.split(",") if name.strip()]
            query.fields = (query.fields or []) + names
        elif key == "sort":
            for name in value.split(","):
                name = name.strip()
                if name:
                    descending = name.startswith("-")
                    query.sort.append((name.lstrip("+-"), descending))
        elif key in RESERVED or key in skip or not key:
            continue
        else:
            path, op, raw = _split_filter(key, value)
            if not path:
                raise QueryError(f"invalid filter {key!r}")
            values = tuple(part.strip() for part in raw.split(",")) if raw else ("",)
            query.filters.append(Filter(path, op, values))
    return query


# ---------------------------------------------------------------------------- values & comparison


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


def _scalar(value: Any) -> Any:
    # A filter on an object attribute (`externalIdentifier=x`) compares its id.
    if isinstance(value, dict):
        return value.get("id")
    return value


def _as_number(value: Any) -> float | None:
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
            number=_as_number(stripped),
            moment=parse_datetime(stripped),
            day=stripped if _DATE_ONLY.match(stripped) else None,
        )


def _equals(actual: Any, wanted: Wanted) -> bool:
    actual = _scalar(actual)
    if actual is None:
        return wanted.folded.strip() in ("null", "none")
    if isinstance(actual, bool):
        return str(actual).lower() == wanted.folded.strip()
    if isinstance(actual, int | float):
        return wanted.number is not None and float(actual) == wanted.number
    text = actual if isinstance(actual, str) else str(actual)
    if wanted.number is not None:
        number = _as_number(text)
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
    actual = _scalar(actual)
    if actual is None or isinstance(actual, bool | dict | list):
        return None
    if wanted.number is not None:
        number = float(actual) if isinstance(actual, int | float) else _as_number(str(actual))
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


# ---------------------------------------------------------------------------- sort & fields


def _sort_key(value: Any) -> tuple[int, Any]:
    value = _scalar(value)
    number = _as_number(value)
    if number is not None:
        return (0, number)
    if isinstance(value, bool):
        return (0, float(value))
    text = str(value)
    moment = parse_datetime(text)
    if moment is not None:
        return (1, moment.timestamp())
    return (2, fold(text))


def sort_records(records: list[Any], sort: Sequence[tuple[str, bool]], extract: Extractor = values_at) -> list[Any]:
    """Stable multi-key sort; records without a value for a key come last whatever the direction."""
    result = list(records)
    for path, descending in reversed(sort):
        keyed: list[tuple[tuple[int, Any], Any]] = []
        missing: list[Any] = []
        for record in result:
            found = [value for value in extract(record, path) if value is not None]
            if found:
                keyed.append((_sort_key(found[0]), record))
            else:
                missing.append(record)
        keyed.sort(key=lambda pair: pair[0], reverse=descending)
        result = [record for _, record in keyed] + missing
    return result


def select_fields(record: Mapping[str, Any], fields: Sequence[str] | None, *, always_href: bool) -> dict[str, Any]:
    """id + href + the first-level attributes named in ``fields`` (``none``: id and href only)."""
    if fields is None:
        return dict(record)
    wanted = {name.split(".", 1)[0] for name in fields if name != "none"}
    out: dict[str, Any] = {"id": record.get("id")}
    if always_href or "href" in record:
        out["href"] = record.get("href")
    for key, value in record.items():
        if key in wanted and key not in out:
            out[key] = value
    return out
