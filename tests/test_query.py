from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations._exceptions import InvalidReferenceError
from integrations._query import MAX_ID_LENGTH, build_query, check_id, path

ORDER = "/productOrder/{}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (11, "/productOrder/11"),
        ("de76cfa1-9a55-412f-a9ee-61ca2f662a63", "/productOrder/de76cfa1-9a55-412f-a9ee-61ca2f662a63"),
        ("W05VL130721", "/productOrder/W05VL130721"),
        ("a b", "/productOrder/a%20b"),
        ("é%", "/productOrder/%C3%A9%25"),
        ("3-00286023", "/productOrder/3-00286023"),
    ],
)
def test_path_encodes_ids(value: object, expected: str) -> None:
    assert path(ORDER, value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "..",
        ".",
        "a/b",
        "../admin",
        "a\\b",
        "a?b",
        "a#b",
        "a\nb",
        "a\x00",
        "",
        "   ",
        " 11",
        "x" * (MAX_ID_LENGTH + 1),
        None,
        True,
        1.5,
        ["1"],
    ],
)
def test_path_refuses_ids_that_change_the_path(value: object) -> None:
    with pytest.raises(InvalidReferenceError) as info:
        path(ORDER, value)
    assert str(info.value)  # a sentence, not an empty error


@given(st.text(min_size=1, max_size=MAX_ID_LENGTH))
def test_any_accepted_id_stays_one_segment(value: str) -> None:
    try:
        built = path("/x/{}/y", value)
    except InvalidReferenceError:
        return
    assert built.startswith("/x/") and built.endswith("/y")
    segment = built[len("/x/") : -len("/y")]
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert segment not in {".", ".."}


def test_build_query_operators_and_or() -> None:
    pairs = build_query(
        {
            "state": ["inProgress", "pending"],
            "orderDate.gt": date(2013, 4, 20),
            "lastUpdateDate.lte": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
            "fields": ["id", "state"],
            "sort": "-orderDate",
            "limit": 20,
            "skip": None,
            "isBundle": True,
        }
    )
    assert pairs == [
        ("state", "inProgress,pending"),
        ("orderDate.gt", "2013-04-20"),
        ("lastUpdateDate.lte", "2024-01-02T01:04:05Z"),
        ("fields", "id,state"),
        ("sort", "-orderDate"),
        ("limit", "20"),
        ("isBundle", "true"),
    ]


@pytest.mark.parametrize("key", ["a b", "state=x", "a&b", "", ".gt", "a..b", "a/b"])
def test_build_query_refuses_bad_keys(key: str) -> None:
    with pytest.raises(InvalidReferenceError):
        build_query({key: "1"})


def test_build_query_refuses_commas_inside_or_values() -> None:
    with pytest.raises(InvalidReferenceError):
        build_query({"name": ["a,b", "c"]})


_values = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: "," not in s
)
_keys = st.from_regex(r"\A[a-z][A-Za-z0-9]{0,8}(\.[a-z][A-Za-z0-9]{0,8}){0,2}\Z")


@given(st.dictionaries(_keys, st.one_of(_values, st.lists(_values, min_size=1, max_size=4), st.integers()), max_size=6))
def test_query_round_trips_through_a_url(params: dict[str, object]) -> None:
    pairs = build_query(params)
    decoded = dict(parse_qsl(urlencode(pairs), keep_blank_values=True))
    for key, value in params.items():
        if isinstance(value, list):
            assert decoded[key].split(",") == value
        else:
            assert decoded[key] == str(value)


@given(st.datetimes(timezones=st.just(UTC)))
def test_datetimes_encode_as_utc_iso(value: datetime) -> None:
    ((_, text),) = build_query({"orderDate.gte": value})
    assert datetime.fromisoformat(text.replace("Z", "+00:00")) == value


def test_check_id_returns_text_for_numbers() -> None:
    assert check_id(37) == "37"
