"""A Web API call's arguments as Slack reads them, and the ``ok: false`` a handler answers with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

JSONDict = dict[str, Any]


class SlackApiFailure(Exception):
    """An ``ok: false`` answer raised inside a handler."""

    def __init__(self, error: str, *, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


def truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on")
    return bool(value)


def json_field(params: Mapping[str, Any], key: str, *, error: str) -> Any:
    """A JSON argument, sent encoded (form body) or as is (JSON body); blank reads as absent."""
    value = params.get(key)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise SlackApiFailure(error) from None
    return value
