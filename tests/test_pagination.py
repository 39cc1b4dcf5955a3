from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.pagination import AsyncPaginator, Page


class FakeServer:
    """A collection server that caps limit, may drop items at random and may lie about or omit the total."""

    def __init__(self, total: int, cap: int, shortfalls: list[int], header: str, ignore_offset: bool = False) -> None:
        self.data = list(range(total))
        self.cap = cap
        self.shortfalls = shortfalls
        self.header = header
        self.ignore_offset = ignore_offset
        self.calls = 0

    async def fetch(self, offset: int, limit: int) -> Page[int]:
        self.calls += 1
        if self.ignore_offset:
            offset = 0
        size = min(limit, self.cap)
        if self.shortfalls:
            size = max(1, size - self.shortfalls[self.calls % len(self.shortfalls)])
        items = self.data[offset : offset + size]
        total = {"honest": len(self.data), "none": None, "high": len(self.data) + 7, "low": len(self.data) // 2}[
            self.header
        ]
        return Page(items=items, offset=offset, limit=limit, total=total, result_count=len(items))


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(0, 300),
    cap=st.integers(1, 60),
    limit=st.integers(1, 100),
    shortfalls=st.lists(st.integers(0, 10), max_size=5),
    header=st.sampled_from(["honest", "none", "high", "low"]),
)
async def test_walk_terminates_and_is_complete_when_honest(
    total: int, cap: int, limit: int, shortfalls: list[int], header: str
) -> None:
    server = FakeServer(total, cap, shortfalls, header)
    items = await AsyncPaginator(server.fetch, limit=limit).to_list()
    # Never more requests than items plus the closing empty page.
    assert server.calls <= total + 2
    if header in {"honest", "none", "high"}:
        assert items == server.data
    else:
        assert items == server.data[: len(items)]
        assert len(items) >= len(server.data) // 2


@settings(max_examples=50, deadline=None)
@given(total=st.integers(1, 200), cap=st.integers(1, 20))
async def test_a_server_that_ignores_offset_cannot_loop_forever(total: int, cap: int) -> None:
    server = FakeServer(total, cap, [], "none", ignore_offset=True)
    items = await AsyncPaginator(server.fetch, limit=cap).to_list()
    assert server.calls <= 2
    assert items == server.data[: min(cap, total)]


async def test_max_items_and_first_page() -> None:
    server = FakeServer(100, 10, [], "honest")
    paginator = AsyncPaginator(server.fetch, limit=10, max_items=25)
    first = await paginator
    assert first.items == list(range(10)) and first.next_offset == 10
    assert await paginator.to_list() == list(range(25))


async def test_max_pages_bounds_the_walk() -> None:
    server = FakeServer(1000, 1, [], "none")
    items = await AsyncPaginator(server.fetch, limit=1, max_pages=5).to_list()
    assert items == [0, 1, 2, 3, 4]


@settings(max_examples=100, deadline=None)
@given(
    total=st.integers(0, 120),
    cap=st.integers(1, 30),
    limit=st.integers(1, 40),
    offset=st.integers(0, 10),
    max_items=st.one_of(st.none(), st.integers(0, 50)),
    header=st.sampled_from(["honest", "none", "high", "low"]),
)
async def test_a_mapped_walk_is_the_walk_mapped(
    total: int, cap: int, limit: int, offset: int, max_items: int | None, header: str
) -> None:
    plain, mapped = FakeServer(total, cap, [], header), FakeServer(total, cap, [], header)
    expected = await AsyncPaginator(plain.fetch, limit=limit, offset=offset, max_items=max_items).to_list()
    paginator = AsyncPaginator(mapped.fetch, limit=limit, offset=offset, max_items=max_items).map(str)
    assert await paginator.to_list() == [str(i) for i in expected]
    assert mapped.calls == plain.calls


async def test_a_mapped_paginator_awaits_to_a_mapped_page_and_keeps_its_headers() -> None:
    server = FakeServer(30, 10, [], "honest")
    first = await AsyncPaginator(server.fetch, limit=10, offset=5).map(lambda i: i * 2)
    assert first.items == [i * 2 for i in range(5, 15)]
    assert (first.offset, first.limit, first.total, first.result_count, first.next_offset) == (5, 10, 30, 10, 15)
    pages = [page async for page in AsyncPaginator(server.fetch, limit=10).map(lambda i: -i).pages()]
    assert [page.items[0] for page in pages] == [0, -10, -20]
