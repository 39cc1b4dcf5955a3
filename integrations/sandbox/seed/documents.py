"""The documented examples as the seeders read them: deep copies of the bodies, by slug."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any


@cache
def _examples() -> Mapping[str, Any]:
    try:
        from ..examples import load_examples
    except ImportError:  # pragma: no cover - the examples ship with the package
        return {}
    try:
        return {example.slug: example.body for example in load_examples()}
    except (OSError, ValueError):  # pragma: no cover - a half-written data directory
        return {}


def example(slug: str, default: Any = None) -> Any:
    """A deep copy of an example's body (``default`` when there is no such example)."""
    found = _examples().get(slug)
    return copy.deepcopy(found) if found is not None else default
