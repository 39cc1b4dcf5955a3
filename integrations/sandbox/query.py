"""TMF630-style collection queries: ``offset``/``limit``, ``fields``, ``sort`` and attribute filters.

Filters are ``attr=v``, ``attr.eq=v``, ``.ne``, ``.gt``, ``.gte``, ``.lt``, ``.lte`` (also the raw
``attr>=v``, ``attr<v``, ``attr<>v`` spellings); what they mean is `integrations/filters.py`, shared with the
bot (which decides a channel rule for a new order the way Orange's list would).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from integrations.filters import (  # the filter semantics are shared with the bot (`integrations/filters.py`)
    OPERATORS,
    Extractor,
    Filter,
    Wanted,
    as_number,
    fold,
    matches,
    parse_datetime,
    scalar,
    value_matches,
    values_at,
)

__all__ = [
    "RESERVED",
    "CollectionQuery",
    "Extractor",
    "Filter",
    "QueryError",
    "Wanted",
    "fold",
    "matches",
    "parse_datetime",
    "parse_query",
    "select_fields",
    "sort_records",
    "value_matches",
    "values_at",
]

RESERVED = frozenset({"offset", "limit", "fields", "sort", "depth"})
_RAW_OPERATORS = (("<>", "ne"), (">=", "gte"), ("<=", "lte"), (">", "gt"), ("<", "lt"))


class QueryError(ValueError):
    """A bad query string (Orange code 28)."""


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


# ---------------------------------------------------------------------------- sort & fields


def _sort_key(value: Any) -> tuple[int, Any]:
    value = scalar(value)
    number = as_number(value)
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
