"""Path ids and query strings, built so that no input can change the request's shape.

Ids go into URL paths validated and percent-encoded (`path("/productOrder/{}", order_id)`); TMF filters come from a
mapping such as ``{"state": ["inProgress", "pending"], "orderDate.gt": date(2024, 1, 1), "fields": ["id", "state"]}``
and become ``state=inProgress,pending&orderDate.gt=2024-01-01&fields=id,state``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from urllib.parse import quote

from integrations._exceptions import InvalidReferenceError

__all__ = ["MAX_ID_LENGTH", "OPERATORS", "build_query", "check_id", "path"]

MAX_ID_LENGTH = 128
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KEY = re.compile(r"^@?[A-Za-z_][A-Za-z0-9_]*(\.@?[A-Za-z_][A-Za-z0-9_]*)*$")
_PLACEHOLDER = "{}"


def check_id(value: object, *, what: str = "id") -> str:
    """Validate one id for a URL path segment and return it as a string."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidReferenceError(f"The {what} must be text or a number, not {type(value).__name__}.")
    text = str(value)
    if not text or not text.strip():
        raise InvalidReferenceError(f"The {what} is empty.")
    if len(text) > MAX_ID_LENGTH:
        raise InvalidReferenceError(f"The {what} is {len(text)} characters long; at most {MAX_ID_LENGTH} are allowed.")
    if _CONTROL.search(text):
        raise InvalidReferenceError(f"The {what} contains a control character.")
    if text in {".", ".."}:
        raise InvalidReferenceError(f"The {what} '{text}' is not a valid id.")
    for bad in ("/", "\\", "?", "#"):
        if bad in text:
            raise InvalidReferenceError(f"The {what} '{text}' must not contain '{bad}'.")
    if text != text.strip():
        raise InvalidReferenceError(f"The {what} '{text}' has leading or trailing spaces.")
    return text


def path(template: str, *ids: object, what: str = "id") -> str:
    """Fill each ``{}`` of `template` with one validated, percent-encoded id."""
    if template.count(_PLACEHOLDER) != len(ids):
        raise ValueError(f"path template {template!r} takes {template.count(_PLACEHOLDER)} ids, got {len(ids)}")
    parts = template.split(_PLACEHOLDER)
    out = [parts[0]]
    for value, rest in zip(ids, parts[1:], strict=True):
        out.append(quote(check_id(value, what=what), safe=""))
        out.append(rest)
    return "".join(out)


def _scalar(value: object, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | Decimal | float | str):
        text = str(value)
    else:
        raise InvalidReferenceError(f"The value for '{key}' must be text, a number or a date.")
    if _CONTROL.search(text):
        raise InvalidReferenceError(f"The value for '{key}' contains a control character.")
    if len(text) > 1000:
        raise InvalidReferenceError(f"The value for '{key}' is too long.")
    return text


def _check_key(key: str) -> None:
    if not _KEY.match(key):
        raise InvalidReferenceError(f"'{key}' is not a valid filter name.")


def build_query(params: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """Turn filter params into query pairs; a list value is a comma-separated OR, ``None`` is dropped.

    Keys are attribute paths with an optional operator suffix (``orderDate.gt``); ``fields`` and ``sort`` take
    lists too. A value that itself contains a comma cannot be expressed in an OR list and is refused.
    """
    if not params:
        return []
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        _check_key(key)
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            text = _scalar(value, key)
            if key in {"fields", "sort"} and not text:
                continue
            pairs.append((key, text))
            continue
        items = [_scalar(v, key) for v in value if v is not None]
        if not items:
            continue
        for item in items:
            if "," in item:
                raise InvalidReferenceError(f"The value '{item}' for '{key}' contains a comma; it cannot be OR-ed.")
        pairs.append((key, ",".join(items)))
    return pairs
