"""`OrangeClient.orders(backend)`: every backend's orders as `OrderView`s, against the sandbox in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from integrations import (
    BACKENDS,
    AsyncPaginator,
    BackendNotEnabledError,
    BusinessOrderSource,
    CarrierOrderSource,
    NotFoundError,
    OrangeClient,
    OrangeSettings,
    OrderSource,
    Page,
    WholesaleOrderSource,
)
from integrations.sandbox import create_app
from integrations.states import OrderState
from integrations.views import OrderView

BASE = "http://sandbox.test"
DE76 = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"
COMPLETED = ["37cf411f-5258-409a-9703-66cf965c9f43", "9240353c-cd38-447c-9437-9d4aa229d5ff"]
# What the poller asks of wholesale orders (bot/jobs/diff.py FIELDS_COMPARED).
COMPARED = ["id", "state", "productOrderItem", "errorMessage", "milestone", "jeopardyAlert"]
ONE_ORDER = {"carrier": "11", "wholesale": DE76, "business": "W05VL130721"}


@pytest.fixture
def app() -> Starlette:
    # A clock that stands still: orders move only when a test advances the sandbox, never between a list and a get.
    return create_app(clock=lambda: 1000.0, step_seconds=5.0)


@pytest.fixture
async def admin(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield http


@pytest.fixture
def sent() -> list[httpx.Request]:
    """Every API request the client sends (token requests left out)."""
    return []


@pytest.fixture
async def orange(app: Starlette, sent: list[httpx.Request]) -> AsyncIterator[OrangeClient]:
    async def record(request: httpx.Request) -> None:
        if "/oauth/" not in request.url.path:
            sent.append(request)

    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), event_hooks={"request": [record]})
    settings = OrangeSettings(orange_sandbox_url=BASE, _env_file=None)
    async with OrangeClient(settings, http_client=http) as client:
        yield client
    await http.aclose()


def query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query)


async def walk(paginator: AsyncPaginator[OrderView]) -> list[Page[OrderView]]:
    """Page by page the way the poller does: `anext` on `pages()`, until `next_offset` is None."""
    pages = paginator.pages()
    found: list[Page[OrderView]] = []
    while True:
        try:
            page = await anext(pages)
        except StopAsyncIteration:
            break
        found.append(page)
        if page.next_offset is None:
            break
    return found


# --- what each source is ------------------------------------------------------------------------------------------


def test_each_backend_has_its_source_and_says_what_its_list_can_do(orange: OrangeClient) -> None:
    sources = {backend: orange.orders(backend) for backend in BACKENDS}
    assert isinstance(sources["carrier"], CarrierOrderSource)
    assert isinstance(sources["wholesale"], WholesaleOrderSource)
    assert isinstance(sources["business"], BusinessOrderSource)
    assert {b: s.backend for b, s in sources.items()} == {b: b for b in BACKENDS}
    assert {b for b, s in sources.items() if s.lists_by_id} == {"wholesale"}
    assert {b for b, s in sources.items() if s.list_has_state} == {"carrier", "business"}
    assert {b for b, s in sources.items() if s.selects_fields} == {"wholesale"}
    assert orange.orders("carrier") is orange.orders("carrier")


def test_a_disabled_or_unknown_backend_has_no_source() -> None:
    settings = OrangeSettings(orange_carrier_client_id="id", orange_carrier_client_secret="s", _env_file=None)
    orange = OrangeClient(settings)
    assert isinstance(orange.orders("carrier"), OrderSource)
    with pytest.raises(BackendNotEnabledError) as disabled:
        orange.orders("wholesale")
    assert disabled.value.backend == "wholesale"
    assert str(disabled.value) == "The wholesale backend is not configured (enabled: carrier)."
    with pytest.raises(BackendNotEnabledError) as unknown:
        orange.orders("telco")
    assert "'telco' is not a backend" in str(unknown.value)
    assert isinstance(unknown.value, LookupError)


# --- get ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "state", "items"),
    [("carrier", OrderState.pending, True), ("wholesale", OrderState.in_progress, True), ("business", None, False)],
)
async def test_get_maps_one_order(orange: OrangeClient, backend: str, state: OrderState | None, items: bool) -> None:
    view = await orange.orders(backend).get(ONE_ORDER[backend])
    assert (view.backend, view.id, view.reference) == (backend, ONE_ORDER[backend], f"{backend}:{ONE_ORDER[backend]}")
    if state is not None:
        assert view.state is state
    assert bool(view.items) is items
    assert not view.is_partial


async def test_get_sends_fields_only_where_the_backend_selects_them(
    orange: OrangeClient, sent: list[httpx.Request]
) -> None:
    partial = await orange.orders("wholesale").get(DE76, fields=["state"])
    assert query(sent[-1]) == {"fields": ["state"]}
    assert partial.is_partial and partial.state is OrderState.in_progress
    whole = await orange.orders("carrier").get("11", fields=["state"])
    assert query(sent[-1]) == {}
    assert whole.items and not whole.is_partial


@pytest.mark.parametrize("backend", BACKENDS)
async def test_get_of_a_missing_order_names_it(orange: OrangeClient, backend: str) -> None:
    with pytest.raises(NotFoundError) as info:
        await orange.orders(backend).get("no-such-order")
    assert info.value.reference == f"{backend}:no-such-order"


# --- list ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_list_awaits_iterates_and_pages(orange: OrangeClient, backend: str) -> None:
    source = orange.orders(backend)
    everything = [view async for view in source.list()]
    assert everything and all(isinstance(v, OrderView) and v.backend == backend for v in everything)
    assert len({v.id for v in everything}) == len(everything)
    first = await source.list(limit=3)
    assert isinstance(first, Page) and first.items == everything[:3]
    assert first.total == len(everything) and first.next_offset == 3
    pages = await walk(source.list(limit=3))
    assert [v for p in pages for v in p.items] == everything
    assert [p.offset for p in pages] == list(range(0, len(everything), 3))
    capped = [view async for view in source.list(limit=2, offset=1, max_items=3)]
    assert capped == everything[1:4]


@pytest.mark.parametrize(
    ("backend", "states", "sent_as", "expected"),
    [
        ("carrier", ["pending"], "state", {OrderState.pending}),
        ("carrier", ["pending", "inProgress"], "state", {OrderState.pending, OrderState.in_progress}),
        ("wholesale", ["completed"], "state", {OrderState.completed}),
        ("business", ["DELIVERY"], "step", {OrderState.in_progress}),
        ("business", ["CANCELLED", "COMPLETED"], "step", {OrderState.cancelled, OrderState.completed}),
    ],
)
async def test_list_by_state_uses_the_backends_own_filter(
    orange: OrangeClient,
    sent: list[httpx.Request],
    backend: str,
    states: list[str],
    sent_as: str,
    expected: set[OrderState],
) -> None:
    source = orange.orders(backend)
    found = [view async for view in source.list(states=states)]
    assert query(sent[0])[sent_as] == [",".join(states)]
    assert found and {v.state for v in found} == expected
    everything = [view async for view in source.list()]
    assert {v.id for v in found} == {v.id for v in everything if v.state in expected}


async def test_wholesale_list_by_ids_with_fields(orange: OrangeClient, sent: list[httpx.Request]) -> None:
    source = orange.orders("wholesale")
    first = await source.list(ids=[DE76, *COMPLETED], fields=COMPARED, limit=3)
    assert query(sent[-1])["id"] == [",".join([DE76, *COMPLETED])]
    assert query(sent[-1])["fields"] == [",".join(COMPARED)]
    assert {v.id for v in first.items} == {DE76, *COMPLETED}
    assert first.next_offset is None
    listed = {v.id: v for v in first.items}
    assert listed[DE76].state is OrderState.in_progress and listed[DE76].items
    assert "description" not in listed[DE76].raw_keys
    assert {v.id async for v in source.list(ids=[DE76], states=["completed"])} == set()


@pytest.mark.parametrize("backend", ["carrier", "business"])
async def test_list_by_ids_is_refused_where_the_backend_cannot(
    orange: OrangeClient, sent: list[httpx.Request], backend: str
) -> None:
    with pytest.raises(ValueError, match=f"the {backend} order list cannot filter by id"):
        orange.orders(backend).list(ids=["11"])
    assert sent == []


async def test_list_fields_are_sent_only_where_the_backend_selects_them(
    orange: OrangeClient, sent: list[httpx.Request]
) -> None:
    lines = ["state", "orderDate", "description"]
    for backend in BACKENDS:
        await orange.orders(backend).list(fields=lines, limit=5)
    assert [query(r).get("fields") for r in sent] == [None, [",".join(lines)], None]


# --- list and get agree -------------------------------------------------------------------------------------------


async def _every_order_agrees(orange: OrangeClient, backend: str, fields: list[str] | None = None) -> int:
    """Each listed order, got by id: the same view, or (a summary list) the same state; returns how many."""
    source = orange.orders(backend)
    listed = [view async for view in source.list(fields=fields, limit=7)]
    for view in listed:
        got = await source.get(view.id, fields=fields)
        if view.is_partial and fields is None:  # the carrier list answers summaries: they carry the state
            assert source.list_has_state
            assert (view.id, view.state, view.state_raw) == (got.id, got.state, got.state_raw)
        else:
            assert view == got
    if source.lists_by_id and listed:
        ids = [v.id for v in listed]
        by_id = [view async for view in source.list(ids=ids, fields=fields, limit=len(ids))]
        assert sorted(by_id, key=lambda v: v.id) == sorted(listed, key=lambda v: v.id)
    return len(listed)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("advance", [0, 12, 600])
async def test_list_and_get_give_the_same_view_of_every_order(
    orange: OrangeClient, admin: httpx.AsyncClient, backend: str, advance: int
) -> None:
    created = (await admin.post("/_sandbox/bulk", json={"backend": backend, "count": 6})).json()["ids"]
    if advance:  # orders move along their lifecycle: other states, items, milestones
        (await admin.post("/_sandbox/advance", json={"seconds": advance})).raise_for_status()
    assert await _every_order_agrees(orange, backend) >= len(created)
    if orange.orders(backend).selects_fields:
        assert await _every_order_agrees(orange, backend, fields=COMPARED) >= len(created)


@pytest.mark.parametrize("backend", ["carrier", "business"])
async def test_states_read_from_the_json_say_what_the_views_say(orange: OrangeClient, backend: str) -> None:
    source = orange.orders(backend)
    views = {v.id: v.state for v in await source.list(limit=50).to_list()}
    states = dict(await source.states(limit=50).to_list())
    assert views and states == views


@pytest.mark.parametrize("backend", ["carrier", "wholesale", "business"])
async def test_entries_read_later_are_the_views_and_their_digests_follow_the_order(
    orange: OrangeClient, admin: httpx.AsyncClient, backend: str
) -> None:
    source = orange.orders(backend)
    if not source.lists_by_id:
        with pytest.raises(ValueError, match="cannot filter by id"):
            source.entries(ids=["1"])
        return
    (entry,) = await source.entries(ids=[DE76], fields=COMPARED).to_list()
    assert source.view(entry) == await source.get(DE76, fields=COMPARED)
    (again,) = await source.entries(ids=[DE76], fields=COMPARED).to_list()
    assert again.digest == entry.digest
    await admin.post(f"/_sandbox/orders/wholesale/{DE76}/state", json={"state": "held"})
    (moved,) = await source.entries(ids=[DE76], fields=COMPARED).to_list()
    assert moved.digest != entry.digest and source.view(moved).state is OrderState.held
