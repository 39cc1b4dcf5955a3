"""Canonical JSON and its digest, so an unchanged order view is recognised whatever its key order.

digest({"b": 1, "a": [True, None]}) == digest({"a": [True, None], "b": 1})
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text as is; NaN and infinities are refused (JSON has none)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def digest(value: Any) -> str:
    """Hex sha256 of `value`'s canonical JSON."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def short_digest(value: Any) -> str:
    """The first 32 hex digits of `digest`: identities and fingerprints (128 bits are plenty)."""
    return digest(value)[:32]
