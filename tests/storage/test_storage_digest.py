"""The snapshot digest: key order never changes it, any change of value does."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.digest import canonical_json, digest

leaves = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
)
json_values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)
views = st.dictionaries(st.text(max_size=6), json_values, max_size=6)

# No deadline: a loaded CI machine must not turn a slow example into a failure.
quick = settings(max_examples=60, deadline=None)


def strictly_equal(a: Any, b: Any) -> bool:
    """Equality that tells True from 1, 1 from 1.0 and 0.0 from -0.0, as JSON text does."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(strictly_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strictly_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: replaced(v, rest, new) if k == head else v for k, v in value.items()}
    return [replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]


@quick
@given(views, st.data())
def test_key_order_does_not_change_the_digest(view: dict[str, Any], data: st.DataObject) -> None:
    def shuffled(value: Any) -> Any:
        if isinstance(value, dict):
            keys = data.draw(st.permutations(list(value)))
            return {key: shuffled(value[key]) for key in keys}
        if isinstance(value, list):
            return [shuffled(item) for item in value]
        return value

    assert digest(shuffled(view)) == digest(view)


@quick
@given(views, st.data())
def test_any_change_of_value_changes_the_digest(view: dict[str, Any], data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(paths(view)[1:] or [()]))
    old: Any = view
    for step in path:
        old = old[step]
    new = data.draw(json_values.filter(lambda candidate: not strictly_equal(candidate, old)))
    assert digest(replaced(view, path, new)) != digest(view)


@quick
@given(json_values)
def test_canonical_json_is_lossless(value: Any) -> None:
    """Distinct values give distinct text (so distinct digests): the text decodes to the value."""
    assert strictly_equal(json.loads(canonical_json(value)), value)


@quick
@given(views, st.text(min_size=1, max_size=6), json_values)
def test_adding_a_key_changes_the_digest(view: dict[str, Any], key: str, value: Any) -> None:
    if key in view:
        return
    assert digest({**view, key: value}) != digest(view)


def test_known_values() -> None:
    assert digest({}) == hashlib.sha256(b"{}").hexdigest()
    assert canonical_json({"b": 1, "a": ["é", None, True]}) == '{"a":["é",null,true],"b":1}'
    assert digest({"n": 1}) != digest({"n": 1.0}) != digest({"n": True})


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), {"when": object()}])
def test_values_json_cannot_hold_are_refused(bad: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        digest({"x": bad})
